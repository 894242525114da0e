package io.edgegateway.management.internal.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HealthWindowTest {

    @Test
    void aWrappedActivationFailureIsReportedByItsRootCause() {
        String trace = """
                java.lang.reflect.InvocationTargetException
                \tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
                \tat org.apache.felix.scr.impl.inject.methods.BaseMethod.invokeMethod(BaseMethod.java:242)
                Caused by: org.osgi.service.component.ComponentException: wrapped
                \t... 12 more
                Caused by: java.lang.IllegalStateException: fixture: activation fails on purpose
                \tat io.x.Fixture.activate(Fixture.java:20)
                """;
        assertThat(HealthWindow.rootCause(trace))
                .isEqualTo("java.lang.IllegalStateException: fixture: activation fails on purpose");
        assertThat(HealthWindow.rootCause("java.lang.IllegalStateException: boom\n\tat io.x.A.b(A.java:1)"))
                .isEqualTo("java.lang.IllegalStateException: boom");
        assertThat(HealthWindow.rootCause(null)).isEqualTo("(no detail)");
    }
}

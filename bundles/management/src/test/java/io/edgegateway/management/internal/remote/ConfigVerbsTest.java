package io.edgegateway.management.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConfigVerbsTest {

    @Test
    void theComponentsFailureIsTheInnermostCauseWithoutItsClassName() {
        String trace = "org.osgi.service.component.ComponentException: Error during instantiation\n"
                + "\tat org.apache.felix.scr.impl.X.y(X.java:1)\n"
                + "Caused by: java.lang.reflect.InvocationTargetException\n"
                + "Caused by: java.lang.IllegalArgumentException: io.edgegateway.rules.ewma: setting 'alpha' = 1.5 "
                + "must be in (0, 1]\n\tat a.b(C.java:2)\n";
        assertThat(ConfigVerbs.failureLine(trace))
                .isEqualTo("io.edgegateway.rules.ewma: setting 'alpha' = 1.5 must be in (0, 1]");
        assertThat(ConfigVerbs.failureLine(null)).contains("no reason");
    }
}

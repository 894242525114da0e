package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The README's third-party rule bundle (anomaly-rules/example-rate: a pom and one class), dropped with its
 * configuration into deploy/ of a running gateway, raises alerts under its own name.
 */
class ThirdPartyRuleIT {

    @TempDir
    Path dir;

    @Test
    void aRuleBundleDroppedIntoDeployRaisesAlerts() throws Exception {
        Path jar = Path.of(System.getProperty("example.rule.jar", "anomaly-rules/example-rate/target/rate-rule-1.0.0.jar"));
        assertThat(jar).exists();
        try (GatewayFixture f = new GatewayFixture(dir, "it-3rd")) {
            f.startGateway();
            f.awaitSourceSubscribed();

            // a third party's bundle is trusted once a key the gateway trusts signed it (here: the build's)
            DeployArtifacts.drop(jar, f.home.resolve("deploy/rate-rule-1.0.0.jar"));
            GatewayHomes.configure(f.home, "com.example.rate-line1.cfg",
                    Map.of("detector.signal", "*temperature", "max.per.s", "0.5"));

            // a temperature climbing 2 degC per second: four times the allowed rate
            long t0 = System.currentTimeMillis();
            MqttRecorder.Received alert = null;
            for (int i = 0; i < 60 && alert == null; i++) {
                f.publish("plant/oven-1/temperature",
                        GatewayFixture.sample("oven-1", "temperature", 100 + 2.0 * i, "degC", t0 + i * 1000L), 1);
                alert = f.recorder.next(r -> r.topic().equals(f.topic("alerts/oven-1"))
                        && r.payload().contains("\"rate\""), 500);
            }
            assertThat(alert).as("alert from the third-party rule; log:%n%s", f.gateway.logText()).isNotNull();
            JsonNode a = alert.json();
            assertThat(a.path("detector").asText()).isEqualTo("rate");
            assertThat(a.path("detectorVersion").asText()).isEqualTo("1.0.0");
            assertThat(a.path("score").asDouble()).isCloseTo(4.0, org.assertj.core.data.Offset.offset(0.01));
            assertThat(a.path("baseline").asDouble()).isEqualTo(0.5);
        }
    }
}

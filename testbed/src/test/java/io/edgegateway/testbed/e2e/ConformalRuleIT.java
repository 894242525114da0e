package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The NAB-measured conformal detector (rules-statistical, shipped in deploy/ without a configuration) is switched on
 * for one signal by dropping a configuration into a running gateway, learns the signal, and alerts on a spike.
 */
class ConformalRuleIT {

    @TempDir
    Path dir;

    @Test
    void conformalRuleLearnsTheSignalAndAlertsOnASpike() throws Exception {
        try (GatewayFixture f = new GatewayFixture(dir, "it-conformal")) {
            GatewayHomes.remove(f.home, "io.edgegateway.rules.ewma-all.cfg"); // only the rule under test
            f.startGateway();
            f.awaitSourceSubscribed();
            GatewayHomes.configure(f.home, "io.edgegateway.rules.conformal-flow.cfg",
                    Map.of("detector.asset", "pump-c", "detector.signal", "flow"));
            assertThat(f.gateway.awaitLog("Detector conformal[pump-c/flow]", java.time.Duration.ofSeconds(20)))
                    .as("rule bound; log:%n%s", f.gateway.logText()).isTrue();

            Random noise = new Random(11);
            long t0 = System.currentTimeMillis() - 400 * 60_000L;
            for (int i = 0; i < 400; i++) { // a noisy, normal flow, one sample a minute
                f.publish("plant/pump-c/flow", GatewayFixture.sample("pump-c", "flow",
                        120 + noise.nextGaussian() * 2, "m3/h", t0 + i * 60_000L), 1);
            }
            // (a false alert on the normal part is possible: about 13 per 10,000 samples of pure noise)
            f.publish("plant/pump-c/flow", GatewayFixture.sample("pump-c", "flow", 160, "m3/h",
                    t0 + 400 * 60_000L), 1);
            MqttRecorder.Received alert = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-c"))
                    && r.json().path("value").asDouble() == 160.0, 15_000);
            assertThat(alert).as("conformal alert; log:%n%s", f.gateway.logText()).isNotNull();
            JsonNode a = alert.json();
            assertThat(a.path("detector").asText()).isEqualTo("conformal");
            assertThat(a.path("score").asDouble()).isBetween(0.39, 1.0);
            assertThat(a.path("baseline").asDouble()).isBetween(110.0, 130.0);
        }
    }
}

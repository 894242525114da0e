package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The asset health model in the real gateway through a real mosquitto: a pump's four signals are learnt after the
 * rule is configured, the model is frozen and stored; a slow bearing wear raises one alarm that is held while the
 * wear lasts and cleared when the pump is back to normal, naming the signals that drive it; after a restart the
 * stored model is used at once.
 */
class HealthModelIT {

    @TempDir
    Path dir;

    /** A pump whose signals follow one slow load factor, with sensor noise; seeded, one tick a second. */
    static final class Pump {
        final Random random = new Random(2026);
        double load;
        long t;

        Pump(long t0) {
            t = t0;
        }

        /** The next tick; {@code wear} in [0, 1] raises vibration and bearing temperature. */
        List<String[]> next(double wear) {
            load = 0.95 * load + 0.31 * random.nextGaussian();
            List<String[]> out = new ArrayList<>();
            out.add(new String[] {"flow", Double.toString(120 + 6 * load + random.nextGaussian()), "m3/h"});
            out.add(new String[] {"current", Double.toString(40 + 2 * load + 0.3 * random.nextGaussian()), "A"});
            out.add(new String[] {"vibration", Double.toString(2.0 + 0.2 * load + 0.05 * random.nextGaussian()
                    + 0.6 * wear), "mm/s"});
            out.add(new String[] {"bearing_temperature", Double.toString(55 + 1.5 * load
                    + 0.3 * random.nextGaussian() + 4 * wear), "degC"});
            t += 1000;
            return out;
        }
    }

    private static void publish(GatewayFixture f, Pump pump, double wear) throws Exception {
        long ts = pump.t;
        for (String[] s : pump.next(wear)) {
            f.publish("plant/pump-h/" + s[0], GatewayFixture.sample("pump-h", s[0], Double.parseDouble(s[1]), s[2],
                    ts), 1);
        }
    }

    private static List<JsonNode> healthAlerts(GatewayFixture f) {
        List<JsonNode> out = new ArrayList<>();
        for (MqttRecorder.Received r : f.recorder.drain()) {
            if (r.topic().equals(f.topic("alerts/pump-h")) && r.json().path("detector").asText().equals("health")) {
                out.add(r.json());
            }
        }
        return out;
    }

    /** Waits until the gateway has evaluated everything published so far (the pipeline's own counter). */
    private static void awaitEvaluated(GatewayFixture f, long samples) throws Exception {
        f.awaitMetrics(m -> m.path("evaluated").asLong() >= samples, Duration.ofSeconds(60));
        Thread.sleep(1000); // an alert raised by the last samples is on its way through the outbox
    }

    @Test
    void learnsFreezesRaisesHoldsClearsAndSurvivesARestart() throws Exception {
        try (GatewayFixture f = new GatewayFixture(dir, "it-health")) {
            f.startGateway();
            f.awaitSourceSubscribed();
            long base = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("evaluated").asLong();
            GatewayHomes.configure(f.home, "io.edgegateway.rules.health-pumps.cfg", Map.of("detector.asset",
                    "pump-h", "tick.ms", "1000", "learn.duration", "400 ticks"));
            assertThat(f.gateway.awaitLog("Health model 'pumps' for assets pump-h", Duration.ofSeconds(20)))
                    .as("rule active; log:%n%s", f.gateway.logText()).isTrue();
            Thread.sleep(500); // the pipeline binds the new detector

            Pump pump = new Pump(Instant.now().minus(Duration.ofHours(2)).toEpochMilli());
            long published = 0;
            for (int i = 0; i < 402; i++) {
                publish(f, pump, 0);
                published += 4;
            }
            assertThat(f.gateway.awaitLog("Health model 'pumps': pump-h learnt in", Duration.ofSeconds(30)))
                    .as("learnt; log:%n%s", f.gateway.logText()).isTrue();
            Path stored = f.home.resolve("data/health/pumps/pump-h.g1.json");
            assertThat(stored).exists();
            assertThat(Files.readString(stored)).contains("\"bearing_temperature\"").contains("\"vibration\"");

            for (int i = 0; i < 200; i++) { // normal operation after the freeze
                publish(f, pump, 0);
                published += 4;
            }
            awaitEvaluated(f, base + published);
            assertThat(healthAlerts(f)).as("alerts on normal operation after learning").isEmpty();

            // bearing wear: grows over 300 s, stays for 300 s; then the pump is repaired
            for (int i = 0; i < 600; i++) {
                publish(f, pump, Math.min(1.0, i / 300.0));
                published += 4;
            }
            awaitEvaluated(f, base + published);
            List<JsonNode> duringWear = healthAlerts(f);
            assertThat(duringWear).as("one alarm, held for the whole wear; log:%n%s", f.gateway.logText())
                    .hasSize(1);
            JsonNode raised = duringWear.get(0);
            assertThat(raised.path("state").asText()).isEqualTo("raised");
            assertThat(raised.path("signal").asText()).isIn("vibration", "bearing_temperature");
            assertThat(raised.path("activeSince").asText()).isNotEmpty();
            JsonNode top = raised.path("contributions").get(0);
            assertThat(top.path("signal").asText()).isIn("vibration", "bearing_temperature");
            assertThat(top.path("direction").asText()).isEqualTo("up");
            assertThat(raised.path("contributions").size()).isEqualTo(4);
            assertThat(raised.path("message").asText()).contains("abnormal");

            for (int i = 0; i < 100; i++) {
                publish(f, pump, 0);
                published += 4;
            }
            awaitEvaluated(f, base + published);
            List<JsonNode> afterRepair = healthAlerts(f);
            assertThat(afterRepair).hasSize(1);
            JsonNode cleared = afterRepair.get(0);
            assertThat(cleared.path("state").asText()).isEqualTo("cleared");
            assertThat(cleared.path("activeSince").asText()).isEqualTo(raised.path("activeSince").asText());
            assertThat(cleared.path("durationMs").asLong()).isBetween(200_000L, 700_000L);
            assertThat(cleared.path("severity").asText()).isEqualTo("INFO");

            // a restart: the stored model is used at once, nothing is learnt again
            f.gateway.close();
            Files.move(f.home.resolve("gateway.log"), f.home.resolve("gateway.log.before-restart"));
            f.startGateway();
            f.awaitSourceSubscribed();
            long base2 = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("evaluated").asLong();
            healthAlerts(f);
            long published2 = 0;
            for (int i = 0; i < 400; i++) {
                publish(f, pump, i < 30 ? 0 : Math.min(1.0, (i - 30) / 100.0));
                published2 += 4;
            }
            awaitEvaluated(f, base2 + published2);
            assertThat(f.gateway.logText()).contains("pump-h monitored with its stored model");
            List<JsonNode> afterRestart = healthAlerts(f);
            assertThat(afterRestart).as("log:%n%s", f.gateway.logText()).hasSize(1);
            assertThat(afterRestart.get(0).path("state").asText()).isEqualTo("raised");
        }
    }
}

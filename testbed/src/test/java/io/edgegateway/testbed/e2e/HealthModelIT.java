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
        publish(f, "pump-h", pump, wear);
    }

    private static void publish(GatewayFixture f, String asset, Pump pump, double wear) throws Exception {
        long ts = pump.t;
        for (String[] s : pump.next(wear)) {
            f.publish("plant/" + asset + "/" + s[0], GatewayFixture.sample(asset, s[0], Double.parseDouble(s[1]),
                    s[2], ts), 1);
        }
    }

    private static List<JsonNode> healthAlerts(GatewayFixture f) {
        return healthAlerts(f, "pump-h");
    }

    private static List<JsonNode> healthAlerts(GatewayFixture f, String asset) {
        List<JsonNode> out = new ArrayList<>();
        for (MqttRecorder.Received r : f.recorder.drain()) {
            if (r.topic().equals(f.topic("alerts/" + asset)) && r.json().path("detector").asText().equals("health")) {
                out.add(r.json());
            }
        }
        return out;
    }

    /** A historian export of normal operation: {@code rows} ticks of a pump like the live one (another seed). */
    private static Path normalCsv(Path file, int rows) throws Exception {
        Pump pump = new Pump(0);
        pump.random.setSeed(7);
        List<String> lines = new ArrayList<>();
        lines.add("time,flow,current,vibration,bearing_temperature");
        for (int i = 0; i < rows; i++) {
            long ts = pump.t;
            StringBuilder line = new StringBuilder(Long.toString(ts / 1000));
            for (String[] s : pump.next(0)) {
                line.append(',').append(s[1]);
            }
            lines.add(line.toString());
        }
        Files.write(file, lines);
        return file;
    }

    private static Path fit(Path csv, Path out, String version) {
        int code = new picocli.CommandLine(new io.edgegateway.testbed.Tools()).execute("fit", "--input",
                csv.toString(), "--asset-type", "pump", "--out", out.toString(), "--version", version);
        assertThat(code).as("fit exit code").isZero();
        return out.resolve("health-model-pump-" + version + ".jar");
    }

    @Test
    void aFittedModelBundleIsUsedWithoutLearningAndHotSwappedAndABrokenOneIsRejected() throws Exception {
        Path csv = normalCsv(dir.resolve("pump-normal.csv"), 2000);
        Path v100 = fit(csv, dir.resolve("models"), "1.0.0");
        try (GatewayFixture f = new GatewayFixture(dir, "it-health-fit")) {
            f.startGateway();
            f.awaitSourceSubscribed();
            Path target = f.home.resolve("deploy/health-model-pump.jar");
            io.edgegateway.testbed.harness.DeployArtifacts.drop(v100, target);
            assertThat(f.gateway.awaitLog("io.edgegateway.health-model.pump 1.0.0 in service", Duration.ofSeconds(1)))
                    .isFalse(); // no rule for the type yet: nobody reads it
            GatewayHomes.configure(f.home, "io.edgegateway.rules.health-typed.cfg", Map.of("detector.asset",
                    "pump-t", "asset.type", "pump", "learn.duration", "400 ticks"));
            assertThat(f.gateway.awaitLog("io.edgegateway.health-model.pump 1.0.0 in service",
                    Duration.ofSeconds(30))).as("fitted model in service; log:%n%s", f.gateway.logText()).isTrue();
            Thread.sleep(500);

            long base = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("evaluated").asLong();
            Pump pump = new Pump(Instant.now().minus(Duration.ofHours(1)).toEpochMilli());
            long published = 0;
            for (int i = 0; i < 350; i++) { // normal for 100 s, then bearing wear: no learning period first
                publish(f, "pump-t", pump, i < 100 ? 0 : Math.min(1.0, (i - 100) / 150.0));
                published += 4;
            }
            awaitEvaluated(f, base + published);
            String log = f.gateway.logText();
            assertThat(log).contains("pump-t monitored with the fitted model of asset type 'pump'"
                    + " (io.edgegateway.health-model.pump 1.0.0)").doesNotContain("pump-t learns");
            List<JsonNode> alerts = healthAlerts(f, "pump-t");
            assertThat(alerts).as("log:%n%s", log).hasSize(1);
            assertThat(alerts.get(0).path("state").asText()).isEqualTo("raised");
            // the wear moves vibration and bearing temperature away from what the load says: both are among the
            // top three contributions, above what is expected (which of the four comes first is ambiguous when two
            // of four load-driven signals move together)
            List<String> upInTopThree = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                JsonNode contribution = alerts.get(0).path("contributions").get(c);
                if (contribution.path("direction").asText().equals("up")) {
                    upInTopThree.add(contribution.path("signal").asText());
                }
            }
            assertThat(upInTopThree).as("alert %s", alerts.get(0)).contains("vibration", "bearing_temperature");
            assertThat(alerts.get(0).path("signal").asText())
                    .isEqualTo(alerts.get(0).path("contributions").get(0).path("signal").asText());

            // a broken update: rejected, naming the bundle; 1.0.0 keeps serving; the deployment agent sees the rule's
            // health turn bad in the update's health window and rolls the bundle back
            byte[] damaged = "{\"format\":\"edge-gateway-health-model/1\",\"signals\":[\"flow\"]}"
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Path broken = io.edgegateway.testbed.harness.BundleJars.variant(v100, dir.resolve("broken.jar"),
                    Map.of("Bundle-Version", "1.1.0"), 0, Map.of("health/model.json", bytes -> damaged));
            io.edgegateway.testbed.harness.DeployArtifacts.drop(broken, target);
            assertThat(f.gateway.awaitLog("Fitted health model for asset type 'pump' rejected:"
                    + " io.edgegateway.health-model.pump 1.1.0!/health/model.json", Duration.ofSeconds(30)))
                    .as("log:%n%s", f.gateway.logText()).isTrue();
            assertThat(f.gateway.awaitLog("Deployment ROLLED BACK deploy/health-model-pump.jar"
                    + " (io.edgegateway.health-model.pump 1.0.0 -> 1.1.0)", Duration.ofSeconds(30)))
                    .as("the deployment agent rolls the broken model back; log:%n%s", f.gateway.logText()).isTrue();
            assertThat(f.gateway.logText()).contains("io.edgegateway.health-model.pump 1.0.0 stays in service")
                    .doesNotContain("assets learn by themselves");

            // a good update: switched while running
            Path v120 = fit(csv, dir.resolve("models"), "1.2.0");
            io.edgegateway.testbed.harness.DeployArtifacts.drop(v120, target);
            assertThat(f.gateway.awaitLog("io.edgegateway.health-model.pump 1.2.0 in service",
                    Duration.ofSeconds(30))).as("log:%n%s", f.gateway.logText()).isTrue();
        }
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

            // re-learn on command (what remote config-set writes): a new generation learns afresh, the old model
            // stays on disk for a rollback
            GatewayHomes.configure(f.home, "io.edgegateway.rules.health-pumps.cfg", Map.of("detector.asset",
                    "pump-h", "tick.ms", "1000", "learn.duration", "400 ticks", "model.generation", "2"));
            assertThat(f.gateway.awaitLog("generation 2, models in", Duration.ofSeconds(20)))
                    .as("log:%n%s", f.gateway.logText()).isTrue();
            Thread.sleep(500);
            publish(f, pump, 0);
            publish(f, pump, 0);
            assertThat(f.gateway.awaitLog("pump-h learns its normal behaviour for 400 ticks (generation 2)",
                    Duration.ofSeconds(20))).as("log:%n%s", f.gateway.logText()).isTrue();
            assertThat(stored).exists();
        }
    }
}

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.rul.Cmapss;

/**
 * The real distribution estimates the remaining useful life of a replayed C-MAPSS engine: the model bundle in
 * deploy/ is loaded through DJL (offline) once a RUL configuration appears, the engine's sensors arrive as
 * telemetry (asset engine-91, one JSON sample per sensor per cycle), and gateway/<id>/maintenance/engine-91 carries
 * the estimate, published by the MQTT uplink through its durable outbox. Then the model is hot-swapped: a newer
 * model bundle takes over, a tampered one is rejected, and removing the newer one rolls back. Last, the uplink's
 * broker is killed: an estimate made while it is down waits in the outbox and is delivered once it is back (the
 * engine's telemetry then comes through a second broker).
 */
class RulMaintenanceIT {

    static final Path TRAIN = Path.of(System.getProperty("cmapss.dir", "../../shared/cmapss"), "train_FD001.txt");
    static final String FEATURES = "sensor2,sensor3,sensor4,sensor7,sensor8,sensor9,sensor11,sensor12,sensor13,"
            + "sensor14,sensor15,sensor17,sensor20,sensor21";
    /** The maintenance message's keys, in order: the schema the estimator has always published. */
    static final List<String> SCHEMA = List.of("assetId", "rulCycles", "healthIndex", "modelId", "modelVersion",
            "windowLength", "samplesInWindow", "time", "latencyMs");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aReplayedEngineGetsRulEstimatesAndTheModelHotSwaps() throws Exception {
        try (GatewayFixture f = new GatewayFixture(dir, "it-rul", true);
             MosquittoBroker telemetry = MosquittoBroker.start(dir.resolve("telemetry-broker"))) {
            String cache = System.getProperty("djl.cache");
            if (cache != null) { // one libtorch unpack for all test homes
                Files.writeString(f.home.resolve("conf/framework.properties"), "\ngateway.djl.cache=" + cache + "\n",
                        StandardOpenOption.APPEND);
            }
            GatewayHomes.remove(f.home, "io.edgegateway.rules.ewma-all.cfg"); // flat sensors are no anomaly here
            GatewayHomes.remove(f.home, "io.edgegateway.rules.stuck-analog.cfg");
            GatewayHomes.configure(f.home, "io.edgegateway.rul-cmapss.cfg", Map.of("detector.asset", "engine-*",
                    "detector.signal", "sensor*", "signal.map", FEATURES, "interval.s", "1"));
            // a second telemetry source, so engine data still arrives while the uplink's broker is down
            GatewayHomes.configure(f.home, "io.edgegateway.mqtt.source-engines.cfg", Map.of("source.name",
                    "engines", "broker.url", telemetry.url(), "topics", "plant/+/+", "topic.pattern",
                    "plant/{asset}/{signal}"));
            f.startGateway();
            assertThat(f.gateway.awaitLog("Model rul-cmapss-fd001 1.0.0 loaded", Duration.ofSeconds(60)))
                    .as("model loaded; log:%n%s", f.gateway.logText()).isTrue();
            assertThat(f.gateway.logText()).contains("DJL engine PyTorch 2.7.1 started").doesNotContain("Exception");
            f.awaitSourceSubscribed();

            // engine 91: a held-out engine, 135 cycles to failure; the model says ~2 cycles left at the end
            Cmapss.Unit unit = Cmapss.read(TRAIN).stream().filter(u -> u.unit() == 91).findFirst().orElseThrow();
            replay(f, unit, 0, unit.rows().size());
            MqttRecorder.Received end = f.recorder.next(r -> r.topic().equals(f.topic("maintenance/engine-91"))
                    && r.json().path("rulCycles").asDouble() < 15, 60_000);
            assertThat(end).as("end-of-life estimate; log:%n%s", f.gateway.logText()).isNotNull();
            JsonNode e = end.json();
            assertThat(fieldNames(e)).isEqualTo(SCHEMA);
            assertThat(e.path("assetId").asText()).isEqualTo("engine-91");
            assertThat(e.path("rulCycles").asDouble()).isBetween(0.0, 15.0);
            assertThat(e.path("healthIndex").asDouble()).isCloseTo(e.path("rulCycles").asDouble() / 125,
                    org.assertj.core.api.Assertions.within(1e-3));
            assertThat(e.path("modelId").asText()).isEqualTo("rul-cmapss-fd001");
            assertThat(e.path("modelVersion").asText()).isEqualTo("1.0.0");
            assertThat(e.path("windowLength").asInt()).isEqualTo(30);
            assertThat(e.path("samplesInWindow").asInt()).isEqualTo(30);
            assertThat(e.path("latencyMs").asDouble()).isBetween(0.0, 50.0);
            assertThat(e.path("time").asText()).isNotBlank();
            List<String> earlier = f.recorder.drain().stream()
                    .filter(r -> r.topic().equals(f.topic("maintenance/engine-91")))
                    .map(r -> r.json().path("samplesInWindow").asText() + ":" + r.json().path("latencyMs").asText())
                    .toList();
            long rss = f.gateway.rssBytes();
            System.out.printf("RUL IT: end-of-life estimate %s; earlier (samples:latencyMs) %s; gateway RSS with the "
                    + "model loaded %d MB%n", e, earlier, rss >> 20);

            // a newer model bundle takes over after it loaded and warmed up
            Path shipped = onlyModelJar(f.home);
            Path deploy = f.home.resolve("deploy");
            DeployArtifacts.drop(variant(shipped, "1.1.0", false), deploy.resolve("model-rul-1.1.0.jar"));
            assertThat(f.gateway.awaitLog("in service: 1.1.0 (was 1.0.0)", Duration.ofSeconds(30)))
                    .as("swap; log:%n%s", f.gateway.logText()).isTrue();
            replay(f, unit, unit.rows().size() - 1, unit.rows().size());
            MqttRecorder.Received swapped = f.recorder.next(r -> r.topic().equals(f.topic("maintenance/engine-91"))
                    && r.json().path("modelVersion").asText().equals("1.1.0"), 30_000);
            assertThat(swapped).as("estimate by the new model; log:%n%s", f.gateway.logText()).isNotNull();

            // a newer but tampered one (artifact does not match its sha256) is rejected; 1.1.0 stays
            DeployArtifacts.drop(variant(shipped, "1.2.0", true), deploy.resolve("model-rul-1.2.0.jar"));
            assertThat(f.gateway.awaitLog("REJECTED", Duration.ofSeconds(30)))
                    .as("rejection; log:%n%s", f.gateway.logText()).isTrue();
            assertThat(f.gateway.logText()).contains("sha256").doesNotContain("in service: 1.2.0");

            // removing the newest loaded model rolls back to the shipped one
            DeployArtifacts.remove(deploy.resolve("model-rul-1.1.0.jar"));
            assertThat(f.gateway.awaitLog("in service now: 1.0.0", Duration.ofSeconds(30)))
                    .as("rollback; log:%n%s", f.gateway.logText()).isTrue();
            replay(f, unit, unit.rows().size() - 1, unit.rows().size());
            MqttRecorder.Received back = f.recorder.next(r -> r.topic().equals(f.topic("maintenance/engine-91"))
                    && r.json().path("modelVersion").asText().equals("1.0.0"), 30_000);
            assertThat(back).as("estimate after rollback; log:%n%s", f.gateway.logText()).isNotNull();
            System.out.printf("RUL IT: latencyMs after the replay: %s (1.1.0), %s (1.0.0 again)%n",
                    swapped.json().path("latencyMs"), back.json().path("latencyMs"));

            // an estimate made while the uplink's broker is down is stored in the outbox and delivered afterwards
            BlockingQueue<JsonNode> delivered = new LinkedBlockingQueue<>();
            MqttClient subscriber = persistentSubscriber(f, delivered);
            try (MqttClient enginePublisher = new MqttClient(telemetry.url(), "it-engines-" + System.nanoTime(),
                    new MemoryPersistence())) {
                MqttConnectOptions options = new MqttConnectOptions();
                options.setMaxInflight(1000);
                enginePublisher.connect(options);
                awaitAccepted(f, enginePublisher);
                Instant down = Instant.now();
                f.broker.kill();
                assertThat(f.gateway.awaitLog("MQTT uplink: connection to " + f.broker.url() + " lost",
                        Duration.ofSeconds(30))).as("uplink noticed; log:%n%s", f.gateway.logText()).isTrue();
                List<String> features = List.of(FEATURES.split(","));
                double[][] rows = unit.select(features);
                for (int c = rows.length - 30; c < rows.length; c++) {
                    for (int k = 0; k < features.size(); k++) {
                        MqttMessage m = new MqttMessage(GatewayFixture.sample("engine-91", features.get(k),
                                rows[c][k], "", System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
                        m.setQos(1);
                        enginePublisher.publish("plant/engine-91/" + features.get(k), m);
                    }
                }
                Thread.sleep(4_000); // interval.s = 1: estimated while the broker is down
                Instant up = Instant.now();
                f.broker.restart();
                subscriber.connect(subscriberOptions()); // its session (subscription, queue) survived the kill
                // the estimates made while the broker was down, as the outbox delivers them; the last one is over
                // the replayed window (one made while the replay was under way sees a window of old and new rows)
                JsonNode late = null;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline) {
                    JsonNode m = delivered.poll(late == null ? 1 : 3, TimeUnit.SECONDS);
                    if (m == null && late != null) {
                        break; // the outbox has delivered what it held
                    }
                    Instant made = m == null ? null : Instant.parse(m.path("time").asText());
                    if (made != null && made.isAfter(down)
                            && (late == null || made.isAfter(Instant.parse(late.path("time").asText())))) {
                        late = m;
                    }
                }
                assertThat(late).as("estimate made while the broker was down; log:%n%s", f.gateway.logText())
                        .isNotNull();
                assertThat(Instant.parse(late.path("time").asText())).isBefore(up);
                assertThat(fieldNames(late)).isEqualTo(SCHEMA);
                assertThat(late.path("assetId").asText()).isEqualTo("engine-91");
                assertThat(late.path("rulCycles").asDouble()).isBetween(0.0, 15.0);
                System.out.printf("RUL IT: made while the broker was down (%s .. %s), delivered after: %s%n", down,
                        up, late);
                enginePublisher.disconnect();
            } finally {
                subscriber.disconnectForcibly(0, 1000);
                subscriber.close();
            }
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static MqttConnectOptions subscriberOptions() {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false); // the broker keeps its subscription and queues QoS 1 messages for it
        return options;
    }

    /** A subscriber to engine-91's maintenance topic whose session the (persistent) broker keeps across a kill. */
    private static MqttClient persistentSubscriber(GatewayFixture f, BlockingQueue<JsonNode> into)
            throws MqttException {
        MqttClient client = new MqttClient(f.broker.url(), "it-maintenance-" + System.nanoTime(),
                new MemoryPersistence());
        client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) throws Exception {
                into.add(JSON.readTree(message.getPayload()));
            }

            @Override
            public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
            }
        });
        client.connect(subscriberOptions());
        client.subscribe(f.topic("maintenance/engine-91"), 1);
        return client;
    }

    /** Publishes probes on the engines' broker until the gateway's metrics show them accepted. */
    private static void awaitAccepted(GatewayFixture f, MqttClient publisher) throws Exception {
        long before = f.awaitMetrics(m -> true, Duration.ofSeconds(30)).path("accepted").asLong();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            publisher.publish("plant/probe/engines", GatewayFixture.sample("probe", "engines", 0, "",
                    System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8), 1, false);
            MqttRecorder.Received r = f.recorder.next(x -> x.topic().equals(f.topic("metrics")), 2_000);
            if (r != null && r.json().path("accepted").asLong() > before) {
                return;
            }
        }
        throw new AssertionError("the engines' telemetry source never accepted a sample\n" + f.gateway.logText());
    }

    /** Publishes cycles [from, to) of a unit: one JSON sample per feature per cycle, one minute apart. */
    private static void replay(GatewayFixture f, Cmapss.Unit unit, int from, int to) throws Exception {
        List<String> features = List.of(FEATURES.split(","));
        long t0 = System.currentTimeMillis() - unit.rows().size() * 60_000L;
        double[][] rows = unit.select(features);
        for (int c = from; c < to; c++) {
            for (int k = 0; k < features.size(); k++) {
                f.publish("plant/engine-91/" + features.get(k), GatewayFixture.sample("engine-91", features.get(k),
                        rows[c][k], "", t0 + c * 60_000L), 1);
            }
        }
    }

    private static Path onlyModelJar(Path home) throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("deploy"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("model-rul-cmapss-fd001")
                    && p.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow();
        }
    }

    /** The shipped model bundle as another version; {@code tamper}: one byte of the artifact flipped. */
    private Path variant(Path jar, String version, boolean tamper) throws IOException {
        Path out = dir.resolve("model-" + version + ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
            try (JarOutputStream jout = new JarOutputStream(Files.newOutputStream(out), mf)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    byte[] data = readAll(in);
                    if (e.getName().equals("model/model.json")) {
                        data = new String(data, StandardCharsets.UTF_8)
                                .replace("\"version\": \"1.0.0\"", "\"version\": \"" + version + "\"")
                                .getBytes(StandardCharsets.UTF_8);
                    } else if (tamper && e.getName().equals("model/rul-fd001-fp32.pt")) {
                        data[data.length / 2] ^= 1;
                    }
                    jout.putNextEntry(new JarEntry(e.getName()));
                    jout.write(data);
                    jout.closeEntry();
                }
            }
        }
        return out;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }

}

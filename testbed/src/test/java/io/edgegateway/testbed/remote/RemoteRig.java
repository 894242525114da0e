package io.edgegateway.testbed.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.BundleJars;
import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.RemoteCli;

/**
 * Remote management tests' set-up: a real mosquitto, real gateways (each its own process and home, no language
 * model and only the threshold rules, so that several fit on two cores), a recorder of everything under
 * {@code gateway/#}, a raw MQTT client for hand-made requests and telemetry, and the CLI of the distribution.
 */
final class RemoteRig implements AutoCloseable {

    static final String FIXTURE = "io.edgegateway.testbed-update-fixture";
    /** Small gateways: five of them run beside the build on two cores. */
    static final String JAVA_OPTS = "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger PROBES = new AtomicInteger();

    final Path dir;
    final MosquittoBroker broker;
    MqttRecorder recorder;
    MqttClient client;
    final Map<String, GatewayProcess> gateways = new LinkedHashMap<>();
    private final int windowSeconds;
    private int requests;

    RemoteRig(Path dir, int windowSeconds) throws Exception {
        this.dir = dir;
        this.windowSeconds = windowSeconds;
        this.broker = MosquittoBroker.start(dir.resolve("broker"));
        connectClients();
    }

    /** (Re)connects the recorder and the raw client, e.g. after the broker was killed and restarted. */
    void connectClients() throws MqttException {
        if (recorder != null) {
            try {
                recorder.close();
                client.close(true);
            } catch (MqttException ignored) {
                // they lost the broker
            }
        }
        recorder = new MqttRecorder(broker.url(), "gateway/#");
        client = new MqttClient(broker.url(), "remote-it-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMaxInflight(1000);
        client.connect(o);
    }

    Path home(String id) {
        return dir.resolve("home-" + id);
    }

    /** Creates the gateway's home (first time), starts it, waits until it runs and its agent is idle. */
    GatewayProcess start(String id) throws Exception {
        GatewayProcess g = launch(id);
        awaitStarted(id, 0);
        awaitIdle(id, Duration.ofSeconds(180));
        return g;
    }

    /** Starts a gateway process (home created the first time) without waiting. */
    GatewayProcess launch(String id) throws Exception {
        Path home = home(id);
        if (!home.resolve("conf").toFile().exists()) {
            GatewayHomes.create(home);
            GatewayHomes.remove(home, "io.edgegateway.rules.ewma-all.cfg");
            GatewayHomes.remove(home, "io.edgegateway.rules.stuck-analog.cfg");
            GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
            GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
            DeployArtifacts.healthWindow(home, windowSeconds);
        }
        GatewayProcess g = GatewayProcess.start(home, broker.url(), id, Map.of(), JAVA_OPTS);
        gateways.put(id, g);
        return g;
    }

    /** Waits for "Gateway '<id>' started" in the log after {@code offset} (the log's length before a restart). */
    void awaitStarted(String id, int offset) throws Exception {
        GatewayProcess g = gateways.get(id);
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!g.logText().substring(Math.min(offset, g.logText().length())).contains("Gateway '" + id + "' started")) {
            assertThat(g.isAlive()).as("gateway %s alive; log:%n%s", id, g.logText()).isTrue();
            assertThat(System.nanoTime()).as("gateway %s start; log:%n%s", id, g.logText()).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Waits (asking with status) until the deployment agent has committed the shipped bundles and does nothing. */
    void awaitIdle(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            JsonNode r = request(id, "status", Map.of(), Duration.ofSeconds(10));
            if (r != null) {
                last = r;
                JsonNode d = r.path("result").path("health").path("deployment").path("counters");
                if (d.path("committed").asLong() >= 4 && d.path("in_progress").asLong() == 0) {
                    return;
                }
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("gateway " + id + " never became idle; last status: " + last + "\nlog:\n"
                + gateways.get(id).logText());
    }

    /** Sends a request with these fields (and a fresh request id); returns its final answer, or null. */
    JsonNode request(String id, String verb, Map<String, Object> fields, Duration timeout) throws Exception {
        String requestId = "it-" + (++requests) + "-" + System.nanoTime();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("requestId", requestId);
        body.putAll(fields);
        raw(id, verb, JSON.writeValueAsString(body));
        return answer(id, verb, requestId, timeout);
    }

    /** Publishes a payload as it is on {@code gateway/<id>/cmd/<verb>}. */
    void raw(String id, String verb, String payload) throws MqttException {
        publish("gateway/" + id + "/cmd/" + verb, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** The final answer with {@code requestId} ("" for requests that had none) on the verb's response topic. */
    JsonNode answer(String id, String verb, String requestId, Duration timeout) throws InterruptedException {
        MqttRecorder.Received r = recorder.next(x -> x.topic().equals("gateway/" + id + "/cmd/" + verb + "/response")
                && x.json().path("requestId").asText().equals(requestId) && x.json().path("final").asBoolean(),
                timeout.toMillis());
        return r == null ? null : r.json();
    }

    void publish(String topic, byte[] payload) throws MqttException {
        MqttMessage m = new MqttMessage(payload);
        m.setQos(1);
        client.publish(topic, m);
    }

    void telemetry(String asset, String signal, double value) throws MqttException {
        publish("plant/" + asset + "/" + signal, ("{\"asset\":\"" + asset + "\",\"signal\":\"" + signal
                + "\",\"value\":" + value + ",\"unit\":\"\",\"ts\":" + System.currentTimeMillis() + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Publishes values above the fixture rule's limit until its alert comes: the fixture version that serves. */
    String servingFixtureVersion(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        recorder.drain();
        // a probe asset of its own: an older probe's alert delivered late (outbox after a kill) is not this answer
        String asset = "fixture-probe-" + PROBES.incrementAndGet();
        while (System.nanoTime() < deadline) {
            telemetry(asset, "level", 50);
            telemetry(asset, "level", 150);
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals("gateway/" + id + "/alerts/" + asset)
                    && x.json().path("detector").asText().equals("fixture"), 1_500);
            if (r != null) {
                return r.json().path("detectorVersion").asText();
            }
        }
        return null;
    }

    /** The fixture rule bundle as {@code version} with {@code behaviour}, signed with the build key. */
    Path fixture(String version, String behaviour, int padding) throws IOException {
        Path source = Path.of(System.getProperty("update.fixture.jar",
                "testbed/update-fixture/target/testbed-update-fixture-0.1.0-SNAPSHOT.jar"));
        Path jar = BundleJars.variant(source, dir.resolve("fixture-" + version + "-"
                + behaviour.replaceAll("[^a-z0-9.-]", "_") + ".jar"), Map.of("Bundle-Version", version,
                "Fixture-Behaviour", behaviour), padding);
        DeployArtifacts.sign(jar);
        return jar;
    }

    /** Runs {@code bin/gateway remote --broker <ours> <args>}. */
    RemoteCli.Result cli(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--broker", broker.url()));
        all.addAll(List.of(args));
        return RemoteCli.run(dir.resolve("cli"), 600, all.toArray(String[]::new));
    }

    RemoteCli startCli(String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--broker", broker.url()));
        all.addAll(List.of(args));
        return RemoteCli.start(dir.resolve("cli"), all.toArray(String[]::new));
    }

    /** The status result of a gateway (fails the test when it does not answer). */
    JsonNode status(String id) throws Exception {
        JsonNode r = request(id, "status", Map.of(), Duration.ofSeconds(30));
        assertThat(r).as("status of %s; log:%n%s", id, gateways.get(id).logText()).isNotNull();
        return r.path("result");
    }

    static JsonNode bundle(JsonNode status, String symbolicName) {
        for (JsonNode b : status.path("bundles")) {
            if (b.path("symbolicName").asText().equals(symbolicName)) {
                return b;
            }
        }
        return null;
    }

    @Override
    public void close() throws Exception {
        try {
            for (GatewayProcess g : gateways.values()) {
                g.close();
            }
        } finally {
            try {
                client.disconnect(1000);
                client.close();
            } catch (MqttException ignored) {
                // the broker may be gone
            }
            recorder.close();
            broker.close();
        }
    }
}

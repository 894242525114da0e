package io.edgegateway.testbed.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The deployment tests' set-up: a real mosquitto, the real distribution with its own home (no language model: the
 * two cores are for what is measured), a recorder of everything the gateway publishes, a QoS 1 publisher, and the
 * fixture rule bundle ({@code testbed/update-fixture}) in the versions a test needs.
 */
final class DeployRig implements AutoCloseable {

    static final String FIXTURE = "io.edgegateway.testbed-update-fixture";
    private static final AtomicInteger PROBES = new AtomicInteger();

    final String id;
    final Path dir;
    final Path home;
    final MosquittoBroker broker;
    final MqttRecorder recorder;
    final MqttClient publisher;
    GatewayProcess gateway;

    DeployRig(Path dir, String id, int windowSeconds) throws Exception {
        this.id = id;
        this.dir = dir;
        this.broker = MosquittoBroker.start(dir.resolve("broker"));
        this.home = GatewayHomes.create(dir.resolve("home"));
        GatewayHomes.remove(home, "io.edgegateway.rules.ewma-all.cfg");
        GatewayHomes.remove(home, "io.edgegateway.rules.stuck-analog.cfg");
        GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
        DeployArtifacts.healthWindow(home, windowSeconds);
        this.recorder = new MqttRecorder(broker.url(), "gateway/" + id + "/#");
        this.publisher = new MqttClient(broker.url(), "deploy-test-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMaxInflight(1000);
        publisher.connect(o);
    }

    /** Starts the gateway and waits until the shipped bundles of the new home are committed. */
    void start() throws Exception {
        gateway = GatewayProcess.start(home, broker.url(), id, Map.of(), null);
        assertThat(gateway.awaitLog("Gateway '" + id + "' started", Duration.ofSeconds(60)))
                .as("start; log:%n%s", gateway.logText()).isTrue();
        awaitDeployment(d -> d.path("counters").path("committed").asLong() >= 4
                && d.path("counters").path("in_progress").asLong() == 0, Duration.ofSeconds(90));
    }

    /** The deployment agent's report in the metrics ({@code health.deployment}). */
    JsonNode awaitDeployment(Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals(topic("metrics")), 2_000);
            if (r != null) {
                last = r.json();
                JsonNode d = last.path("health").path("deployment");
                if (!d.isMissingNode() && condition.test(d)) {
                    return last;
                }
            }
        }
        throw new AssertionError("deployment condition not met within " + timeout + "; last metrics: " + last
                + "\ngateway log:\n" + gateway.logText());
    }

    static long counter(JsonNode metrics, String name) {
        return metrics.path("health").path("deployment").path("counters").path(name).asLong();
    }

    String topic(String suffix) {
        return "gateway/" + id + "/" + suffix;
    }

    void publish(String asset, String signal, double value) throws MqttException {
        String json = "{\"asset\":\"" + asset + "\",\"signal\":\"" + signal + "\",\"value\":" + value
                + ",\"unit\":\"\",\"ts\":" + System.currentTimeMillis() + "}";
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        publisher.publish("plant/" + asset + "/" + signal, m);
    }

    /** Publishes a value above the fixture's limit until its alert comes: the fixture version that serves. */
    String servingFixtureVersion(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        recorder.drain();
        // A probe asset of its own: an alert of an earlier probe still in the outbox (a gateway killed before it was
        // delivered sends it after the restart) must not be taken for the version serving now.
        String asset = "fixture-probe-" + PROBES.incrementAndGet();
        while (System.nanoTime() < deadline) {
            publish(asset, "level", 50);
            publish(asset, "level", 150);
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals(topic("alerts/" + asset))
                    && x.json().path("detector").asText().equals("fixture"), 2_000);
            if (r != null) {
                return r.json().path("detectorVersion").asText();
            }
        }
        return null;
    }

    /** The fixture bundle as {@code version} with {@code behaviour} (normal, throw-on-activate, sleep-per-sample-ms=N). */
    Path fixture(String version, String behaviour) throws IOException {
        Path source = Path.of(System.getProperty("update.fixture.jar",
                "testbed/update-fixture/target/testbed-update-fixture-0.1.0-SNAPSHOT.jar"));
        Path target = dir.resolve("fixture-" + version + "-" + behaviour.replaceAll("[^a-z0-9.-]", "_") + ".jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().putValue("Bundle-Version", version);
            mf.getMainAttributes().putValue("Fixture-Behaviour", behaviour);
            try (OutputStream os = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(os, mf)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return target;
    }

    /** Restarts the gateway on the same home (after a kill or a stop); returns the log length before. */
    int restart() throws Exception {
        int offset = gateway.logText().length();
        gateway = GatewayProcess.start(home, broker.url(), id, Map.of(), null);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!gateway.logText().substring(Math.min(offset, gateway.logText().length()))
                .contains("Gateway '" + id + "' started") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return offset;
    }

    @Override
    public void close() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            try {
                publisher.disconnect(1000);
                publisher.close();
            } catch (MqttException ignored) {
                // the broker may be gone
            }
            recorder.close();
            broker.close();
        }
    }
}

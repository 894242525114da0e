package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

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
 * A real mosquitto, the real distribution in its own process with its own home, a recorder subscribed to
 * everything the gateway publishes, and a telemetry publisher: the parts every end-to-end test needs.
 */
final class GatewayFixture implements AutoCloseable {

    final String gatewayId;
    final Path home;
    final MosquittoBroker broker;
    final MqttRecorder recorder;
    final MqttClient publisher;
    GatewayProcess gateway;

    GatewayFixture(Path dir, String gatewayId) throws Exception {
        this(dir, gatewayId, false);
    }

    /** {@code persistentBroker}: sessions of clean-session-false clients survive a broker restart. */
    GatewayFixture(Path dir, String gatewayId, boolean persistentBroker) throws Exception {
        this.gatewayId = gatewayId;
        this.broker = persistentBroker ? MosquittoBroker.startPersistent(dir.resolve("broker"))
                : MosquittoBroker.start(dir.resolve("broker"));
        this.home = GatewayHomes.create(dir.resolve("home"));
        // metrics every second so tests can watch the counters
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
        // tests drop bundles one after another: each waits for the previous one's health window (30 s by default)
        DeployArtifacts.healthWindow(home, 5);
        this.recorder = new MqttRecorder(broker.url(), "gateway/" + gatewayId + "/#");
        this.publisher = new MqttClient(broker.url(), "test-publisher-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setMaxInflight(1000);
        publisher.connect(options);
    }

    void startGateway() throws Exception {
        gateway = GatewayProcess.start(home, broker.url(), gatewayId, Map.of(), null);
        assertThat(gateway.awaitLog("Gateway '" + gatewayId + "' started", Duration.ofSeconds(60)))
                .as("gateway start; log:%n%s", gateway.logText()).isTrue();
        MqttRecorder.Received online = recorder.next(r -> r.topic().equals(topic("status"))
                && r.payload().contains("\"online\""), 30_000);
        assertThat(online).as("online status; log:%n%s", gateway.logText()).isNotNull();
    }

    String topic(String suffix) {
        return "gateway/" + gatewayId + "/" + suffix;
    }

    void publish(String topic, String payload, int qos) throws MqttException {
        publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos);
    }

    void publish(String topic, byte[] payload, int qos) throws MqttException {
        MqttMessage m = new MqttMessage(payload);
        m.setQos(qos);
        publisher.publish(topic, m);
    }

    static String sample(String asset, String signal, double value, String unit, long ts) {
        return "{\"asset\":\"" + asset + "\",\"signal\":\"" + signal + "\",\"value\":" + value + ",\"unit\":\""
                + unit + "\",\"ts\":" + ts + "}";
    }

    /** The next metrics message satisfying {@code condition}, or fails after the timeout. */
    JsonNode awaitMetrics(Predicate<JsonNode> condition, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals(topic("metrics")), 2_000);
            if (r != null) {
                last = r.json();
                if (condition.test(last)) {
                    return last;
                }
            }
        }
        throw new AssertionError("metrics condition not met within " + timeout + "; last metrics: " + last
                + "\ngateway log:\n" + gateway.logText());
    }

    /** Publishes a probe sample until the gateway has accepted samples: its MQTT source is subscribed. */
    void awaitSourceSubscribed() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            publish("plant/probe/ready", sample("probe", "ready", 0, "", System.currentTimeMillis()), 1);
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals(topic("metrics")), 2_000);
            if (r != null && r.json().path("accepted").asLong() > 0) {
                return;
            }
        }
        throw new AssertionError("the gateway's MQTT source never accepted a sample\n" + gateway.logText());
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
                // the broker may be gone already
            }
            recorder.close();
            broker.close();
        }
    }
}

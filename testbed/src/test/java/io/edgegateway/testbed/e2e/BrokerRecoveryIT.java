package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The broker is absent when the gateway starts (Paho does not retry a failed first connect by itself), and later
 * killed with SIGKILL and restarted: both the telemetry source and the uplink come back and alerts flow again.
 */
class BrokerRecoveryIT {

    private static final String ID = "it-recovery";

    @TempDir
    Path dir;

    @Test
    void gatewayConnectsLateAndReconnectsAfterBrokerKill() throws Exception {
        MosquittoBroker broker = MosquittoBroker.start(dir.resolve("broker"));
        broker.kill(); // the port is chosen; nobody listens yet
        Path home = GatewayHomes.create(dir.resolve("home"));
        try (GatewayProcess gateway = GatewayProcess.start(home, broker.url(), ID, Map.of(), null)) {
            assertThat(gateway.awaitLog("Gateway '" + ID + "' started", Duration.ofSeconds(60))).isTrue();
            Thread.sleep(3_000); // a few failed connection attempts
            broker.restart();
            assertAlertsFlow(broker, gateway, "pump-a");

            broker.kill();
            Thread.sleep(2_000);
            broker.restart();
            assertAlertsFlow(broker, gateway, "pump-b");
            assertThat(gateway.isAlive()).isTrue();
        } finally {
            broker.close();
        }
    }

    /** The uplink is back (retained online status) and the source is subscribed again (a sample raises an alert). */
    private static void assertAlertsFlow(MosquittoBroker broker, GatewayProcess gateway, String asset)
            throws Exception {
        try (MqttRecorder recorder = new MqttRecorder(broker.url(), "gateway/" + ID + "/#")) {
            assertThat(recorder.next(r -> r.topic().equals("gateway/" + ID + "/status")
                    && r.payload().contains("\"online\""), 30_000))
                    .as("uplink online again; log:%n%s", gateway.logText()).isNotNull();
            MqttClient publisher = new MqttClient(broker.url(), "pub-" + System.nanoTime(), new MemoryPersistence());
            publisher.connect();
            try {
                MqttRecorder.Received alert = null;
                // until the source has resubscribed: each normal/hot pair re-arms and raises the threshold rule
                for (int i = 0; i < 40 && alert == null; i++) {
                    publish(publisher, asset, 60.0);
                    publish(publisher, asset, 96.0);
                    alert = recorder.next(r -> r.topic().equals("gateway/" + ID + "/alerts/" + asset)
                            && r.payload().contains("\"threshold\""), 1_000);
                }
                assertThat(alert).as("alert for %s after (re)connect; log:%n%s", asset, gateway.logText())
                        .isNotNull();
                assertThat(alert.json().path("value").asDouble()).isEqualTo(96.0);
            } finally {
                publisher.disconnect();
                publisher.close();
            }
        }
    }

    private static void publish(MqttClient client, String asset, double value) throws Exception {
        MqttMessage m = new MqttMessage(GatewayFixture.sample(asset, "bearing_temperature", value, "degC",
                System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        client.publish("plant/" + asset + "/bearing_temperature", m);
    }
}

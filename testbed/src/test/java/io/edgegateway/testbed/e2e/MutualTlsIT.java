package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.mqtt.support.BrokerTls;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.mqtt.support.TestPki;

/**
 * Mutual TLS against a real mosquitto whose TLS listener requires a client certificate signed by the plant's CA
 * (all certificates made by the test): clients without a valid certificate cannot connect; the real distribution
 * started with a certificate from a foreign CA keeps running and says in its log which file the broker rejected;
 * once the right certificate is in place it connects on its next retry (no restart) and alerts arrive.
 */
class MutualTlsIT {

    private static final String GATEWAY_ID = "it-tls";

    @Test
    void onlyClientsWithAValidCertificateConnect(@TempDir Path dir) throws Exception {
        TestPki plant = TestPki.create(dir.resolve("pki"), "plant-ca");
        TestPki foreign = TestPki.create(dir.resolve("pki-foreign"), "foreign-ca");
        TestPki.Issued server = plant.server("broker", List.of("localhost"), List.of("127.0.0.1"));
        TestPki.Issued gatewayCert = plant.client("gateway", GATEWAY_ID, TestPki.KeyType.RSA,
                TestPki.KeyFormat.TRADITIONAL);
        TestPki.Issued observerCert = plant.client("observer", "scada", TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
        TestPki.Issued intruder = foreign.client("intruder", GATEWAY_ID, TestPki.KeyType.EC,
                TestPki.KeyFormat.PKCS8);

        try (MosquittoBroker broker = MosquittoBroker.startTls(dir.resolve("broker"),
                new MosquittoBroker.TlsListener(plant.caFile(), server.cert(), server.key(), true))) {
            assertThat(broker.url()).startsWith("ssl://127.0.0.1:");

            // plain Paho clients: a certificate from another CA, and none at all, are refused
            for (BrokerTls bad : List.of(new BrokerTls(plant.caFile(), intruder.cert(), intruder.key(), true),
                    new BrokerTls(plant.caFile(), null, null, true))) {
                MqttClient c = new MqttClient(broker.url(), "intruder-" + System.nanoTime(), new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setSocketFactory(bad.socketFactory());
                o.setConnectionTimeout(5);
                Throwable refused = null;
                try {
                    c.connect(o);
                } catch (MqttException e) {
                    refused = e;
                } finally {
                    if (c.isConnected()) {
                        c.disconnect();
                    }
                    c.close();
                }
                assertThat(refused).as("a client with %s must not connect", bad.describe()).isNotNull();
                assertThat(bad.explain(refused)).as("%s", refused).containsAnyOf("rejected the client certificate",
                        "requires a client certificate");
            }

            BrokerTls observerTls = new BrokerTls(plant.caFile(), observerCert.cert(), observerCert.key(), true);
            try (MqttRecorder recorder = new MqttRecorder(broker.url(), observerTls.socketFactory(),
                    "gateway/" + GATEWAY_ID + "/#")) {
                // the gateway starts with the foreign certificate where its configuration points
                Path home = GatewayHomes.create(dir.resolve("home"));
                Path tlsDir = Files.createDirectories(home.resolve("conf/tls"));
                Files.copy(plant.caFile(), tlsDir.resolve("ca.pem"));
                Files.copy(intruder.cert(), tlsDir.resolve("gateway.pem"));
                Files.copy(intruder.key(), tlsDir.resolve("gateway.key"));
                Map<String, String> tls = Map.of("tls.ca.file", "conf/tls/ca.pem", "tls.cert.file",
                        "conf/tls/gateway.pem", "tls.key.file", "conf/tls/gateway.key", "reconnect.max.ms", "2000");
                GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", tls);
                GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
                GatewayHomes.configure(home, "io.edgegateway.mqtt.source-plant.cfg", tls);

                try (GatewayProcess gateway = GatewayProcess.start(home, broker.url(), GATEWAY_ID, Map.of(), null)) {
                    String rejected = "TLS: the broker rejected the client certificate from tls.cert.file = '"
                            + tlsDir.resolve("gateway.pem") + "'";
                    assertThat(gateway.awaitLog("MQTT uplink: cannot connect to " + broker.url() + ": " + rejected,
                            Duration.ofSeconds(90))).as("uplink error; log:%n%s", gateway.logText()).isTrue();
                    assertThat(gateway.awaitLog("MQTT source 'plant': cannot connect to " + broker.url() + ": "
                            + rejected, Duration.ofSeconds(30))).as("source error; log:%n%s", gateway.logText())
                            .isTrue();
                    Thread.sleep(3000); // a few retries
                    assertThat(gateway.isAlive()).isTrue();
                    assertThat(recorder.next(r -> r.topic().endsWith("/status") && r.payload().contains("online"),
                            500)).as("no online status with the foreign certificate").isNull();
                    System.out.println("TLS gateway log line: " + gateway.logText().lines()
                            .filter(l -> l.contains(rejected)).findFirst().orElse(""));

                    // the operator puts the right certificate in place: the next retry connects, no restart
                    replace(gatewayCert.cert(), tlsDir.resolve("gateway.pem"));
                    replace(gatewayCert.key(), tlsDir.resolve("gateway.key"));
                    MqttRecorder.Received online = recorder.next(r -> r.topic().equals(
                            "gateway/" + GATEWAY_ID + "/status") && r.payload().contains("\"online\""), 60_000);
                    assertThat(online).as("online status after the fix; log:%n%s", gateway.logText()).isNotNull();

                    MqttClient publisher = new MqttClient(broker.url(), "plant-" + System.nanoTime(),
                            new MemoryPersistence());
                    MqttConnectOptions o = new MqttConnectOptions();
                    o.setSocketFactory(observerTls.socketFactory());
                    publisher.connect(o);
                    try {
                        MqttRecorder.Received alert = null;
                        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                        while (alert == null && System.nanoTime() < deadline) {
                            // until the source has (re)subscribed: each over-limit sample is a fresh excursion
                            publish(publisher, "plant/pump-1/vibration", 2.0);
                            publish(publisher, "plant/pump-1/vibration", 9.0);
                            alert = recorder.next(r -> r.topic().equals("gateway/" + GATEWAY_ID + "/alerts/pump-1"),
                                    2000);
                        }
                        assertThat(alert).as("alert over mutual TLS; log:%n%s", gateway.logText()).isNotNull();
                        assertThat(alert.json().path("signal").asText()).isEqualTo("vibration");
                    } finally {
                        publisher.disconnect();
                        publisher.close();
                    }
                    JsonNode metrics = null;
                    for (int i = 0; i < 10 && metrics == null; i++) {
                        MqttRecorder.Received m = recorder.next(r -> r.topic().endsWith("/metrics"), 3000);
                        metrics = m == null ? null : m.json();
                    }
                    assertThat(metrics).isNotNull();
                    assertThat(metrics.path("uplink_tls_failures").asLong()).isPositive();
                    System.out.printf("TLS: %d failed attempts before the fix, all TLS: %d%n",
                            metrics.path("uplink_connect_failures").asLong(),
                            metrics.path("uplink_tls_failures").asLong());
                }
            }
        }
    }

    private static void publish(MqttClient c, String topic, double value) throws MqttException {
        String json = "{\"asset\":\"pump-1\",\"signal\":\"vibration\",\"value\":" + value + ",\"unit\":\"mm/s\",\"ts\":"
                + System.currentTimeMillis() + "}";
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        c.publish(topic, m);
    }

    private static void replace(Path from, Path to) throws Exception {
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

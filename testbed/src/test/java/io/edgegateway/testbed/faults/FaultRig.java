package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;

/**
 * Two real mosquittos: {@code plant} carries telemetry and stays up, {@code uplink} receives what the gateway
 * publishes and is the one killed, so alerts keep being raised (and stored in the outbox) while the uplink is down.
 * The uplink broker runs with persistence (see {@link MosquittoBroker#startPersistent}) so that the checker's
 * subscription survives a broker kill: messages the gateway sends right after the broker is back reach the checker
 * even before it has reconnected. The real distribution runs with only the bearing threshold rule deployed (one
 * alert per 60 -> 90 pair on pump-*), so every alert is accounted for.
 */
final class FaultRig implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final String id;
    final Path home;
    final MosquittoBroker plant;
    final MosquittoBroker uplink;
    final MqttClient telemetry;
    final Checker checker;
    GatewayProcess gateway;

    FaultRig(Path dir, String id, Map<String, String> uplinkSettings) throws Exception {
        this.id = id;
        this.plant = MosquittoBroker.start(dir.resolve("plant-broker"));
        this.uplink = MosquittoBroker.startPersistent(dir.resolve("uplink-broker"));
        this.home = GatewayHomes.create(dir.resolve("home"));
        GatewayHomes.remove(home, "io.edgegateway.rules.ewma-all.cfg");
        GatewayHomes.remove(home, "io.edgegateway.rules.stuck-analog.cfg");
        // the faults are the uplink's and the pipeline's: no language model competing for the two cores
        GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
        Map<String, String> settings = new HashMap<>(uplinkSettings);
        settings.put("broker.url", uplink.url());
        settings.put("metrics.interval.s", "1");
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", settings);
        DeployArtifacts.healthWindow(home, 5); // bundles dropped one after another wait for the previous window
        this.telemetry = new MqttClient(plant.url(), "telemetry-" + id, new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMaxInflight(1000);
        telemetry.connect(o);
        this.checker = new Checker(uplink.url(), "checker-" + id, "gateway/" + id + "/#");
        Thread.sleep(1500); // the uplink broker saves the checker's session (autosave every second)
    }

    /** Starts the gateway; with {@code uplinkUp}, waits for its online status and its source's subscription. */
    void startGateway(boolean uplinkUp) throws Exception {
        checker.metrics.set(null); // only this gateway's metrics count
        gateway = GatewayProcess.start(home, plant.url(), id, Map.of(), null);
        assertThat(gateway.awaitLog("Gateway '" + id + "' started", Duration.ofSeconds(60)))
                .as("gateway start; log:%n%s", gateway.logText()).isTrue();
        if (uplinkUp) {
            awaitMetrics(m -> true, Duration.ofSeconds(30));
            awaitSourceReady();
        }
    }

    void awaitSourceReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            publish("probe", "ready", 0, System.currentTimeMillis());
            Thread.sleep(500);
            JsonNode m = checker.metrics.get();
            if (m != null && m.path("accepted").asLong() > 0) {
                return;
            }
        }
        throw new AssertionError("the gateway's MQTT source never accepted a sample\n" + gateway.logText());
    }

    void publish(String asset, String signal, double value, long ts) throws MqttException {
        String json = "{\"asset\":\"" + asset + "\",\"signal\":\"" + signal + "\",\"value\":" + value
                + ",\"unit\":\"degC\",\"ts\":" + ts + "}";
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        telemetry.publish("plant/" + asset + "/" + signal, m);
    }

    /** One 60 -> 90 pair on {@code asset}: exactly one threshold alert, observed at {@code ts}. */
    void pair(String asset, long ts) throws MqttException {
        publish(asset, "bearing_temperature", 60.0, ts - 1);
        publish(asset, "bearing_temperature", 90.0, ts);
    }

    /** {@code n} pairs over pump-1..pump-{assets}, {@code perSecond} pairs a second (0: as fast as possible). */
    void pairs(int n, int assets, int perSecond, long tsBase) throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            pair("pump-" + (i % assets + 1), tsBase + 2L * i);
            if (perSecond > 0) {
                long due = t0 + (long) (i + 1) * 1_000_000_000L / perSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }
    }

    JsonNode awaitMetrics(Predicate<JsonNode> condition, Duration timeout) throws Exception {
        try {
            return awaitMetrics(checker, condition, timeout);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ngateway log:\n" + (gateway == null ? "" : gateway.logText()));
        }
    }

    /** The latest metrics message the checker saw that satisfies {@code condition}; fails after the timeout. */
    static JsonNode awaitMetrics(Checker checker, Predicate<JsonNode> condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            JsonNode m = checker.metrics.get();
            if (m != null) {
                last = m;
                if (condition.test(m)) {
                    return m;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("metrics condition not met within " + timeout + "; last metrics: " + last);
    }

    @Override
    public void close() throws Exception {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            checker.close();
            try {
                telemetry.disconnect(1000);
                telemetry.close();
            } catch (MqttException ignored) {
                // going anyway
            }
            uplink.close();
            plant.close();
        }
    }

    /**
     * The consumer that checks delivery: a persistent session (clean session false, fixed client id, QoS 1) that
     * reconnects every 100 ms after a loss. Counts every alert message by alertId (duplicates included), keeps the
     * latest metrics message.
     */
    static final class Checker implements AutoCloseable {
        final Map<String, AtomicInteger> alerts = new ConcurrentHashMap<>();
        final Map<String, JsonNode> alertJson = new ConcurrentHashMap<>();
        final AtomicInteger alertMessages = new AtomicInteger();
        final AtomicReference<JsonNode> metrics = new AtomicReference<>();
        /** Alerts whose first arrival came after a later-observed alert of the same asset. */
        final AtomicInteger outOfOrder = new AtomicInteger();
        private final Map<String, Long> latestObserved = new ConcurrentHashMap<>();
        private final MqttClient client;
        private final MqttConnectOptions options = new MqttConnectOptions();
        private final String filter;
        private final Thread reconnector;
        private volatile boolean closed;

        Checker(String url, String clientId, String filter) throws MqttException {
            this.filter = filter;
            client = new MqttClient(url, clientId, new MemoryPersistence());
            options.setCleanSession(false);
            options.setMaxInflight(1000);
            options.setConnectionTimeout(2);
            options.setKeepAliveInterval(5);
            client.setCallback(new MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, MqttMessage message) throws Exception {
                    JsonNode json = JSON.readTree(message.getPayload());
                    if (topic.contains("/alerts/")) {
                        String alertId = json.path("alertId").asText();
                        alertMessages.incrementAndGet();
                        boolean first = alerts.computeIfAbsent(alertId, k -> new AtomicInteger()).incrementAndGet() == 1;
                        alertJson.putIfAbsent(alertId, json);
                        if (first) { // per asset, alerts first arrive in the order they were observed
                            long observed = java.time.Instant.parse(json.path("observedTime").asText()).toEpochMilli();
                            long before = latestObserved.getOrDefault(json.path("assetId").asText(), Long.MIN_VALUE);
                            if (observed < before) {
                                outOfOrder.incrementAndGet();
                            } else {
                                latestObserved.put(json.path("assetId").asText(), observed);
                            }
                        }
                    } else if (topic.endsWith("/metrics")) {
                        metrics.set(json);
                    }
                }

                @Override
                public void deliveryComplete(IMqttDeliveryToken token) {
                }
            });
            connect();
            reconnector = new Thread(() -> {
                while (!closed) {
                    try {
                        Thread.sleep(100);
                        if (!client.isConnected()) {
                            connect();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (MqttException e) {
                        // broker still down
                    }
                }
            }, "checker-reconnect");
            reconnector.setDaemon(true);
            reconnector.start();
        }

        private synchronized void connect() throws MqttException {
            if (client.isConnected()) {
                return;
            }
            client.connect(options);
            client.subscribe(filter, 1);
        }

        int distinct() {
            return alerts.size();
        }

        int duplicates() {
            return alertMessages.get() - alerts.size();
        }

        @Override
        public void close() throws Exception {
            closed = true;
            reconnector.interrupt();
            reconnector.join(2000);
            try {
                if (client.isConnected()) {
                    client.disconnect(1000);
                }
            } catch (MqttException ignored) {
                // going anyway
            }
            client.close();
        }
    }
}

package io.edgegateway.testbed.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.EmbeddedBroker;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.HeapInfo;

/**
 * The memory figure the explainer is judged by: the real gateway (the built distribution, its shipped configuration
 * and model bundle, its own JVM options) once its model has explained real alerts. The bench JVM's own RSS holds every
 * variant at once and no gateway, so it says little about a gateway in a plant.
 */
final class GatewayWithModel {

    private static final String GATEWAY_ID = "bench-llm";
    /** The shipped threshold rule alerts on pump bearing temperatures above 80 degC. */
    private static final String TOPIC = "plant/pump-1/bearing_temperature";
    private static final Pattern MODEL_LOADED = Pattern.compile("Model explainer-maint \\S+ loaded");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** RSS and heap in use once all {@code alerts} alerts raised were explained; the explanations by source. */
    record Result(long rssBytes, long heapUsedBytes, int alerts, Map<String, Integer> explanationsBySource,
                  double modelLoadedAfterMs) {
    }

    private GatewayWithModel() {
    }

    /** Starts the gateway, waits for its model, makes {@code alerts} limit breaches, waits for the explanations. */
    static Result measure(int alerts) throws Exception {
        Path dir = Files.createTempDirectory("bench-llm-gateway");
        Path home = GatewayHomes.create(dir.resolve("home"));
        Map<String, Integer> bySource = new ConcurrentHashMap<>();
        AtomicInteger alerted = new AtomicInteger();
        try (EmbeddedBroker broker = EmbeddedBroker.start()) {
            MqttClient subscriber = Mqtt.subscriber(broker.url(), "bench-llm-recorder", "gateway/" + GATEWAY_ID + "/#",
                    (topic, message, arrival) -> {
                        if (topic.contains("/alerts/")) {
                            alerted.incrementAndGet();
                        } else if (topic.contains("/explanations/")) {
                            String source;
                            try {
                                source = JSON.readTree(message.getPayload()).path("source").asText("?");
                            } catch (IOException e) {
                                source = "unreadable";
                            }
                            bySource.merge(source, 1, Integer::sum);
                        }
                    });
            MqttClient plant = Mqtt.connect(broker.url(), "bench-llm-plant");
            // libtorch unpacked once, in the distribution (as the demo does), not again per bench home
            GatewayProcess gateway = GatewayProcess.start(home, broker.url(), GATEWAY_ID, Map.of("gateway.djl.cache",
                    GatewayProcess.distribution().resolve("data/djl-cache").toString()), null);
            try {
                long t0 = System.nanoTime();
                awaitModel(gateway, Duration.ofSeconds(120));
                double loadedMs = (System.nanoTime() - t0) / 1e6;
                if (!gateway.awaitLog("MQTT source 'plant': subscribed to", Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the gateway's MQTT source did not subscribe within 60 s; its log: "
                            + gateway.log());
                }
                long ts = System.currentTimeMillis() - 60_000;
                for (int i = 0; i < 40; i++) { // normal history first: the context has a baseline
                    publish(plant, 70 + 0.2 * Math.sin(i), ts + i * 1000L);
                }
                for (int i = 0; i < alerts; i++) { // a breach every 200 ms, re-armed by a normal value in between
                    publish(plant, 91.5, System.currentTimeMillis());
                    Thread.sleep(100);
                    publish(plant, 70, System.currentTimeMillis());
                    Thread.sleep(100);
                }
                // every alert raised (a breach may trip more than one shipped rule) explained, by the model or not
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while ((alerted.get() < alerts || total(bySource) < alerted.get()) && System.nanoTime() < deadline
                        && gateway.isAlive()) {
                    Thread.sleep(200);
                }
                if (alerted.get() < alerts || total(bySource) < alerted.get()) {
                    throw new IllegalStateException("the gateway raised " + alerted.get() + " alerts for " + alerts
                            + " limit breaches and explained " + total(bySource) + " within 60 s; its log: "
                            + gateway.log());
                }
                return new Result(gateway.rssBytes(), HeapInfo.usedBytes(gateway.pid()), alerted.get(),
                        new TreeMap<>(bySource), loadedMs);
            } finally {
                gateway.close();
                Mqtt.closeQuietly(plant);
                Mqtt.closeQuietly(subscriber);
            }
        } finally {
            deleteQuietly(dir);
        }
    }

    private static int total(Map<String, Integer> bySource) {
        return bySource.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Like {@link GatewayProcess#awaitLog}, for a line whose model version is not known here. */
    private static void awaitModel(GatewayProcess gateway, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!MODEL_LOADED.matcher(gateway.logText()).find()) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway did not load its explainer model within " + timeout
                        + (gateway.isAlive() ? "" : " (it exited)") + "; its log: " + gateway.log());
            }
            Thread.sleep(100);
        }
    }

    private static void publish(MqttClient plant, double value, long ts) throws Exception {
        String json = "{\"asset\":\"pump-1\",\"signal\":\"bearing_temperature\",\"value\":" + value
                + ",\"unit\":\"degC\",\"ts\":" + ts + "}";
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        plant.publish(TOPIC, m);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder: the OS cleans it
        }
    }
}

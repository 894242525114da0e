package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * Inference offload across real gateways (issue 8, "Fleet"): one mosquitto, a gateway without the explainer model
 * (its model bundle removed from deploy/) and two with it, each its own process with the real model. The model-less
 * gateway's alerts are explained by the others' models through the shared subscription (spread over both, p50/p99
 * latency printed); a burst on one gateway with a model overloads its queue and part of it is served by the other;
 * a server whose model bundle is removed leaves the group; with no server left, the model-less gateway falls back
 * to templates within its deadline and loses none.
 */
class OffloadIT {

    static final String REQUESTER = "off-req";
    static final String SERVER_1 = "off-srv-1";
    static final String SERVER_2 = "off-srv-2";
    /** The requester's offload deadline: generous, the six JVMs of a test run share two loaded cores. */
    static final long DEADLINE_MS = 3000;

    @TempDir
    Path dir;

    /** One gateway process with its own home. */
    record Gateway(String id, Path home, GatewayProcess process) implements AutoCloseable {
        String topic(String suffix) {
            return "gateway/" + id + "/" + suffix;
        }

        @Override
        public void close() throws InterruptedException {
            process.close();
        }

        String log() {
            try {
                return process.logText();
            } catch (java.io.IOException e) {
                return e.toString();
            }
        }
    }

    private Path home(String id, boolean withModel, String telemetryPrefix, Map<String, String> explainer)
            throws Exception {
        Path home = GatewayHomes.create(dir.resolve(id));
        String cache = System.getProperty("djl.cache");
        if (cache != null) { // one libtorch unpack for all test homes
            Files.writeString(home.resolve("conf/framework.properties"), "\ngateway.djl.cache=" + cache + "\n",
                    StandardOpenOption.APPEND);
        }
        // only the bearing-temperature threshold rule: the alerts are exactly the ones this test makes
        GatewayHomes.remove(home, "io.edgegateway.rules.ewma-all.cfg");
        GatewayHomes.remove(home, "io.edgegateway.rules.stuck-analog.cfg");
        try (Stream<Path> files = Files.list(home.resolve("deploy"))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                // no RUL model anywhere (not under test); the explainer model only on the servers
                if (name.startsWith("model-rul-") || (!withModel && name.startsWith("model-explainer-"))) {
                    Files.delete(f);
                }
            }
        }
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
        GatewayHomes.configure(home, "io.edgegateway.mqtt.source-plant.cfg", Map.of("topics", telemetryPrefix
                + "/+/+", "topic.pattern", telemetryPrefix + "/{asset}/{signal}"));
        GatewayHomes.configure(home, "io.edgegateway.llm.explainer.cfg", explainer);
        // the offload: the same broker as everything else, the defaults otherwise
        GatewayHomes.configure(home, "io.edgegateway.mqtt.offload.cfg", Map.of("broker.url",
                "${gateway.broker.url}"));
        return home;
    }

    private Gateway start(String id, Path home, MosquittoBroker broker) throws Exception {
        return new Gateway(id, home, GatewayProcess.start(home, broker.url(), id, Map.of(), null));
    }

    /** The next metrics message of a gateway for which {@code condition} holds, or fails after the timeout. */
    private static JsonNode awaitMetrics(MqttRecorder metrics, Gateway g, Predicate<JsonNode> condition,
                                         Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            MqttRecorder.Received r = metrics.next(x -> x.topic().equals(g.topic("metrics")), 2_000);
            if (r != null) {
                last = r.json();
                if (condition.test(last)) {
                    return last;
                }
            }
        }
        throw new AssertionError(g.id() + ": metrics condition not met within " + timeout + "; last metrics: " + last
                + "\nlog:\n" + g.log());
    }

    /** A metrics message of the gateway taken after this call (its counters are current). */
    private static JsonNode latestMetrics(MqttRecorder metrics, Gateway g) throws Exception {
        java.time.Instant now = java.time.Instant.now();
        return awaitMetrics(metrics, g, m -> java.time.Instant.parse(m.path("time").asText()).isAfter(now),
                Duration.ofSeconds(15));
    }

    private static JsonNode offloadCounters(JsonNode metrics) {
        return metrics.path("health").path("mqtt-offload").path("counters");
    }

    private static JsonNode explainerCounters(JsonNode metrics) {
        return metrics.path("health").path("explainer").path("counters");
    }

    /** What the recorder saw of alerts and explanations, by alert id. */
    static final class Seen {
        final Map<String, Long> alertArrival = new HashMap<>();
        final Map<String, JsonNode> explanation = new HashMap<>();
        final Map<String, Long> explanationArrival = new HashMap<>();
        final Map<String, Integer> explanationCount = new HashMap<>();

        void take(MqttRecorder recorder, Gateway g) {
            for (MqttRecorder.Received r : recorder.drain()) {
                if (r.topic().startsWith(g.topic("alerts/"))) {
                    alertArrival.put(r.json().path("alertId").asText(), r.arrivalNanos());
                } else if (r.topic().startsWith(g.topic("explanations/"))) {
                    String id = r.json().path("alertId").asText();
                    explanation.put(id, r.json());
                    explanationArrival.putIfAbsent(id, r.arrivalNanos());
                    explanationCount.merge(id, 1, Integer::sum);
                }
            }
        }

        /** Waits until {@code n} alerts and each one's explanation were seen. */
        void await(MqttRecorder recorder, Gateway g, int n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                take(recorder, g);
                if (alertArrival.size() >= n && explanation.keySet().containsAll(alertArrival.keySet())) {
                    return;
                }
                Thread.sleep(200);
            }
        }

        /** Milliseconds from each alert's arrival to its explanation's, sorted. */
        double[] latenciesMs() {
            return alertArrival.entrySet().stream().filter(e -> explanationArrival.containsKey(e.getKey()))
                    .mapToDouble(e -> (explanationArrival.get(e.getKey()) - e.getValue()) / 1e6).sorted().toArray();
        }

        Map<String, Long> bySourceAndServer() {
            return explanation.values().stream().collect(Collectors.groupingBy(
                    e -> e.path("source").asText() + "@" + e.path("servedBy").asText(), TreeMap::new,
                    Collectors.counting()));
        }
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String sample(String asset, double value) {
        return "{\"asset\":\"" + asset + "\",\"signal\":\"bearing_temperature\",\"value\":" + value
                + ",\"unit\":\"degC\",\"ts\":" + System.currentTimeMillis() + "}";
    }

    @Test
    void aGatewayWithoutAModelIsServedByTheOthersAndFallsBackToTemplatesWhenNoneIsLeft() throws Exception {
        Map<String, String> serverExplainer = Map.of("threads", "1", "queue.capacity", "16", "deadline.ms", "3000",
                "serve.max.queue", "8", "offload.deadline.ms", Long.toString(DEADLINE_MS));
        Map<String, String> requesterExplainer = Map.of("offload.deadline.ms", Long.toString(DEADLINE_MS));
        List<Gateway> gateways = new ArrayList<>();
        try (MosquittoBroker broker = MosquittoBroker.start(dir.resolve("broker"));
             MqttRecorder data = new MqttRecorder(broker.url(), "gateway/+/alerts/#", "gateway/+/explanations/#");
             MqttRecorder metrics = new MqttRecorder(broker.url(), "gateway/+/metrics")) {
            MqttClient publisher = new MqttClient(broker.url(), "offload-it-publisher", new MemoryPersistence());
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMaxInflight(1000);
            publisher.connect(options);
            try {
                Path h1 = home(SERVER_1, true, "site1", serverExplainer);
                Path h2 = home(SERVER_2, true, "site2", serverExplainer);
                Path hr = home(REQUESTER, false, "plant", requesterExplainer);
                // the first server alone, so that the shared libtorch cache is unpacked once, then the others
                Gateway s1 = start(SERVER_1, h1, broker);
                gateways.add(s1);
                assertThat(s1.process().awaitLog("Model explainer-maint 1.0.0 loaded", Duration.ofSeconds(120)))
                        .as("model loaded; log:%n%s", s1.log()).isTrue();
                Gateway s2 = start(SERVER_2, h2, broker);
                gateways.add(s2);
                Gateway req = start(REQUESTER, hr, broker);
                gateways.add(req);
                for (Gateway s : List.of(s1, s2)) {
                    awaitMetrics(metrics, s, m -> offloadCounters(m).path("serving").asInt() == 1,
                            Duration.ofSeconds(120));
                }
                // connected, and its explainer (without a model) knows it can offload
                awaitMetrics(metrics, req, m -> m.path("health").path("mqtt-offload").path("ok").asBoolean()
                        && m.path("health").path("explainer").path("detail").asText().contains("no model")
                        && m.path("health").path("explainer").path("detail").asText().contains("offloaded"),
                        Duration.ofSeconds(90));
                assertThat(req.log()).doesNotContain("Model explainer-maint");
                // the requester's telemetry source is subscribed once it accepts samples
                publish(publisher, "plant/probe/ready", "{\"asset\":\"probe\",\"signal\":\"ready\",\"value\":0}");
                awaitMetrics(metrics, req, x -> {
                    try {
                        publish(publisher, "plant/probe/ready", "{\"asset\":\"probe\",\"signal\":\"ready\","
                                + "\"value\":0}");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return x.path("accepted").asLong() > 0;
                }, Duration.ofSeconds(60));

                // 1. alerts on the gateway without a model, one every 150 ms: explained by the others' models
                int n = 60;
                Seen spread = new Seen();
                for (int i = 0; i < n; i++) {
                    publish(publisher, "plant/pump-o" + i + "/bearing_temperature", sample("pump-o" + i, 91.5));
                    Thread.sleep(150);
                }
                spread.await(data, req, n, Duration.ofSeconds(60));
                double[] lat = spread.latenciesMs();
                Map<String, Long> served = spread.bySourceAndServer();
                System.out.printf("Offload IT: %d alerts on %s (no model): explanations by source@servedBy %s; "
                                + "alert to explanation p50 %.0f ms, p99 %.0f ms, max %.0f ms%n", spread.alertArrival.size(),
                        REQUESTER, served, percentile(lat, 50), percentile(lat, 99), percentile(lat, 100));
                assertThat(spread.alertArrival).as("every alert; log:%n%s", req.log()).hasSize(n);
                assertThat(spread.explanation.keySet()).as("every alert explained").containsAll(
                        spread.alertArrival.keySet());
                long byModel = spread.explanation.values().stream()
                        .filter(e -> e.path("source").asText().equals("llm")).count();
                long bySrv1 = served.getOrDefault("llm@" + SERVER_1, 0L);
                long bySrv2 = served.getOrDefault("llm@" + SERVER_2, 0L);
                assertThat(byModel).as("written by a model on another gateway: %s", served)
                        .isGreaterThanOrEqualTo((long) (0.9 * n));
                assertThat(bySrv1 + bySrv2).as("only the servers' models").isEqualTo(byModel);
                assertThat(Math.min(bySrv1, bySrv2)).as("spread over both servers by the shared subscription: %s",
                        served).isGreaterThanOrEqualTo(n / 5);
                for (JsonNode e : spread.explanation.values()) {
                    assertThat(e.path("gatewayId").asText()).isEqualTo(REQUESTER);
                    if (e.path("source").asText().equals("llm")) {
                        assertThat(e.path("modelId").asText()).isEqualTo("explainer-maint");
                        assertThat(e.path("text").asText()).contains("pump-o").doesNotContain("{");
                    }
                }
                assertThat(spread.explanationCount.values()).as("one explanation per alert").allMatch(c -> c == 1);

                // 2. a burst on a gateway with a model: its queue fills, part of the load goes to the other server
                int burst = 300;
                Seen overload = new Seen();
                long sent = System.nanoTime();
                for (int i = 0; i < burst; i++) {
                    publish(publisher, "site1/pump-b" + i + "/bearing_temperature", sample("pump-b" + i, 91.5));
                }
                overload.await(data, s1, burst, Duration.ofSeconds(120));
                long lastAlert = overload.alertArrival.values().stream().mapToLong(Long::longValue).max().orElse(sent);
                Map<String, Long> burstServed = overload.bySourceAndServer();
                // the counters once every explanation of the burst went out (the pipeline counts them)
                JsonNode s1Metrics = awaitMetrics(metrics, s1, x -> x.path("explanations").asLong() >= burst,
                        Duration.ofSeconds(30));
                JsonNode s2Metrics = latestMetrics(metrics, s2);
                double[] burstLat = overload.latenciesMs();
                System.out.printf("Offload IT: burst of %d alerts on %s: alerts out in %.0f ms; explanations by "
                                + "source@servedBy %s, alert to explanation p50 %.0f ms, p99 %.0f ms; %s explainer "
                                + "counters %s, offload counters %s; %s offload counters %s%n", burst, SERVER_1,
                        (lastAlert - sent) / 1e6, burstServed, percentile(burstLat, 50), percentile(burstLat, 99),
                        SERVER_1, explainerCounters(s1Metrics), offloadCounters(s1Metrics), SERVER_2,
                        offloadCounters(s2Metrics));
                assertThat(overload.alertArrival).as("every alert; log:%n%s", s1.log()).hasSize(burst);
                assertThat(overload.explanation.keySet()).as("every alert explained; log:%n%s", s1.log())
                        .containsAll(overload.alertArrival.keySet());
                assertThat(burstServed.getOrDefault("llm@" + SERVER_2, 0L))
                        .as("part of the overload served by the other gateway's model: %s", burstServed).isPositive();
                assertThat(burstServed.getOrDefault("llm@" + SERVER_1, 0L)).as("and some by its own").isPositive();
                assertThat(explainerCounters(s1Metrics).path("offloaded_overloaded").asLong()).isPositive();

                // 3. the model bundle removed from one server: it leaves the group, the other serves everything
                try (Stream<Path> files = Files.list(s2.home().resolve("deploy"))) {
                    for (Path f : files.filter(f -> f.getFileName().toString().startsWith("model-explainer-"))
                            .toList()) {
                        Files.delete(f);
                    }
                }
                JsonNode left = awaitMetrics(metrics, s2, x -> offloadCounters(x).path("serving").asInt() == 0
                        && offloadCounters(x).path("leaves").asLong() >= 1, Duration.ofSeconds(60));
                int k = 20;
                Seen one = new Seen();
                for (int i = 0; i < k; i++) {
                    publish(publisher, "plant/pump-l" + i + "/bearing_temperature", sample("pump-l" + i, 91.5));
                    Thread.sleep(150);
                }
                one.await(data, req, k, Duration.ofSeconds(60));
                System.out.printf("Offload IT: model bundle removed from %s (it left the group: %s): %d alerts on %s: "
                        + "explanations by source@servedBy %s%n", SERVER_2, offloadCounters(left), k, REQUESTER,
                        one.bySourceAndServer());
                assertThat(one.explanation.keySet()).as("every alert explained").containsAll(one.alertArrival.keySet())
                        .hasSize(k);
                assertThat(one.bySourceAndServer().getOrDefault("llm@" + SERVER_1, 0L))
                        .as("all by the server that still has a model").isGreaterThanOrEqualTo((long) (0.9 * k));
                assertThat(one.bySourceAndServer()).doesNotContainKey("llm@" + SERVER_2);

                // 4. no server left: templates within the deadline, none lost
                s1.close();
                s2.close();
                int m = 20;
                Seen alone = new Seen();
                for (int i = 0; i < m; i++) {
                    publish(publisher, "plant/pump-n" + i + "/bearing_temperature", sample("pump-n" + i, 91.5));
                    Thread.sleep(200);
                }
                alone.await(data, req, m, Duration.ofSeconds(60));
                double[] fallback = alone.latenciesMs();
                JsonNode after = awaitMetrics(metrics, req, x -> explainerCounters(x).path("offload_timed_out")
                        .asLong() >= m, Duration.ofSeconds(30));
                System.out.printf("Offload IT: no server left: %d alerts on %s: explanations by source@servedBy %s, "
                                + "alert to explanation p50 %.0f ms, max %.0f ms (deadline %d ms); explainer counters %s; "
                                + "offload counters %s%n", m, REQUESTER, alone.bySourceAndServer(), percentile(fallback, 50),
                        percentile(fallback, 100), DEADLINE_MS, explainerCounters(after), offloadCounters(after));
                assertThat(alone.alertArrival).hasSize(m);
                assertThat(alone.explanation.keySet()).as("none lost; log:%n%s", req.log())
                        .containsAll(alone.alertArrival.keySet());
                assertThat(alone.explanation.values()).allMatch(e -> e.path("source").asText().equals("template")
                        && e.path("servedBy").asText().equals(REQUESTER));
                assertThat(percentile(fallback, 100)).as("within the deadline, with a margin for two loaded cores")
                        .isLessThan(DEADLINE_MS + 3000);
                assertThat(percentile(fallback, 0)).as("after waiting for an answer").isGreaterThan(DEADLINE_MS * 0.9);
                assertThat(req.log()).doesNotContain("Exception in thread");
            } finally {
                for (Gateway g : gateways) {
                    g.close();
                    // what went wrong or was noteworthy, for the record
                    List<String> warnings = g.log().lines().filter(l -> l.contains("WARN") || l.contains("ERROR"))
                            .limit(10).toList();
                    System.out.printf("Offload IT: %s: %d warning/error lines%s%n", g.id(), warnings.size(),
                            warnings.isEmpty() ? "" : ":\n  " + String.join("\n  ", warnings));
                }
                publisher.disconnect(1000);
                publisher.close();
            }
        }
    }

    private static void publish(MqttClient publisher, String topic, String payload) throws Exception {
        MqttMessage message = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        message.setQos(1);
        publisher.publish(topic, message);
    }
}

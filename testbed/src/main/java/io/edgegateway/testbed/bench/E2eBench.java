package io.edgegateway.testbed.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.HeapInfo;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark of the real distribution through a real mosquitto, all phases in one run:
 * <ol>
 * <li>baseline: the broker and a plain Paho subscriber, no gateway (throughput ceiling, broker round trip);</li>
 * <li>gateway saturation: the same flood into the gateway, throughput from its own metrics ({@code evaluated});</li>
 * <li>latency at {@code --rate}: probe samples that raise threshold alerts, publish to alert arrival;</li>
 * <li>memory: the gateway's RSS and heap used;</li>
 * <li>start-up: a fresh gateway, process spawn to its first alert.</li>
 * </ol>
 * Everything reported is measured in this run. With {@code --json} stdout gets exactly one JSON object; progress
 * goes to stderr.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
        description = "End-to-end benchmark through a real mosquitto: throughput (vs a broker-only baseline), "
                + "alert latency, memory and start-up of the real gateway distribution.")
public final class E2eBench implements Callable<Integer> {

    static final String STARTUP_DEFINITION = "process spawn to first alert received (upper bound of first sample accepted)";

    private static final long WARMUP_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final String GATEWAY_ID = "bench-gw";
    private static final String STARTUP_GATEWAY_ID = "bench-startup";
    private static final String RULE_FILE = "io.edgegateway.rules.threshold-bench.cfg";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--rate", defaultValue = "5000", paramLabel = "N",
            description = "Samples per second in the latency phase, probes included (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", defaultValue = "20", paramLabel = "S",
            description = "Seconds of each measured phase, after a 3 s warm-up (default ${DEFAULT-VALUE}).")
    int duration;

    @Option(names = "--publishers", defaultValue = "2", paramLabel = "N",
            description = "MQTT connections of the saturation load generator (default ${DEFAULT-VALUE}).")
    int publishers;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
            description = "Samples per MQTT message in the saturation load: 1 = one JSON object per message "
                    + "(default), N = JSON arrays of N samples, which takes the broker out of the way and finds the "
                    + "gateway's own limit.")
    int batch;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout (progress on stderr).")
    boolean json;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Where the broker and the gateway homes (and their logs) go (default: a new temp dir).")
    Path workDir;

    // everything started, so that it is stopped on every path
    private MosquittoBroker broker;
    private GatewayProcess gateway;
    private GatewayProcess startupGateway;
    private FloodLoad flood;
    private MqttClient baselineSubscriber;
    private MqttClient pacedClient;
    private MqttClient probeClient;
    private MqttRecorder metricsRecorder;
    private MqttRecorder alertRecorder;
    private MqttRecorder startupRecorder;

    private final Samples samples = new Samples();
    /** The JSON object's keys, in this order. */
    private static final List<String> KEYS = List.of("throughput_samples_per_s", "baseline_samples_per_s",
            "throughput_ratio", "published", "gateway_received", "drop_percent", "p50_ms", "p99_ms", "max_ms",
            "latency_rate", "latency_rate_achieved", "broker_p50_ms", "broker_p99_ms", "probe_alerts_expected",
            "probe_alerts_received", "rss_bytes", "heap_used_bytes", "startup_ms", "startup_definition", "cores",
            "duration_s", "batch");

    /** Measured values under their JSON keys (in any order until {@link #runPhases} orders them). */
    private final Map<String, Object> result = new LinkedHashMap<>();
    private final Map<String, Object> extra = new LinkedHashMap<>();

    /** One metrics message of the gateway and when it arrived here. */
    private record Metrics(JsonNode json, long arrivalNanos) {
        long get(String field) {
            return json.path(field).asLong();
        }

        Instant time() {
            return Instant.parse(json.path("time").asText());
        }
    }

    @Override
    public Integer call() {
        PrintStream stdout = System.out;
        System.setOut(System.err); // only the result goes to stdout
        Thread hook = new Thread(this::stopProcesses, "bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (rate < PacedLoad.PROBE_RATE || duration < 1 || publishers < 1 || batch < 1) {
                Bench.log("invalid options: --rate must be >= " + PacedLoad.PROBE_RATE
                        + " (it includes 100 probes/s), --duration >= 1, --publishers >= 1, --batch >= 1");
                return 2;
            }
            runPhases();
            if (json) {
                stdout.println(JSON.writeValueAsString(result));
            } else {
                stdout.print(table());
            }
            stdout.flush();
            return 0;
        } catch (Exception e) {
            Bench.log("benchmark FAILED: " + e);
            e.printStackTrace(System.err);
            return 1;
        } finally {
            closeAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: the hook runs anyway
            }
            System.setOut(stdout);
            if (workDir != null) {
                Bench.log("work dir (broker and gateway logs kept): " + workDir);
            }
        }
    }

    private void runPhases() throws Exception {
        GatewayProcess.distribution(); // fails early, with a hint, when the distribution is not built
        workDir = workDir != null ? Files.createDirectories(workDir).toAbsolutePath()
                : Files.createTempDirectory("edgegw-bench-");
        Bench.log("work dir: " + workDir + "; " + Runtime.getRuntime().availableProcessors() + " cores, rate "
                + rate + "/s, " + duration + " s per phase, " + publishers + " publishers");
        broker = MosquittoBroker.start(fresh("broker"));
        Bench.log("mosquitto on " + broker.url() + " (log " + workDir.resolve("broker") + ")");
        flood = new FloodLoad(broker.url(), publishers, "bench-flood", batch);
        pacedClient = Mqtt.connect(broker.url(), "bench-paced");
        probeClient = Mqtt.connect(broker.url(), "bench-probe");

        double baseline = baselinePhase();
        startGateway();
        double throughput = saturationPhase();
        result.put("throughput_samples_per_s", Bench.round(throughput, 1));
        result.put("baseline_samples_per_s", Bench.round(baseline, 1));
        result.put("throughput_ratio", Bench.round(throughput / baseline, 4));
        latencyPhase();
        memoryPhase();
        gateway.close();
        Bench.log("gateway stopped (SIGTERM); log " + gateway.log());
        startupPhase();
        result.put("cores", Runtime.getRuntime().availableProcessors());
        result.put("duration_s", duration);
        result.put("batch", batch);
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String key : KEYS) {
            if (!result.containsKey(key)) {
                throw new IllegalStateException("internal: " + key + " was not measured");
            }
            Object v = result.get(key);
            ordered.put(key, v instanceof Double d && !Double.isFinite(d) ? null : v);
        }
        result.clear();
        result.putAll(ordered);
    }

    // ---------------------------------------------------------------- phase 1: baseline

    /** Broker and a plain subscriber: the flood's steady-state rate and the broker round trip of the probes. */
    private double baselinePhase() throws Exception {
        Bench.log("phase 1: baseline (mosquitto + plain Paho subscriber, no gateway)");
        LongAdder received = new LongAdder();
        Map<Long, Long> probeArrivals = new ConcurrentHashMap<>();
        baselineSubscriber = Mqtt.subscriber(broker.url(), "bench-baseline", "plant/+/+", (topic, m, t) -> {
            received.add(topic.equals(Samples.PROBE_TOPIC) ? 1 : batch); // samples, not messages
            if (topic.equals(Samples.PROBE_TOPIC)) {
                probeArrivals.put(Samples.tsOf(m.getPayload()), t);
            }
        });

        flood.start();
        long t0 = System.nanoTime();
        Bench.sleepUntil(t0 + WARMUP_NANOS);
        long c1 = received.sum();
        long p1 = flood.published();
        long n1 = System.nanoTime();
        Bench.sleepUntil(n1 + TimeUnit.SECONDS.toNanos(duration));
        long c2 = received.sum();
        long p2 = flood.published();
        long n2 = System.nanoTime();
        flood.stop();
        double seconds = (n2 - n1) / 1e9;
        double rateReceived = (c2 - c1) / seconds;
        Bench.log(String.format("baseline: subscriber received %.0f samples/s (publishers sent %.0f samples/s) over %.1f s",
                rateReceived, (p2 - p1) / seconds, seconds));
        awaitStable(received, "baseline subscriber");
        Bench.log(String.format("baseline: %d published in total, %d received by the subscriber",
                flood.published(), received.sum()));

        Bench.log("phase 1b: broker round trip at " + rate + "/s (probe to a plain subscriber)");
        PacedLoad.Result paced = PacedLoad.run(pacedClient, probeClient, samples, rate, WARMUP_NANOS,
                TimeUnit.SECONDS.toNanos(duration));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!probeArrivals.keySet().containsAll(paced.publishNanosByTs().keySet())
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<Double> rtt = new ArrayList<>();
        Map<Long, Double> byTs = new TreeMap<>();
        paced.publishNanosByTs().forEach((ts, sent) -> {
            Long arrived = probeArrivals.get(ts);
            if (arrived != null) {
                rtt.add((arrived - sent) / 1e6);
                byTs.put(ts, (arrived - sent) / 1e6);
            }
        });
        writeLatencies("latency-broker.csv", byTs, null);
        double[] sorted = Bench.sorted(rtt.stream().mapToDouble(Double::doubleValue).toArray());
        result.put("broker_p50_ms", Bench.round(Bench.percentile(sorted, 0.50), 3));
        result.put("broker_p99_ms", Bench.round(Bench.percentile(sorted, 0.99), 3));
        extra.put("broker_max_ms", Bench.round(Bench.percentile(sorted, 1.0), 3));
        extra.put("broker_rate_achieved", Bench.round(paced.achievedRate(), 1));
        Bench.log(String.format("broker round trip: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %d of %d probes arrived; "
                        + "achieved %.1f msgs/s", Bench.percentile(sorted, 0.5), Bench.percentile(sorted, 0.99),
                Bench.percentile(sorted, 1.0), rtt.size(), paced.publishNanosByTs().size(), paced.achievedRate()));
        Mqtt.closeQuietly(baselineSubscriber); // the gateway phases get the broker to themselves
        baselineSubscriber = null;
        return rateReceived;
    }

    /** Waits until {@code counter} stops moving (the subscriber has what the broker still had queued). */
    private static void awaitStable(LongAdder counter, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = counter.sum();
            if (now == last) {
                return;
            }
            last = now;
            Thread.sleep(500);
        }
        Bench.log(what + " still receiving after 120 s; going on");
    }

    // ---------------------------------------------------------------- phase 2: gateway saturation

    private void startGateway() throws Exception {
        Bench.log("phase 2: starting the gateway");
        Path home = GatewayHomes.create(fresh("gateway-main"));
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
        writeProbeRule(home);
        metricsRecorder = new MqttRecorder(broker.url(), topic(GATEWAY_ID, "metrics"), topic(GATEWAY_ID, "status"));
        alertRecorder = new MqttRecorder(broker.url(), topic(GATEWAY_ID, "alerts/" + Samples.PROBE_ASSET));
        gateway = GatewayProcess.start(home, broker.url(), GATEWAY_ID, Map.of(), null);
        Bench.log("gateway pid " + gateway.pid() + ", log " + gateway.log());
        if (!gateway.awaitLog("Gateway '" + GATEWAY_ID + "' started", Duration.ofSeconds(90))) {
            throw new IllegalStateException("the gateway did not start within 90 s (alive: " + gateway.isAlive()
                    + ")" + logTail(gateway));
        }
        MqttRecorder.Received online = metricsRecorder.next(r -> r.topic().equals(topic(GATEWAY_ID, "status"))
                && r.payload().contains("\"online\""), 30_000);
        if (online == null) {
            throw new IllegalStateException("no retained online status from the gateway within 30 s"
                    + logTail(gateway));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the gateway's MQTT source never accepted a sample within 30 s"
                        + logTail(gateway));
            }
            probeClient.publish("plant/bench-ready/ready",
                    Samples.json("bench-ready", "ready", 0, "", System.currentTimeMillis()), 1, false);
            Metrics m = nextMetrics(10_000);
            if (m.get("accepted") > 0) {
                break;
            }
        }
        Bench.log("gateway ready: its source accepts samples");
    }

    private double saturationPhase() throws Exception {
        nextMetrics(5_000);
        Metrics before = nextMetrics(5_000); // after every readiness probe was counted
        Bench.log("phase 2: gateway saturation (" + publishers + " publishers, QoS 0, as fast as possible)");
        flood.start();
        long t0 = System.nanoTime();
        Bench.sleepUntil(t0 + WARMUP_NANOS);
        metricsRecorder.drain();
        Metrics m1 = nextMetrics(10_000);
        Bench.sleepUntil(m1.arrivalNanos() + TimeUnit.SECONDS.toNanos(duration) - TimeUnit.MILLISECONDS.toNanos(500));
        metricsRecorder.drain();
        Metrics m2 = nextMetrics(10_000);
        flood.stop();
        long published = flood.published();
        double seconds = Duration.between(m1.time(), m2.time()).toNanos() / 1e9;
        long evaluated = m2.get("evaluated") - m1.get("evaluated");
        double throughput = evaluated / seconds;
        Bench.log(String.format("gateway: %d evaluated in %.2f s (metrics time) = %.0f samples/s; queue_depth %d, "
                + "pipeline latency p99 %d us", evaluated, seconds, throughput, m2.get("queue_depth"),
                m2.get("latency_p99_us")));
        long capacity = m2.get("queue_capacity");
        if (capacity > 0 && Math.max(m1.get("queue_depth"), m2.get("queue_depth")) * 100 < capacity) {
            Bench.log("note: the gateway's queue stayed (nearly) empty: it kept up, so the load generator and the "
                    + "broker, not the gateway, set this throughput (try more --publishers)");
        }
        Bench.log("flood stopped after " + published + " published; waiting for the gateway to drain");
        Metrics after = awaitDrained();
        long gatewayReceived = after.get("received") - before.get("received");
        long totalEvaluated = after.get("evaluated") - before.get("evaluated");
        double dropPercent = published > 0 ? 100.0 * (published - gatewayReceived) / published : Double.NaN;
        result.put("published", published);
        result.put("gateway_received", gatewayReceived);
        result.put("drop_percent", Bench.round(dropPercent, 3));
        extra.put("evaluated_total", totalEvaluated);
        extra.put("rejected", after.json().path("rejected"));
        Bench.log(String.format("gateway: published %d, received by the gateway %d (drop %.3f %%), evaluated %d, "
                + "rejected %s", published, gatewayReceived, dropPercent, totalEvaluated,
                after.json().path("rejected")));
        return throughput;
    }

    /** Waits until the gateway's queue is empty and its received counter has stopped moving. */
    private Metrics awaitDrained() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        Metrics last = null;
        while (System.nanoTime() < deadline) {
            Metrics m = nextMetrics(10_000);
            if (last != null && m.get("queue_depth") == 0 && m.get("received") == last.get("received")
                    && m.get("evaluated") == last.get("evaluated")) {
                return m;
            }
            last = m;
        }
        throw new IllegalStateException("the gateway did not drain within 300 s; last metrics " + last.json());
    }

    // ---------------------------------------------------------------- phase 3: latency

    private void latencyPhase() throws Exception {
        Bench.log("phase 3: alert latency at " + rate + "/s (" + (rate - PacedLoad.PROBE_RATE)
                + " background + " + PacedLoad.PROBE_RATE + " probes per second)");
        alertRecorder.drain();
        PacedLoad.Result paced = PacedLoad.run(pacedClient, probeClient, samples, rate, WARMUP_NANOS,
                TimeUnit.SECONDS.toNanos(duration));
        Map<Long, Long> sent = paced.publishNanosByTs();
        List<Double> latencies = new ArrayList<>();
        Set<Long> matched = new HashSet<>();
        Map<Long, Double> byTs = new TreeMap<>();
        Map<Long, Double> detectionByTs = new HashMap<>();
        int unmatched = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (matched.size() < paced.highProbes() && System.nanoTime() < deadline) {
            for (MqttRecorder.Received r : alertRecorder.drain()) {
                JsonNode alert = r.json();
                if (!"threshold".equals(alert.path("detector").asText())) {
                    continue;
                }
                long ts = Instant.parse(alert.path("observedTime").asText()).toEpochMilli();
                Long publishNanos = sent.get(ts);
                if (publishNanos != null && matched.add(ts)) {
                    latencies.add((r.arrivalNanos() - publishNanos) / 1e6);
                    byTs.put(ts, (r.arrivalNanos() - publishNanos) / 1e6);
                    Instant detected = Instant.parse(alert.path("detectionTime").asText());
                    detectionByTs.put(ts, Duration.between(Instant.ofEpochMilli(ts), detected).toNanos() / 1e6);
                } else {
                    unmatched++; // raised by a warm-up probe
                }
            }
            Thread.sleep(50);
        }
        checkAlive(gateway);
        writeLatencies("latency-gateway.csv", byTs, detectionByTs);
        double[] sorted = Bench.sorted(latencies.stream().mapToDouble(Double::doubleValue).toArray());
        double p50 = Bench.percentile(sorted, 0.50);
        double p99 = Bench.percentile(sorted, 0.99);
        double max = Bench.percentile(sorted, 1.0);
        result.put("p50_ms", Bench.round(p50, 3));
        result.put("p99_ms", Bench.round(p99, 3));
        result.put("max_ms", Bench.round(max, 3));
        result.put("latency_rate", rate);
        result.put("latency_rate_achieved", Bench.round(paced.achievedRate(), 1));
        result.put("probe_alerts_expected", paced.highProbes());
        result.put("probe_alerts_received", matched.size());
        Object brokerP99 = result.get("broker_p99_ms");
        double ratio = brokerP99 instanceof Double b && b > 0 ? p99 / b : Double.NaN;
        extra.put("p99_vs_broker_p99", Bench.round(ratio, 2));
        Bench.log(String.format("gateway alert latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms; alerts %d of %d "
                        + "expected (%d from warm-up probes ignored); achieved %.1f msgs/s; p99 = %.2f x broker p99",
                p50, p99, max, matched.size(), paced.highProbes(), unmatched, paced.achievedRate(), ratio));
    }

    // ---------------------------------------------------------------- phase 4: memory

    private void memoryPhase() throws IOException {
        checkAlive(gateway);
        long rss = gateway.rssBytes();
        long heap = HeapInfo.usedBytes(gateway.pid());
        result.put("rss_bytes", rss);
        result.put("heap_used_bytes", heap);
        Bench.log(String.format("phase 4: gateway RSS %.1f MiB, heap used %s", rss / 1048576.0,
                heap < 0 ? "unknown (jcmd failed)" : String.format("%.1f MiB", heap / 1048576.0)));
    }

    // ---------------------------------------------------------------- phase 5: start-up

    private void startupPhase() throws Exception {
        Bench.log("phase 5: start-up of a fresh gateway (new home, same broker)");
        Path home = GatewayHomes.create(fresh("gateway-startup"));
        writeProbeRule(home);
        String alerts = topic(STARTUP_GATEWAY_ID, "alerts/" + Samples.PROBE_ASSET);
        startupRecorder = new MqttRecorder(broker.url(), alerts);
        startupGateway = GatewayProcess.start(home, broker.url(), STARTUP_GATEWAY_ID, Map.of(), null);
        long spawn = startupGateway.startedNanos();
        Bench.log("start-up gateway pid " + startupGateway.pid() + ", log " + startupGateway.log());
        long period = TimeUnit.MILLISECONDS.toNanos(20);
        long deadline = spawn + TimeUnit.SECONDS.toNanos(120);
        long nextTick = System.nanoTime();
        long k = 0;
        MqttRecorder.Received first = null;
        while (first == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no alert from the start-up gateway within 120 s"
                        + logTail(startupGateway));
            }
            checkAlive(startupGateway);
            double value = k++ % 2 == 0 ? Samples.PROBE_HIGH : Samples.PROBE_LOW;
            probeClient.publish(Samples.PROBE_TOPIC, Samples.probe(value, samples.nextProbeTs()), 0, false);
            nextTick += period;
            long waitMillis = Math.max(0, (nextTick - System.nanoTime()) / 1_000_000);
            first = startupRecorder.next(r -> "threshold".equals(r.json().path("detector").asText()), waitMillis);
        }
        double startupMs = (first.arrivalNanos() - spawn) / 1e6;
        result.put("startup_ms", Bench.round(startupMs, 1));
        result.put("startup_definition", STARTUP_DEFINITION);
        String started = startupGateway.logText().lines().filter(l -> l.contains("Gateway '" + STARTUP_GATEWAY_ID
                + "' started")).findFirst().orElse("(no start line in the log)");
        Bench.log(String.format("start-up: first alert %.1f ms after spawn (%d probes published); gateway log: %s",
                startupMs, k, started.strip()));
        startupGateway.close();
        Bench.log("start-up gateway stopped (SIGTERM); log " + startupGateway.log());
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Each probe's source time (epoch ms) and latency (ms), for a closer look at the distribution; for alerts also
     * the alert's detectionTime minus the probe's ts (wall clock, +-1 ms: ts has millisecond resolution), which
     * tells a delay before the decision from one after it.
     */
    private void writeLatencies(String file, Map<Long, Double> latencyByTs, Map<Long, Double> detectionByTs)
            throws IOException {
        StringBuilder csv = new StringBuilder(detectionByTs == null ? "ts_epoch_ms,latency_ms\n"
                : "ts_epoch_ms,latency_ms,detection_minus_ts_ms\n");
        latencyByTs.forEach((ts, ms) -> {
            csv.append(ts).append(',').append(String.format(Locale.ROOT, "%.3f", ms));
            if (detectionByTs != null) {
                csv.append(',').append(String.format(Locale.ROOT, "%.3f", detectionByTs.get(ts)));
            }
            csv.append('\n');
        });
        Path path = workDir.resolve(file);
        Files.writeString(path, csv);
        Bench.log("per-probe latencies: " + path);
    }

    private static void writeProbeRule(Path home) throws IOException {
        GatewayHomes.configure(home, RULE_FILE, new LinkedHashMap<>(Map.of(
                "detector.asset", Samples.PROBE_ASSET,
                "detector.signal", Samples.PROBE_SIGNAL,
                "high", "80",
                "hysteresis", "1")));
    }

    private Metrics nextMetrics(long timeoutMillis) throws Exception {
        String metrics = topic(GATEWAY_ID, "metrics");
        MqttRecorder.Received r = metricsRecorder.next(x -> x.topic().equals(metrics), timeoutMillis);
        if (r == null) {
            throw new IllegalStateException("no metrics message from the gateway within " + timeoutMillis
                    + " ms (alive: " + gateway.isAlive() + ")" + logTail(gateway));
        }
        JsonNode node = r.json();
        if (!node.has("evaluated")) {
            throw new IllegalStateException("metrics without pipeline counters (is the pipeline running?): "
                    + r.payload() + logTail(gateway));
        }
        return new Metrics(node, r.arrivalNanos());
    }

    private static void checkAlive(GatewayProcess g) throws IOException {
        if (!g.isAlive()) {
            throw new IllegalStateException("the gateway (pid " + g.pid() + ") died" + logTail(g));
        }
    }

    private static String logTail(GatewayProcess g) throws IOException {
        List<String> lines = g.logText().lines().toList();
        return "\n--- last lines of " + g.log() + " ---\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String topic(String gatewayId, String suffix) {
        return "gateway/" + gatewayId + "/" + suffix;
    }

    /** {@code workDir/name}, or name-2, name-3... when a previous run left it there. */
    private Path fresh(String name) throws IOException {
        Path p = workDir.resolve(name);
        for (int i = 2; Files.exists(p); i++) {
            p = workDir.resolve(name + "-" + i);
        }
        return Files.createDirectories(p);
    }

    private String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("Edge gateway end-to-end benchmark (%s cores, %d s per phase, %d publishers)%n",
                result.get("cores"), duration, publishers));
        row(b, "Throughput, broker + plain subscriber", result.get("baseline_samples_per_s"), "samples/s");
        row(b, "Throughput, gateway (evaluated)", result.get("throughput_samples_per_s"), "samples/s");
        row(b, "Gateway / baseline", result.get("throughput_ratio"), "");
        row(b, "Published during saturation", result.get("published"), "samples");
        row(b, "Received by the gateway", result.get("gateway_received"), "samples");
        row(b, "Evaluated by the gateway", extra.get("evaluated_total"), "samples");
        row(b, "Dropped before the gateway", result.get("drop_percent"), "%");
        row(b, "Rejected by the gateway", extra.get("rejected"), "");
        row(b, "Latency rate, asked / achieved", result.get("latency_rate") + " / "
                + result.get("latency_rate_achieved"), "samples/s");
        row(b, "Alert latency p50", result.get("p50_ms"), "ms");
        row(b, "Alert latency p99", result.get("p99_ms"), "ms");
        row(b, "Alert latency max", result.get("max_ms"), "ms");
        row(b, "Probe alerts received / expected", result.get("probe_alerts_received") + " / "
                + result.get("probe_alerts_expected"), "");
        row(b, "Broker round trip p50", result.get("broker_p50_ms"), "ms");
        row(b, "Broker round trip p99", result.get("broker_p99_ms"), "ms");
        row(b, "Gateway p99 / broker p99", extra.get("p99_vs_broker_p99"), "");
        row(b, "Gateway RSS", mib(result.get("rss_bytes")), "MiB");
        row(b, "Gateway heap used", mib(result.get("heap_used_bytes")), "MiB");
        row(b, "Start-up", result.get("startup_ms"), "ms");
        b.append("  (start-up = ").append(STARTUP_DEFINITION).append(")\n");
        return b.toString();
    }

    private static String mib(Object bytes) {
        return bytes instanceof Long l && l >= 0 ? String.format("%.1f", l / 1048576.0) : "n/a";
    }

    private static void row(StringBuilder b, String label, Object value, String unit) {
        b.append(String.format("  %-38s %s %s%n", label, value == null ? "n/a" : value, unit));
    }

    // ---------------------------------------------------------------- teardown

    /** Stops the processes (also from the shutdown hook, on Ctrl-C): gateways get a clean SIGTERM. */
    private synchronized void stopProcesses() {
        for (GatewayProcess g : new GatewayProcess[] {startupGateway, gateway}) {
            if (g != null) {
                try {
                    g.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    Bench.log("stopping gateway pid " + g.pid() + ": " + e);
                }
            }
        }
        if (broker != null) {
            try {
                broker.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeAll() {
        if (flood != null) {
            try {
                flood.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException ignored) {
                // already reported, or stopped after a failure
            }
            flood.close();
        }
        for (MqttClient c : new MqttClient[] {baselineSubscriber, pacedClient, probeClient}) {
            Mqtt.closeQuietly(c);
        }
        for (MqttRecorder r : new MqttRecorder[] {metricsRecorder, alertRecorder, startupRecorder}) {
            if (r != null) {
                try {
                    r.close();
                } catch (MqttException | RuntimeException ignored) {
                    // the broker may be gone already
                }
            }
        }
        stopProcesses();
    }
}

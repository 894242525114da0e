package io.edgegateway.testbed.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.HeapInfo;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.opcua.BenchOpcUaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * OPC UA benchmark: a Milo server ({@link BenchOpcUaServer}) with {@code --items} variables, each changing
 * {@code --rate} times a second, pushed into the monitored items (every change is a notification);
 * <ol>
 * <li>baseline: a plain Milo client subscribes to all of them (NodeIds known, no browsing) with the same sampling
 * interval, publishing interval and queue size, and counts what it receives;</li>
 * <li>the real distribution, its OPC UA source browsing {@code Objects/Bench/*}{@code /*}: changes produced vs samples
 * accepted by the pipeline (its metrics), the gateway's CPU and RSS, subscription set-up time;</li>
 * <li>latency: the first 100 variables are probes (a threshold at 98.5; each reaches 99 once every 100 ticks):
 * server source timestamp to alert decided (the alert's {@code detectionTime}) and to alert received over MQTT; the
 * baseline's is source timestamp to the client's listener, for the same values.</li>
 * </ol>
 * Both include waiting for the next publish (the publishing interval = the sampling interval). With {@code --json}
 * stdout gets exactly one JSON object; progress goes to stderr.
 */
@Command(name = "opcua", mixinStandardHelpOptions = true,
        description = "OPC UA benchmark: N monitored items changing at a rate, through the real gateway vs a plain "
                + "Milo client in the same run: values received vs produced, latency p50/p99, subscription set-up, "
                + "CPU, RSS.")
public final class OpcUaBench implements Callable<Integer> {

    private static final String GATEWAY_ID = "bench-opcua";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SUBSCRIBED = Pattern.compile(
            "subscription \\d+ with (\\d+) monitored items.* \\((\\d+) ms\\)");
    private static final int PROBES = 100;

    @Option(names = "--items", defaultValue = "1000", paramLabel = "N",
            description = "Monitored items (variables on the server) (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--rate", defaultValue = "10", paramLabel = "HZ",
            description = "Changes per second of every variable (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration", defaultValue = "20", paramLabel = "S",
            description = "Seconds of changes in each phase (default ${DEFAULT-VALUE}).")
    int duration;

    @Option(names = "--sampling-ms", defaultValue = "100", paramLabel = "MS",
            description = "Sampling and publishing interval of the subscriptions (default ${DEFAULT-VALUE}).")
    double samplingMs;

    @Option(names = "--json", description = "Print exactly one JSON object on stdout (progress on stderr).")
    boolean json;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Where the broker and the gateway home (and their logs) go (default: a new temp dir).")
    Path workDir;

    private BenchOpcUaServer server;
    private MosquittoBroker broker;
    private GatewayProcess gateway;
    private MqttRecorder metrics;
    private MqttRecorder alerts;
    private final Map<String, Object> result = new LinkedHashMap<>();

    @Override
    public Integer call() {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        Thread hook = new Thread(this::stopGateway, "bench-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (items < 1 || !(rate > 0) || duration < 1 || !(samplingMs >= 0)) {
                Bench.log("invalid options: --items >= 1, --rate > 0, --duration >= 1, --sampling-ms >= 0");
                return 2;
            }
            run();
            if (json) {
                stdout.println(JSON.writeValueAsString(result));
            } else {
                result.forEach((k, v) -> stdout.printf(Locale.ROOT, "%-28s %s%n", k, v));
            }
            stdout.flush();
            return 0;
        } catch (Exception e) {
            Bench.log("benchmark FAILED: " + e);
            e.printStackTrace(System.err);
            return 1;
        } finally {
            stopGateway();
            closeQuietly(metrics);
            closeQuietly(alerts);
            closeQuietly(broker);
            closeQuietly(server);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down
            }
            System.setOut(stdout);
        }
    }

    private void run() throws Exception {
        GatewayProcess.distribution();
        workDir = workDir != null ? Files.createDirectories(workDir).toAbsolutePath()
                : Files.createTempDirectory("edgegw-bench-opcua-");
        server = new BenchOpcUaServer(Ports.freePort(), items).start();
        Bench.log("work dir " + workDir + "; OPC UA bench server " + server.endpointUrl() + ": " + items
                + " variables changing at " + rate + " Hz (" + Math.round(items * rate) + " changes/s), sampling "
                + samplingMs + " ms, " + duration + " s per phase, " + Runtime.getRuntime().availableProcessors()
                + " cores");
        result.put("items", items);
        result.put("rate_hz", rate);
        result.put("sampling_ms", samplingMs);
        result.put("duration_s", duration);
        baseline();
        gatewayPhase();
        result.put("cores", Runtime.getRuntime().availableProcessors());
    }

    // ------------------------------------------------------------------------------------- phase 1: plain client

    private void baseline() throws Exception {
        Bench.log("phase 1: plain Milo client");
        OpcUaClient client = OpcUaClient.create(server.endpointUrl());
        client.connect();
        try {
            int ns = client.getNamespaceTable().getIndex(BenchOpcUaServer.NAMESPACE_URI).intValue();
            List<NodeId> ids = server.nodeIds(ns);
            AtomicLong received = new AtomicLong();
            ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
            AtomicLong window = new AtomicLong(); // probes count only after the changes started (epoch ms)
            long t0 = System.nanoTime();
            OpcUaSubscription s = new OpcUaSubscription(client, Math.max(samplingMs, 1));
            s.create();
            List<OpcUaMonitoredItem> list = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                boolean probe = i < PROBES;
                OpcUaMonitoredItem item = OpcUaMonitoredItem.newDataItem(ids.get(i));
                item.setSamplingInterval(samplingMs);
                item.setQueueSize(Unsigned.uint(10));
                item.setDiscardOldest(true);
                item.setDataValueListener((it, v) -> {
                    received.incrementAndGet();
                    if (probe && window.get() > 0 && isPeak(v)) {
                        Instant source = v.getSourceTime().getJavaInstant();
                        if (source.toEpochMilli() >= window.get()) {
                            latencies.add(millisSince(source));
                        }
                    }
                });
                list.add(item);
            }
            s.addMonitoredItems(list);
            s.createMonitoredItems();
            double setupMs = (System.nanoTime() - t0) / 1e6;
            long good = list.stream().filter(x -> x.getCreateResult().map(r -> r.isGood()).orElse(false)).count();
            if (good != items) {
                throw new IllegalStateException("the plain client created " + good + " of " + items + " items");
            }
            Bench.log(String.format(Locale.ROOT, "plain client: subscription with %d items created in %.0f ms", good,
                    setupMs));
            Thread.sleep(1500); // initial values
            long before = received.get();
            long producedBefore = server.produced();
            window.set(System.currentTimeMillis());
            server.startChanging(rate);
            Thread.sleep(duration * 1000L);
            server.stopChanging();
            long produced = server.produced() - producedBefore;
            long got = awaitStable(() -> received.get() - before, produced);
            s.delete();
            double[] lat = Bench.sorted(latencies.stream().mapToDouble(Double::doubleValue).toArray());
            Bench.log(String.format(Locale.ROOT, "plain client: %d of %d changes received, latency p50 %.1f ms, "
                    + "p99 %.1f ms (%d probe values)", got, produced, Bench.percentile(lat, 0.5),
                    Bench.percentile(lat, 0.99), lat.length));
            result.put("baseline_setup_ms", Bench.round(setupMs, 1));
            result.put("baseline_produced", produced);
            result.put("baseline_received", got);
            result.put("baseline_received_per_s", Bench.round(got / (double) duration, 1));
            result.put("baseline_p50_ms", Bench.round(Bench.percentile(lat, 0.5), 2));
            result.put("baseline_p99_ms", Bench.round(Bench.percentile(lat, 0.99), 2));
            result.put("baseline_latency_samples", lat.length);
        } finally {
            client.disconnect();
        }
    }

    private static boolean isPeak(DataValue v) {
        Object x = v.getValue() == null ? null : v.getValue().getValue();
        return x instanceof Double d && d == BenchOpcUaServer.PERIOD - 1 && v.getSourceTime() != null;
    }

    private static double millisSince(Instant source) {
        Instant now = Instant.now();
        return Duration.between(source, now).toNanos() / 1e6;
    }

    /** Waits until {@code counter} reaches {@code expected} or stops growing for 3 s (at most 30 s). */
    private static long awaitStable(java.util.function.LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long last = counter.getAsLong();
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline && last < expected
                && System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(3)) {
            Thread.sleep(100);
            long now = counter.getAsLong();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            }
        }
        return last;
    }

    // ------------------------------------------------------------------------------------- phase 2: the gateway

    private void gatewayPhase() throws Exception {
        Bench.log("phase 2: the gateway");
        broker = MosquittoBroker.start(Files.createDirectories(workDir.resolve("broker")));
        Path home = GatewayHomes.create(workDir.resolve("gateway"));
        GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", Map.of("metrics.interval.s", "1"));
        // the language model would explain every probe alert on these 2 cores: not what is measured here
        GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
        GatewayHomes.configure(home, "io.edgegateway.opcua.source-bench.cfg", Map.of(
                "endpoint.url", server.endpointUrl(), "nodes", "Objects/Bench/*/*",
                "sampling.interval.ms", String.valueOf(samplingMs), "queue.size", "10", "source.name", "bench"));
        // probes: the first 100 variables (bench-000 .. bench-009)
        GatewayHomes.configure(home, "io.edgegateway.rules.threshold-opcua-bench.cfg", Map.of(
                "detector.asset", "bench-00?", "detector.signal", "v*", "high", "98.5", "hysteresis", "50",
                "severity", "WARNING"));
        String prefix = "gateway/" + GATEWAY_ID + "/";
        metrics = new MqttRecorder(broker.url(), prefix + "metrics");
        alerts = new MqttRecorder(broker.url(), prefix + "alerts/#");
        long spawn = System.nanoTime();
        gateway = GatewayProcess.start(home, broker.url(), GATEWAY_ID, Map.of(), null);
        Bench.log("gateway pid " + gateway.pid() + ", log " + gateway.log());
        if (!gateway.awaitLog("Gateway '" + GATEWAY_ID + "' started", Duration.ofSeconds(90))) {
            throw new IllegalStateException("the gateway did not start within 90 s:\n" + gateway.logText());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (server.monitoredItemCount() < items) {
            if (System.nanoTime() > deadline || !gateway.isAlive()) {
                throw new IllegalStateException("the server holds " + server.monitoredItemCount() + " of " + items
                        + " monitored items after 120 s:\n" + gateway.logText());
            }
            Thread.sleep(20);
        }
        double spawnToItemsMs = (System.nanoTime() - spawn) / 1e6;
        Thread.sleep(300);
        Matcher m = SUBSCRIBED.matcher(gateway.logText());
        double setupMs = Double.NaN;
        long monitored = -1;
        while (m.find()) {
            monitored = Long.parseLong(m.group(1));
            setupMs = Double.parseDouble(m.group(2));
        }
        Bench.log(String.format(Locale.ROOT, "gateway: %d monitored items, subscription set up in %.0f ms (browse, "
                + "units, create); spawn to all items on the server %.0f ms", monitored, setupMs, spawnToItemsMs));
        Thread.sleep(2500); // initial values accepted, a metrics message after them
        metrics.drain();
        long before = nextMetrics().path("accepted").asLong();
        long producedBefore = server.produced();
        long[] cpu0 = cpuTicks(gateway.pid());
        long wall0 = System.nanoTime();
        long windowStart = System.currentTimeMillis();
        alerts.drain();
        server.startChanging(rate);
        Thread.sleep(duration * 1000L);
        server.stopChanging();
        long[] cpu1 = cpuTicks(gateway.pid());
        double cpuPercent = 100.0 * ((cpu1[0] - cpu0[0]) / (double) cpu1[1]) / ((System.nanoTime() - wall0) / 1e9);
        long produced = server.produced() - producedBefore;
        long[] accepted = {before};
        long got = awaitStable(() -> {
            try {
                MqttRecorder.Received r = metrics.next(x -> true, 1200);
                if (r != null) {
                    accepted[0] = r.json().path("accepted").asLong();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return accepted[0] - before;
        }, produced);
        Thread.sleep(1000);
        List<Double> decided = new ArrayList<>();
        List<Double> delivered = new ArrayList<>();
        long nowNanos = System.nanoTime();
        Instant nowWall = Instant.now();
        Map<String, Long> others = new java.util.TreeMap<>();
        for (MqttRecorder.Received r : alerts.drain()) {
            JsonNode a = r.json();
            Instant observed = Instant.parse(a.path("observedTime").asText());
            if (observed.toEpochMilli() < windowStart) {
                continue;
            }
            if (!a.path("detector").asText().equals("threshold") || !a.path("assetId").asText().startsWith("bench-00")
                    || a.path("value").asDouble() != BenchOpcUaServer.PERIOD - 1) {
                // the default rules of deploy/ (EWMA, stuck) see the sawtooth too: counted, not timed
                others.merge(a.path("detector").asText(), 1L, Long::sum);
                continue;
            }
            Instant detection = Instant.parse(a.path("detectionTime").asText());
            Instant arrival = nowWall.minusNanos(nowNanos - r.arrivalNanos());
            decided.add(Duration.between(observed, detection).toNanos() / 1e6);
            delivered.add(Duration.between(observed, arrival).toNanos() / 1e6);
        }
        double[] dec = Bench.sorted(decided.stream().mapToDouble(Double::doubleValue).toArray());
        double[] del = Bench.sorted(delivered.stream().mapToDouble(Double::doubleValue).toArray());
        long ticks = Math.round(produced / (double) items);
        long expectedAlerts = ticks * Math.min(PROBES, items) / BenchOpcUaServer.PERIOD;
        long rss = gateway.rssBytes();
        long heap = HeapInfo.usedBytes(gateway.pid());
        Bench.log(String.format(Locale.ROOT, "gateway: %d of %d changes accepted, CPU %.0f %%, alert latency p50 "
                + "%.1f ms p99 %.1f ms (%d alerts, ~%d expected), RSS %.0f MiB", got, produced, cpuPercent,
                Bench.percentile(dec, 0.5), Bench.percentile(dec, 0.99), dec.length, expectedAlerts, rss / 1048576.0));

        result.put("setup_ms", setupMs);
        result.put("monitored_items", monitored);
        result.put("spawn_to_items_ms", Bench.round(spawnToItemsMs, 0));
        result.put("setup_ratio", Bench.round(setupMs / ((Number) result.get("baseline_setup_ms")).doubleValue(), 2));
        result.put("produced", produced);
        result.put("received", got);
        result.put("lost", produced - got);
        result.put("produced_per_s", Bench.round(produced / (double) duration, 1));
        result.put("received_per_s", Bench.round(got / (double) duration, 1));
        result.put("throughput_ratio", Bench.round(got / ((Number) result.get("baseline_received")).doubleValue(), 4));
        result.put("p50_ms", Bench.round(Bench.percentile(dec, 0.5), 2));
        result.put("p99_ms", Bench.round(Bench.percentile(dec, 0.99), 2));
        result.put("delivered_p50_ms", Bench.round(Bench.percentile(del, 0.5), 2));
        result.put("delivered_p99_ms", Bench.round(Bench.percentile(del, 0.99), 2));
        double b50 = ((Number) result.get("baseline_p50_ms")).doubleValue();
        double b99 = ((Number) result.get("baseline_p99_ms")).doubleValue();
        result.put("latency_ratio_p50", Bench.round(Bench.percentile(dec, 0.5) / b50, 2));
        result.put("latency_ratio_p99", Bench.round(Bench.percentile(dec, 0.99) / b99, 2));
        result.put("probe_alerts_expected", expectedAlerts);
        result.put("probe_alerts_received", dec.length);
        result.put("other_alerts", others);
        result.put("cpu_percent", Bench.round(cpuPercent, 1));
        result.put("rss_bytes", rss);
        result.put("heap_used_bytes", heap);
    }

    private JsonNode nextMetrics() throws InterruptedException {
        MqttRecorder.Received r = metrics.next(x -> true, 5000);
        if (r == null) {
            throw new IllegalStateException("no metrics from the gateway within 5 s");
        }
        return r.json();
    }

    /** utime + stime of a process in clock ticks, and the ticks per second (from /proc). */
    private static long[] cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after "pid (comm) ": state is field 3, utime field 14, stime field 15
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        return new long[] {ticks, 100};
    }

    private void stopGateway() {
        GatewayProcess g = gateway;
        if (g != null) {
            try {
                g.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                Bench.log("closing " + c + ": " + e);
            }
        }
    }
}

package io.edgegateway.testbed.demo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.EmbeddedBroker;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.HeapInfo;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.simulator.CmapssReplay;
import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.MqttPlantPublisher;
import io.edgegateway.testbed.simulator.Scenarios;
import io.edgegateway.testbed.simulator.SimulatorCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway demo}: an MQTT broker (embedded, or {@code --broker}), the plant simulator with injected faults,
 * a replay of C-MAPSS engines wearing out, and the real gateway distribution in its own process; every alert and
 * every remaining-useful-life estimate the gateway publishes is printed as it arrives on the broker, read by an
 * independent MQTT client, exactly as a plant's SCADA would see it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the plant simulator and the real gateway against an MQTT broker and prints each alert.",
                "Without --broker an embedded broker (Moquette) is started on a free loopback port.",
                "Faults are injected at 20 s (vibration spike), 35 s (temperature drift), 50 s (stuck sensor); a slow"
                        + " bearing wear of pump-1 from 60 s over 180 s (--wear-at, --wear-over) is watched by the"
                        + " asset health model, fitted before the start on two hours of a healthy pump's history;"
                        + " the summary prints each detector's delay on it.",
                "C-MAPSS engines (--engines) are replayed to failure as assets engine-<unit>; the gateway's RUL "
                        + "estimates for them are printed as maintenance lines (on stderr with --json).",
                "An OPC UA plant server (Milo) serves pump-2 and compressor-2, which exist only there, to the "
                        + "gateway's OPC UA source: a vibration spike at 30 s, a temperature drift from 35 s (from the "
                        + "server's start); their alerts are marked 'via OPC UA' (--no-opcua: MQTT only)."})
public final class DemoCommand implements Callable<Integer> {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Option(names = "--broker", paramLabel = "URL", description = "Use this MQTT broker instead of the embedded one.")
    String brokerUrl;

    @Option(names = "--json", description = "One JSON object per alert per line on stdout (logs and maintenance "
            + "lines stay on stderr).")
    boolean json;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop cleanly after this long; 0 runs until "
            + "Ctrl-C (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    double durationSeconds;

    @Option(names = "--rate", paramLabel = "HZ", defaultValue = "2",
            description = "Samples per second per signal (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--faults", paramLabel = "SPEC", description = "Fault scenario, e.g. "
            + "pump-1/bearing_temperature:drift@10+60*20 (see ./gateway testbed --help).")
    String faults;

    @Option(names = "--gateway-id", paramLabel = "ID", defaultValue = "demo", description = "Gateway id in topics.")
    String gatewayId;

    @Option(names = "--engines", split = ",", paramLabel = "UNITS", defaultValue = "91,77", description = "C-MAPSS "
            + "FD001 engines replayed as engine-<unit> (held-out validation units of the RUL model; 'none': no "
            + "replay) (default: ${DEFAULT-VALUE}).")
    List<String> engines;

    @Option(names = "--engine-cycle-ms", paramLabel = "MS", defaultValue = "400", description = "Milliseconds per "
            + "engine cycle; each engine loops after its failure (default: ${DEFAULT-VALUE}).")
    long engineCycleMillis;

    @Option(names = "--cmapss-file", paramLabel = "FILE", description = "C-MAPSS file of the engines (default: "
            + "../shared/cmapss/train_FD001.txt from the repository root).")
    Path cmapssFile;

    @Option(names = "--no-opcua", description = "Do not start the OPC UA plant server (pump-2, compressor-2).")
    boolean noOpcUa;

    @Option(names = "--wear-at", paramLabel = "SECONDS", defaultValue = "60", description = "A slow bearing wear of "
            + "pump-1 starts then (it grows over --wear-over seconds), watched by the asset health model fitted on a "
            + "healthy pump's history; 0: none. Only with the default faults (default: ${DEFAULT-VALUE}).")
    double wearAtSeconds;

    @Option(names = "--wear-over", paramLabel = "SECONDS", defaultValue = "180", description = "How long the wear "
            + "grows to its full severity (default: ${DEFAULT-VALUE}).")
    double wearOverSeconds;

    /** Seconds between RUL estimates of an engine in the demo's estimator configuration. */
    static final int RUL_INTERVAL_S = 4;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        PrintStream log = System.err;
        Path dir = Files.createTempDirectory("edgegw-demo-");
        EmbeddedBroker embedded = null;
        GatewayProcess gateway = null;
        MqttRecorder recorder = null;
        MqttPlantPublisher plant = null;
        MqttPlantPublisher engineReplay = null;
        DemoOpcUa opcua = null;
        Thread shutdown = null;
        try {
            String url = brokerUrl;
            if (url == null) {
                embedded = EmbeddedBroker.start();
                url = embedded.url();
                log.println("Embedded MQTT broker on " + url);
            }
            Path home = GatewayHomes.create(dir.resolve("home"));
            SimulatorCommand simulator = SimulatorCommand.forBroker(url).rate(rate).qos(1);
            if (faults != null) {
                simulator.faultSpec(faults);
            } else if (wearAtSeconds > 0) {
                simulator.faultSpec(Scenarios.DEFAULT + "," + DemoHealthModel.ASSET + "/*:bearing_wear@"
                        + wearAtSeconds + "+" + wearOverSeconds + "*1");
                log.println(DemoHealthModel.install(home, dir));
            }
            // a missing file or unit fails here, before the gateway starts
            CmapssReplay replay = simulator.cmapssUnits(engineUnits()).cmapssCycleMillis(engineCycleMillis)
                    .cmapssFile(cmapssFile).replay();
            Map<String, String> properties = Map.of();
            if (replay != null) {
                // the engines' RUL estimator; libtorch unpacked once in the distribution, not in every demo home
                GatewayHomes.configure(home, "io.edgegateway.rul-demo.cfg", Map.of("detector.asset",
                        CmapssReplay.ASSET_PREFIX + "*", "detector.signal", "sensor*", "signal.map",
                        String.join(",", CmapssReplay.FD001_FEATURES), "interval.s", String.valueOf(RUL_INTERVAL_S)));
                properties = Map.of("gateway.djl.cache",
                        GatewayProcess.distribution().resolve("data/djl-cache").toString());
            }
            if (!noOpcUa) {
                opcua = DemoOpcUa.start(home, rate);
            }
            recorder = new MqttRecorder(url, "gateway/" + gatewayId + "/#");
            gateway = GatewayProcess.start(home, url, gatewayId, properties, null);
            log.println("Gateway starting (home " + home + ", log " + gateway.log() + ")");
            final GatewayProcess g = gateway;
            shutdown = new Thread(() -> closeQuietly(g), "demo-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdown);
            if (!gateway.awaitLog("Gateway '" + gatewayId + "' started", Duration.ofSeconds(60))) {
                log.println("The gateway did not start. Its log:\n" + gateway.logText());
                return 1;
            }
            String statusTopic = "gateway/" + gatewayId + "/status";
            if (recorder.next(r -> r.topic().equals(statusTopic) && r.payload().contains("online"), 30_000) == null) {
                log.println("The gateway did not come online on " + url + ". Its log:\n" + gateway.logText());
                return 1;
            }
            List<FaultSpec> scheduled = simulator.faults();
            plant = simulator.start();
            engineReplay = replay == null ? null : simulator.startReplay(replay);
            Instant simStart = Instant.now();
            log.println("Plant simulator publishing " + plant.source().assets() + " at " + rate
                    + " Hz per signal on plant/<asset>/<signal>");
            if (engineReplay != null) {
                log.println("C-MAPSS engines " + engineReplay.source().assets() + " replayed to failure, one cycle "
                        + "every " + engineCycleMillis + " ms; RUL estimated every " + RUL_INTERVAL_S + " s");
            }
            for (FaultSpec fault : scheduled) {
                log.printf(Locale.ROOT, "  fault scheduled: %s/%s %s at %.0f s%n", fault.asset(), fault.signal(),
                        fault.type().name().toLowerCase(Locale.ROOT), fault.startSeconds());
            }
            if (opcua != null) {
                log.println(opcua.describe());
                for (FaultSpec fault : opcua.faults()) {
                    log.printf(Locale.ROOT, "  fault scheduled: %s/%s %s at %.0f s of the OPC UA server (now %.0f s)%n",
                            fault.asset(), fault.signal(), fault.type().name().toLowerCase(Locale.ROOT),
                            fault.startSeconds(), opcua.secondsSinceStart());
                }
            }
            log.println(json ? "Alerts follow on stdout, one JSON object per line (explanation and maintenance lines "
                    + "on stderr)." : "Alerts, their explanations (local language model) and maintenance estimates:");

            String alertPrefix = "gateway/" + gatewayId + "/alerts/";
            String maintenancePrefix = "gateway/" + gatewayId + "/maintenance/";
            String explanationPrefix = "gateway/" + gatewayId + "/explanations/";
            List<JsonNode> explanations = new ArrayList<>();
            long end = durationSeconds > 0 ? System.nanoTime() + (long) (durationSeconds * 1e9) : Long.MAX_VALUE;
            List<JsonNode> alerts = new ArrayList<>();
            Map<String, List<JsonNode>> estimates = new TreeMap<>();
            while (System.nanoTime() < end && gateway.isAlive()) {
                MqttRecorder.Received r = recorder.next(x -> x.topic().startsWith(alertPrefix)
                        || x.topic().startsWith(maintenancePrefix) || x.topic().startsWith(explanationPrefix), 250);
                if (r == null) {
                    continue;
                }
                if (r.topic().startsWith(explanationPrefix)) {
                    JsonNode e = r.json();
                    explanations.add(e);
                    PrintStream to = json ? log : out;
                    to.println(explanationLine(e));
                    to.flush();
                    continue;
                }
                if (r.topic().startsWith(maintenancePrefix)) {
                    JsonNode estimate = r.json();
                    estimates.computeIfAbsent(estimate.path("assetId").asText(), a -> new ArrayList<>()).add(estimate);
                    PrintStream to = json ? log : out;
                    to.println(maintenanceLine(estimate));
                    to.flush();
                    continue;
                }
                JsonNode alert = r.json();
                alerts.add(alert);
                if (json) {
                    out.println(alert.toString());
                } else {
                    out.println(humanReadable(alert) + DemoOpcUa.tag(alert));
                }
                out.flush();
            }
            if (!gateway.isAlive()) {
                log.println("The gateway stopped unexpectedly. Its log:\n" + gateway.logText());
                return 1;
            }
            summary(log, alerts, scheduled, simStart);
            DemoHealthModel.summary(log, alerts, scheduled, simStart);
            if (opcua != null) {
                opcua.summary(log, alerts);
            }
            maintenanceSummary(log, estimates);
            explanationSummary(log, explanations);
            log.printf(Locale.ROOT, "Gateway memory after %.0f s: RSS %.1f MiB, heap used %.1f MiB%n",
                    Duration.between(simStart, Instant.now()).toMillis() / 1000.0, gateway.rssBytes() / 1048576.0,
                    HeapInfo.usedBytes(gateway.pid()) / 1048576.0);
            return 0;
        } finally {
            if (plant != null) {
                plant.close();
            }
            if (engineReplay != null) {
                engineReplay.close();
            }
            closeQuietly(gateway);
            if (shutdown != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdown);
                } catch (IllegalStateException alreadyShuttingDown) {
                    // Ctrl-C: the hook is running
                }
            }
            if (recorder != null) {
                recorder.close();
            }
            if (opcua != null) {
                opcua.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    static String humanReadable(JsonNode a) {
        String time = a.path("detectionTime").isTextual()
                ? LocalTime.ofInstant(Instant.parse(a.path("detectionTime").asText()), ZoneId.systemDefault())
                .format(CLOCK) : "";
        String state = a.path("state").asText("event");
        String detector = "[" + a.path("detector").asText() + (state.equals("event") ? "" : " " + state) + "]";
        return String.format(Locale.ROOT, "%s  %-8s  %-13s %-20s %10.2f %-5s  %-9s %s", time,
                a.path("severity").asText(), a.path("assetId").asText(), a.path("signal").asText(),
                a.path("value").asDouble(), a.path("unit").asText(), detector, a.path("message").asText());
    }

    /** The replayed engines' unit numbers; empty for {@code --engines none}. */
    private List<Integer> engineUnits() {
        List<String> ids = engines.stream().map(String::trim).filter(e -> !e.isEmpty()).toList();
        if (ids.isEmpty() || ids.size() == 1 && ids.get(0).equalsIgnoreCase("none")) {
            return List.of();
        }
        try {
            return ids.stream().map(Integer::valueOf).toList();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--engines " + String.join(",", ids) + ": unit numbers or 'none'");
        }
    }

    /** e.g. {@code   explained (llm explainer-maint 1.0.0, 64 ms) bearing wear: The bearing temperature of ...}. */
    static String explanationLine(JsonNode e) {
        String by = e.path("source").asText() + (e.path("modelId").asText().isEmpty() ? ""
                : " " + e.path("modelId").asText() + " " + e.path("modelVersion").asText());
        return String.format(Locale.ROOT, "              explained (%s, %.0f ms) %s [%s, %s]: %s", by,
                e.path("latencyMs").asDouble(), e.path("assetId").asText(), e.path("probableCause").asText(),
                e.path("urgency").asText(), e.path("text").asText());
    }

    private static void explanationSummary(PrintStream log, List<JsonNode> explanations) {
        if (explanations.isEmpty()) {
            return;
        }
        Map<String, List<Double>> latency = new TreeMap<>();
        explanations.forEach(e -> latency.computeIfAbsent(e.path("source").asText(), k -> new ArrayList<>())
                .add(e.path("latencyMs").asDouble()));
        latency.forEach((source, ms) -> {
            ms.sort(null);
            log.printf(Locale.ROOT, "Explanations by %s: %d, latency from alert p50 %.0f ms, max %.0f ms%n", source,
                    ms.size(), ms.get(ms.size() / 2), ms.get(ms.size() - 1));
        });
    }

    /** e.g. {@code 12:00:04.120  maintenance engine-91: RUL 87 cycles (health 0.70)}. */
    static String maintenanceLine(JsonNode e) {
        String time = e.path("time").isTextual()
                ? LocalTime.ofInstant(Instant.parse(e.path("time").asText()), ZoneId.systemDefault()).format(CLOCK)
                : "";
        return String.format(Locale.ROOT, "%s  maintenance %s: RUL %.0f cycles (health %.2f)", time,
                e.path("assetId").asText(), e.path("rulCycles").asDouble(), e.path("healthIndex").asDouble());
    }

    /** Per engine: how many estimates, the first and the last RUL, and the lowest. */
    private static void maintenanceSummary(PrintStream log, Map<String, List<JsonNode>> estimates) {
        estimates.forEach((asset, list) -> log.printf(Locale.ROOT,
                "  %s: %d RUL estimates, first %.0f cycles, last %.0f, lowest %.0f (model %s %s)%n", asset,
                list.size(), list.get(0).path("rulCycles").asDouble(),
                list.get(list.size() - 1).path("rulCycles").asDouble(),
                list.stream().mapToDouble(x -> x.path("rulCycles").asDouble()).min().orElse(Double.NaN),
                list.get(0).path("modelId").asText(), list.get(0).path("modelVersion").asText()));
    }

    /** Per injected fault: was there an alert on its signal after it started, and how soon. */
    private static void summary(PrintStream log, List<JsonNode> alerts, List<FaultSpec> faults, Instant simStart) {
        Map<String, Long> byDetector = new TreeMap<>();
        alerts.forEach(a -> byDetector.merge(a.path("detector").asText(), 1L, Long::sum));
        log.println();
        log.println("Summary: " + alerts.size() + " alerts " + byDetector);
        for (FaultSpec fault : faults) {
            Instant start = simStart.plusMillis((long) (fault.startSeconds() * 1000));
            String detected = alerts.stream()
                    .filter(a -> a.path("assetId").asText().equals(fault.asset())
                            && (fault.signal().equals("*") || a.path("signal").asText().equals(fault.signal())))
                    .map(a -> Instant.parse(a.path("detectionTime").asText()))
                    .filter(t -> !t.isBefore(start.minusSeconds(1)))
                    .findFirst()
                    .map(t -> String.format(Locale.ROOT, "alert %.1f s after the fault started",
                            Duration.between(start, t).toMillis() / 1000.0))
                    .orElse(Instant.now().isBefore(start) ? "not reached yet" : "no alert");
            log.printf(Locale.ROOT, "  %s/%s %s: %s%n", fault.asset(), fault.signal(),
                    fault.type().name().toLowerCase(Locale.ROOT), detected);
        }
    }

    private static void closeQuietly(GatewayProcess gateway) {
        if (gateway != null) {
            try {
                gateway.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

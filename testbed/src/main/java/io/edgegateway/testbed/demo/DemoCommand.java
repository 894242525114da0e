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
import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.MqttPlantPublisher;
import io.edgegateway.testbed.simulator.SimulatorCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway demo}: an MQTT broker (embedded, or {@code --broker}), the plant simulator with injected faults,
 * and the real gateway distribution in its own process; every alert the gateway publishes is printed as it arrives
 * on the broker, read by an independent MQTT client, exactly as a plant's SCADA would see it.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the plant simulator and the real gateway against an MQTT broker and prints each alert.",
                "Without --broker an embedded broker (Moquette) is started on a free loopback port.",
                "Faults are injected at 20 s (vibration spike), 35 s (temperature drift), 50 s (stuck sensor)."})
public final class DemoCommand implements Callable<Integer> {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    @Option(names = "--broker", paramLabel = "URL", description = "Use this MQTT broker instead of the embedded one.")
    String brokerUrl;

    @Option(names = "--json", description = "One JSON object per alert per line on stdout (logs stay on stderr).")
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

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        PrintStream log = System.err;
        Path dir = Files.createTempDirectory("edgegw-demo-");
        EmbeddedBroker embedded = null;
        GatewayProcess gateway = null;
        MqttRecorder recorder = null;
        MqttPlantPublisher plant = null;
        Thread shutdown = null;
        try {
            String url = brokerUrl;
            if (url == null) {
                embedded = EmbeddedBroker.start();
                url = embedded.url();
                log.println("Embedded MQTT broker on " + url);
            }
            Path home = GatewayHomes.create(dir.resolve("home"));
            recorder = new MqttRecorder(url, "gateway/" + gatewayId + "/#");
            gateway = GatewayProcess.start(home, url, gatewayId, Map.of(), null);
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
            SimulatorCommand simulator = SimulatorCommand.forBroker(url).rate(rate).qos(1);
            if (faults != null) {
                simulator.faultSpec(faults);
            }
            List<FaultSpec> scheduled = simulator.faults();
            plant = simulator.start();
            Instant simStart = Instant.now();
            log.println("Plant simulator publishing " + simulator.simulator().assets() + " at " + rate
                    + " Hz per signal on plant/<asset>/<signal>");
            for (FaultSpec fault : scheduled) {
                log.printf(Locale.ROOT, "  fault scheduled: %s/%s %s at %.0f s%n", fault.asset(), fault.signal(),
                        fault.type().name().toLowerCase(Locale.ROOT), fault.startSeconds());
            }
            log.println(json ? "Alerts follow on stdout, one JSON object per line." : "Alerts:");

            String alertPrefix = "gateway/" + gatewayId + "/alerts/";
            long end = durationSeconds > 0 ? System.nanoTime() + (long) (durationSeconds * 1e9) : Long.MAX_VALUE;
            List<JsonNode> alerts = new ArrayList<>();
            while (System.nanoTime() < end && gateway.isAlive()) {
                MqttRecorder.Received r = recorder.next(x -> x.topic().startsWith(alertPrefix), 250);
                if (r == null) {
                    continue;
                }
                JsonNode alert = r.json();
                alerts.add(alert);
                if (json) {
                    out.println(alert.toString());
                } else {
                    out.println(humanReadable(alert));
                }
                out.flush();
            }
            if (!gateway.isAlive()) {
                log.println("The gateway stopped unexpectedly. Its log:\n" + gateway.logText());
                return 1;
            }
            summary(log, alerts, scheduled, simStart);
            log.printf(Locale.ROOT, "Gateway memory after %.0f s: RSS %.1f MiB, heap used %.1f MiB%n",
                    Duration.between(simStart, Instant.now()).toMillis() / 1000.0, gateway.rssBytes() / 1048576.0,
                    HeapInfo.usedBytes(gateway.pid()) / 1048576.0);
            return 0;
        } finally {
            if (plant != null) {
                plant.close();
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
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    static String humanReadable(JsonNode a) {
        String time = a.path("detectionTime").isTextual()
                ? LocalTime.ofInstant(Instant.parse(a.path("detectionTime").asText()), ZoneId.systemDefault())
                .format(CLOCK) : "";
        return String.format(Locale.ROOT, "%s  %-8s  %-13s %-20s %10.2f %-5s  %-9s %s", time,
                a.path("severity").asText(), a.path("assetId").asText(), a.path("signal").asText(),
                a.path("value").asDouble(), a.path("unit").asText(), "[" + a.path("detector").asText() + "]",
                a.path("message").asText());
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
                            && a.path("signal").asText().equals(fault.signal()))
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

package io.edgegateway.testbed.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.Tools;
import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.SignalDef;
import io.edgegateway.testbed.simulator.SimSample;

import picocli.CommandLine;

/**
 * The demo's asset health model: a historian export of two hours of a healthy pump (the simulator, another seed,
 * in simulated time) is fitted with {@code ./gateway fit}, signed and dropped into the demo gateway's deploy/, and
 * a health-model rule watches pump-1 with it from the first tick. A slow bearing wear of pump-1 then shows the
 * difference: the adaptive EWMA rule adopts the wear, the thresholds see it late, the health model raises an alarm
 * early and holds it.
 */
final class DemoHealthModel {

    static final String ASSET = "pump-1";
    static final double TICK_SECONDS = 0.5;
    private static final int HISTORIAN_HOURS = 2;

    private DemoHealthModel() {
    }

    /** Fits the pump model and configures the rule in {@code home}; returns what it did, for the demo's log. */
    static String install(Path home, Path workDir) throws IOException {
        Path csv = historianExport(workDir.resolve("pump-normal.csv"));
        Path models = workDir.resolve("models");
        // the fit's report goes to the demo's log (stderr): stdout carries only alerts (one JSON per line with --json)
        java.io.PrintWriter log = new java.io.PrintWriter(new java.io.OutputStreamWriter(System.err,
                java.nio.charset.StandardCharsets.UTF_8), true);
        int code = new CommandLine(new Tools()).setOut(log).setErr(log).execute("fit", "--input", csv.toString(),
                "--asset-type", "pump", "--out", models.toString(), "--version", "1.0.0");
        if (code != 0) {
            throw new IOException("fit failed (exit " + code + ") on " + csv);
        }
        Path jar = models.resolve("health-model-pump-1.0.0.jar");
        DeployArtifacts.drop(jar, home.resolve("deploy").resolve(jar.getFileName()));
        GatewayHomes.configure(home, "io.edgegateway.rules.health-pumps.cfg", Map.of("detector.asset", ASSET,
                "asset.type", "pump", "tick.ms", Long.toString((long) (TICK_SECONDS * 1000)),
                "learn.duration", "10m"));
        return "Health model: pump fitted on " + HISTORIAN_HOURS + " h of a healthy pump (" + csv.getFileName()
                + ", ./gateway fit), signed, in deploy/; rule health-pumps watches " + ASSET;
    }

    /** Two hours of a healthy pump at one row per tick, as a historian would export it. */
    private static Path historianExport(Path file) throws IOException {
        PlantSimulator simulator = new PlantSimulator(7, 1 / TICK_SECONDS, List.of(), List.of(ASSET));
        List<String> lines = new ArrayList<>();
        StringBuilder header = new StringBuilder("time");
        for (SignalDef s : simulator.signals(ASSET)) {
            header.append(',').append(s.name());
        }
        lines.add(header.toString());
        int rows = (int) (HISTORIAN_HOURS * 3600 / TICK_SECONDS);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for (int i = 0; i < rows; i++) {
            StringBuilder line = new StringBuilder(t.toString());
            for (SimSample s : simulator.tick(t)) {
                line.append(',').append(s.value());
            }
            lines.add(line.toString());
            t = t.plusMillis((long) (TICK_SECONDS * 1000));
        }
        Files.write(file, lines);
        return file;
    }

    /**
     * For each slow degradation: per detector, the first alert on the asset while it lasted (not the repair at its
     * end), and for the health model whether its alarm was still held at the end of the demo.
     */
    static void summary(PrintStream log, List<JsonNode> alerts, List<FaultSpec> faults, Instant simStart) {
        for (FaultSpec fault : faults) {
            if (!fault.type().isDegradation()) {
                continue;
            }
            Instant start = simStart.plusMillis((long) (fault.startSeconds() * 1000));
            Instant end = simStart.plusMillis((long) (fault.endSeconds() * 1000)); // then the asset is repaired
            if (Instant.now().isBefore(start)) {
                log.printf(Locale.ROOT, "  %s %s from %.0f s: not reached yet%n", fault.asset(), fault.type().id(),
                        fault.startSeconds());
                continue;
            }
            Map<String, String> byDetector = new TreeMap<>();
            for (JsonNode a : alerts) {
                Instant at = Instant.parse(a.path("detectionTime").asText());
                String detector = a.path("detector").asText();
                if (!a.path("assetId").asText().equals(fault.asset()) || at.isBefore(start) || !at.isBefore(end)
                        || byDetector.containsKey(detector) || a.path("state").asText().equals("cleared")) {
                    continue;
                }
                byDetector.put(detector, String.format(Locale.ROOT, "%.1f s (%s)",
                        Duration.between(start, at).toMillis() / 1000.0, a.path("signal").asText()));
            }
            String held = alerts.stream().filter(a -> a.path("assetId").asText().equals(fault.asset())
                    && a.path("detector").asText().equals("health")).reduce((x, y) -> y)
                    .map(a -> a.path("state").asText().equals("raised") ? "still active at the end"
                            : "cleared " + a.path("durationMs").asLong() / 1000 + " s after it was raised")
                    .orElse("");
            log.printf(Locale.ROOT, "  %s %s from %.0f s over %.0f s, first alert during it by detector:"
                    + " %s%s%n", fault.asset(), fault.type().id(), fault.startSeconds(), fault.durationSeconds(),
                    byDetector.isEmpty() ? "none" : byDetector, held.isEmpty() ? "" : "; health alarm " + held);
            for (String detector : List.of("health", "ewma")) {
                if (!byDetector.containsKey(detector)) {
                    log.printf(Locale.ROOT, "    %s: no alert during the degradation%n", detector);
                }
            }
        }
    }
}

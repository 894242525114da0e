package io.edgegateway.testbed.demo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;

/**
 * The OPC UA part of the demo: a second set of assets ({@link #ASSETS}) that exists only on the testbed's Milo plant
 * server, never on MQTT, so every alert on them came through the gateway's OPC UA source. The MQTT plant and its
 * faults are untouched. Faults count from the server's start (it starts before the gateway, which connects to it).
 */
final class DemoOpcUa implements AutoCloseable {

    /** Served over OPC UA only. */
    static final List<String> ASSETS = List.of("pump-2", "compressor-2");

    /**
     * A vibration spike beyond the ISO limit (25 noise sigmas: ~5.5 mm/s, threshold and EWMA) at 30 s, a discharge
     * temperature drift (+40 degC/min) from 35 s. No stuck sensor: OPC UA reports changes only, so a frozen value
     * sends nothing at all (the stuck rule is for sources that repeat readings).
     */
    static final String FAULTS = "pump-2/vibration:spike@30+1*25,compressor-2/discharge_temperature:drift@35+60*40";

    /** The source's configuration file in the demo home's deploy/. */
    static final String CONFIG = "io.edgegateway.opcua.source-demo.cfg";

    private final PlantOpcUaServer server;
    private final List<FaultSpec> faults;
    private final Instant started;

    private DemoOpcUa(PlantOpcUaServer server, List<FaultSpec> faults, Instant started) {
        this.server = server;
        this.faults = faults;
        this.started = started;
    }

    /** Starts the plant server on a free port and configures the gateway home's OPC UA source for it. */
    static DemoOpcUa start(Path home, double rateHz) throws Exception {
        List<FaultSpec> faults = Scenarios.parse(FAULTS);
        PlantSimulator simulator = new PlantSimulator(7, rateHz, faults, ASSETS);
        PlantOpcUaServer server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null, simulator).start();
        Instant started = Instant.now();
        // sample twice per change so none is missed; the unit comes from the variables' EngineeringUnits
        double samplingMs = Math.max(50, Math.round(500 / rateHz));
        GatewayHomes.configure(home, CONFIG, Map.of("endpoint.url", server.endpointUrl(),
                "nodes", "Objects/Plant/*/*", "sampling.interval.ms", String.valueOf(samplingMs),
                "source.name", "demo-plant", "reconnect.min.ms", "500"));
        return new DemoOpcUa(server, faults, started);
    }

    /** e.g. {@code OPC UA plant server opc.tcp://localhost:40123/plant: pump-2, compressor-2 (OPC UA only), ...}. */
    String describe() {
        return "OPC UA plant server " + server.endpointUrl() + ": " + String.join(", ", ASSETS) + " (OPC UA only, "
                + server.variableCount() + " variables under Objects/Plant, security None), subscribed by the "
                + "gateway's OPC UA source (deploy/" + CONFIG + ")";
    }

    List<FaultSpec> faults() {
        return faults;
    }

    /** Seconds since the server started (its simulated time). */
    double secondsSinceStart() {
        return Duration.between(started, Instant.now()).toMillis() / 1000.0;
    }

    /** True for an alert on an asset served only over OPC UA. */
    static boolean viaOpcUa(JsonNode alert) {
        return ASSETS.contains(alert.path("assetId").asText());
    }

    /** The suffix of a human-readable alert line. */
    static String tag(JsonNode alert) {
        return viaOpcUa(alert) ? "  (via OPC UA)" : "";
    }

    /** How many alerts came via OPC UA, by detector, and per OPC UA fault whether and how soon it was alerted. */
    void summary(PrintStream log, List<JsonNode> alerts) {
        Map<String, Long> byDetector = new TreeMap<>();
        List<JsonNode> mine = alerts.stream().filter(DemoOpcUa::viaOpcUa).toList();
        mine.forEach(a -> byDetector.merge(a.path("detector").asText(), 1L, Long::sum));
        log.println("Via OPC UA (" + String.join(", ", ASSETS) + ", " + server.endpointUrl() + "): " + mine.size()
                + " of " + alerts.size() + " alerts " + byDetector);
        for (FaultSpec fault : faults) {
            Instant start = started.plusMillis((long) (fault.startSeconds() * 1000));
            String detected = mine.stream()
                    .filter(a -> a.path("assetId").asText().equals(fault.asset())
                            && a.path("signal").asText().equals(fault.signal()))
                    .map(a -> Instant.parse(a.path("detectionTime").asText()))
                    .filter(t -> !t.isBefore(start.minusSeconds(1)))
                    .findFirst()
                    .map(t -> String.format(Locale.ROOT, "alert %.1f s after the fault started",
                            Duration.between(start, t).toMillis() / 1000.0))
                    .orElse(Instant.now().isBefore(start) ? "not reached yet" : "no alert");
            log.printf(Locale.ROOT, "  %s/%s %s (OPC UA): %s%n", fault.asset(), fault.signal(),
                    fault.type().name().toLowerCase(Locale.ROOT), detected);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (Exception e) {
            System.err.println("stopping the demo's OPC UA server: " + e);
        }
    }
}

package io.edgegateway.testbed.simulator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.testbed.rul.Cmapss;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs the plant simulator against an MQTT broker. A subcommand of the tools command (it has no main method);
 * usable from code too:
 * <pre>
 * try (MqttPlantPublisher publisher = SimulatorCommand.forBroker("tcp://localhost:1883").start()) {
 *     ... // publishing in the background, default faults at 20 s, 35 s and 50 s
 * }
 * </pre>
 * or, blocking for the configured duration, {@code SimulatorCommand.forBroker(url).durationSeconds(90).run()}.
 */
@Command(name = "testbed", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Simulates a small plant (pumps, motors, compressors; conveyors with --assets) with injected"
                + " sensor faults and slow degradation, and publishes its samples to an MQTT broker on"
                + " plant/<asset>/<signal>.",
                "Faults: asset/signal:type@start+duration*magnitude, comma-separated; type spike (magnitude in noise"
                        + " sigmas; no duration = one sample), drift (units per minute), stuck or dropout (no"
                        + " magnitude; dropout: the signal is not published for the duration).",
                "Degradation: asset:type@start+duration*severity (severity grows from 0 to the magnitude, 1 = severe);"
                        + " bearing_wear (pumps, conveyors: vibration and bearing_temperature creep up), cavitation"
                        + " (pumps: discharge_pressure oscillates, flow drops), fouling (compressors:"
                        + " discharge_temperature creeps up), e.g. pump-1:bearing_wear@60+600*1.",
                "With --cmapss-units it also replays NASA C-MAPSS engines run to failure as assets engine-<unit>,"
                        + " one cycle every --cmapss-cycle-ms (the gateway's RUL estimator sees them wear out).",
                "Over OPC UA: ./gateway opcua-server serves the same plant (Objects/Plant/<asset>/<signal> at"
                        + " opc.tcp://localhost:4840/plant); with --mqtt-broker URL it publishes the same samples to"
                        + " MQTT too, so one simulator feeds a gateway over both (./gateway opcua-server --help)."})
public class SimulatorCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SimulatorCommand.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--broker", required = true, paramLabel = "URL", description = "Broker, e.g. tcp://localhost:1883.")
    private String broker;

    @Option(names = "--rate", paramLabel = "HZ", description = "Samples per second per signal.")
    private double rate = 2;

    @Option(names = "--seed", paramLabel = "N", description = "Seed: the same seed gives the same values.")
    private long seed = 42;

    @Option(names = "--assets", split = ",", paramLabel = "IDS",
            description = "Asset ids, comma-separated; each starts with pump, motor, compressor or conveyor (e.g."
                    + " conveyor-1: current, speed, vibration, bearing_temperature); 'none': no plant"
                    + " (e.g. to replay C-MAPSS engines only).")
    private List<String> assets = new ArrayList<>(PlantSimulator.DEFAULT_ASSETS);

    @Option(names = "--faults", paramLabel = "SPEC",
            description = "Faults to inject, or 'none'. Default (when neither --faults nor --scenario is given): "
                    + Scenarios.DEFAULT + " (those of simulated assets).")
    private String faultSpec;

    @Option(names = "--scenario", paramLabel = "FILE", description = "JSON file of faults (added to --faults).")
    private Path scenario;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "How long to run; 0 = until stopped.")
    private double duration;

    @Option(names = "--qos", paramLabel = "0|1|2", description = "MQTT QoS: 0, 1 or 2.")
    private int qos;

    @Option(names = "--format", paramLabel = "json|number",
            description = "Payload: a JSON object {asset, signal, value, unit, ts}, or just the number.")
    private String format = "json";

    @Option(names = "--ground-truth", paramLabel = "FILE",
            description = "Write the faults as they happened as JSON lines {asset, signal, fault, start, end,"
                    + " magnitude}, rewritten whenever a fault starts or ends.")
    private Path groundTruth;

    @Option(names = "--client-id", paramLabel = "ID", description = "MQTT client id (default: generated); the"
            + " C-MAPSS replay uses <ID>-cmapss.")
    private String clientId;

    @Option(names = "--cmapss-units", split = ",", paramLabel = "IDS", showDefaultValue = Visibility.NEVER,
            description = "Replay these engines (unit ids of --cmapss-file; 'all': every unit) as assets"
                    + " engine-<unit>, e.g. held-out ones listed in llm-bundle/model-bundles/rul-cmapss-fd001/src/main/"
                    + "resources/model/model.json \"validation_units\" (1,5,11,...,91). Default: no replay.")
    private List<String> cmapssUnits = new ArrayList<>();

    @Option(names = "--cmapss-file", paramLabel = "FILE", description = "C-MAPSS file (unit, cycle, setting1-3,"
            + " sensor1-21 per line). Default: ../shared/cmapss/train_FD001.txt (from the repository root).")
    private Path cmapssFile;

    @Option(names = "--cmapss-cycle-ms", paramLabel = "MS", description = "Milliseconds between engine cycles.")
    private long cmapssCycleMillis = 200;

    @Option(names = "--cmapss-signals", split = ",", paramLabel = "COLUMNS", showDefaultValue = Visibility.NEVER,
            description = "C-MAPSS columns"
            + " published as signals plant/engine-<unit>/<column>; 'all': setting1-3 and sensor1-21. Default: the RUL"
            + " model's 14 features (sensor2,sensor3,...,sensor21).")
    private List<String> cmapssSignals = new ArrayList<>(CmapssReplay.FD001_FEATURES);

    @Option(names = "--cmapss-at-end", paramLabel = "loop|stop", description = "After an engine's last cycle"
            + " (its failure): start it again from its first cycle, or stop publishing it.")
    private String cmapssAtEnd = "loop";

    /** For picocli; set at least the broker before using it from code. */
    public SimulatorCommand() {
    }

    /** A command with the given broker and every other option at its default. */
    public static SimulatorCommand forBroker(String brokerUrl) {
        return new SimulatorCommand().broker(brokerUrl);
    }

    public SimulatorCommand broker(String brokerUrl) {
        this.broker = brokerUrl;
        return this;
    }

    public SimulatorCommand rate(double hz) {
        this.rate = hz;
        return this;
    }

    public SimulatorCommand seed(long value) {
        this.seed = value;
        return this;
    }

    public SimulatorCommand assets(List<String> ids) {
        this.assets = new ArrayList<>(ids);
        return this;
    }

    /** Compact fault spec, {@code none}, or null for the default scenario. */
    public SimulatorCommand faultSpec(String spec) {
        this.faultSpec = spec;
        return this;
    }

    public SimulatorCommand scenario(Path file) {
        this.scenario = file;
        return this;
    }

    public SimulatorCommand durationSeconds(double seconds) {
        this.duration = seconds;
        return this;
    }

    public SimulatorCommand qos(int value) {
        this.qos = value;
        return this;
    }

    public SimulatorCommand format(PayloadFormat value) {
        this.format = value.id();
        return this;
    }

    public SimulatorCommand groundTruth(Path file) {
        this.groundTruth = file;
        return this;
    }

    /** C-MAPSS units to replay as {@code engine-<unit>}; empty: no replay. */
    public SimulatorCommand cmapssUnits(List<Integer> units) {
        this.cmapssUnits = new ArrayList<>(units.stream().map(String::valueOf).toList());
        return this;
    }

    /** The C-MAPSS file; null for the default ({@link CmapssReplay#defaultFile()}). */
    public SimulatorCommand cmapssFile(Path file) {
        this.cmapssFile = file;
        return this;
    }

    public SimulatorCommand cmapssCycleMillis(long millis) {
        this.cmapssCycleMillis = millis;
        return this;
    }

    public SimulatorCommand cmapssAtEnd(CmapssReplay.AtEnd atEnd) {
        this.cmapssAtEnd = atEnd.name();
        return this;
    }

    /**
     * The faults the options ask for: {@code --faults} plus {@code --scenario}; when neither is given, the faults of
     * {@link Scenarios#DEFAULT} on the simulated assets.
     *
     * @throws IllegalArgumentException for a spec or file that cannot be parsed
     */
    public List<FaultSpec> faults() {
        List<FaultSpec> faults = new ArrayList<>();
        if (faultSpec == null && scenario == null) {
            Set<String> simulated = Set.copyOf(assetIds());
            for (FaultSpec fault : Scenarios.defaults()) {
                if (simulated.contains(fault.asset())) {
                    faults.add(fault);
                }
            }
            return faults;
        }
        if (faultSpec != null) {
            faults.addAll(Scenarios.parse(faultSpec));
        }
        if (scenario != null) {
            try {
                faults.addAll(Scenarios.readJson(scenario));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read scenario " + scenario + ": " + e, e);
            }
        }
        return faults;
    }

    private List<String> assetIds() {
        return assets.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** False with {@code --assets none}: only the C-MAPSS replay, if any, publishes. */
    public boolean plantEnabled() {
        return !(assetIds().size() == 1 && assetIds().get(0).equalsIgnoreCase("none"));
    }

    /** A new simulator for the options. */
    public PlantSimulator simulator() {
        return new PlantSimulator(seed, rate, faults(), assetIds());
    }

    /**
     * A new C-MAPSS replay for the options, or null when no {@code --cmapss-units} are given.
     *
     * @throws IllegalArgumentException for invalid options or a file that cannot be read
     */
    public CmapssReplay replay() {
        List<String> ids = cmapssUnits.stream().map(String::trim).filter(u -> !u.isEmpty()).toList();
        if (ids.isEmpty()) {
            return null;
        }
        List<Integer> units = new ArrayList<>();
        if (!(ids.size() == 1 && ids.get(0).equalsIgnoreCase("all"))) {
            for (String id : ids) {
                try {
                    units.add(Integer.parseInt(id));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--cmapss-units: '" + id + "' is not a unit number");
                }
            }
        }
        List<String> columns = cmapssSignals.stream().map(String::trim).filter(c -> !c.isEmpty()).toList();
        if (columns.size() == 1 && columns.get(0).equalsIgnoreCase("all")) {
            columns = Cmapss.COLUMNS;
        }
        Path file = cmapssFile != null ? cmapssFile : CmapssReplay.defaultFile();
        try {
            return CmapssReplay.of(file, units, columns, cmapssCycleMillis, CmapssReplay.AtEnd.parse(cmapssAtEnd));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot replay C-MAPSS file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts publishing the plant in the background (connecting first, retried every second) and returns the
     * publisher; close it to stop. With {@code --ground-truth}, the file is rewritten whenever a fault starts or ends.
     * The C-MAPSS replay, if any, is started by {@link #startReplay()}.
     *
     * @throws IllegalArgumentException for invalid options
     */
    public MqttPlantPublisher start() {
        if (broker == null || broker.isBlank()) {
            throw new IllegalArgumentException("no broker URL (--broker)");
        }
        PayloadFormat payloadFormat = PayloadFormat.parse(format);
        PlantSimulator simulator = simulator();
        List<GroundTruth> seen = new ArrayList<>();
        simulator.onGroundTruthChange(records -> {
            logChanges(seen, records);
            if (groundTruth != null) {
                GroundTruth.writeJsonLines(records, groundTruth);
            }
        });
        MqttPlantPublisher publisher = new MqttPlantPublisher(broker, clientId, simulator, qos, payloadFormat);
        LOG.info("simulating {} at {} Hz, seed {}, faults: {}", simulator.assets(), rate, seed,
                simulator.faults().isEmpty() ? "none" : simulator.faults());
        publisher.start();
        return publisher;
    }

    /**
     * Starts the C-MAPSS replay in the background with its own MQTT client, or returns null when no
     * {@code --cmapss-units} are given; close it to stop.
     *
     * @throws IllegalArgumentException for invalid options
     */
    public MqttPlantPublisher startReplay() {
        if (broker == null || broker.isBlank()) {
            throw new IllegalArgumentException("no broker URL (--broker)");
        }
        CmapssReplay replay = replay();
        return replay == null ? null : startReplay(replay);
    }

    /** Starts publishing a replay made by {@link #replay()} (with this command's broker, client id, QoS, format). */
    public MqttPlantPublisher startReplay(CmapssReplay replay) {
        MqttPlantPublisher publisher = new MqttPlantPublisher(broker, clientId == null ? null : clientId + "-cmapss",
                replay, qos, PayloadFormat.parse(format));
        LOG.info("replaying {}", replay);
        publisher.start();
        return publisher;
    }

    private static void logChanges(List<GroundTruth> seen, List<GroundTruth> records) {
        for (int i = 0; i < records.size(); i++) {
            GroundTruth record = records.get(i);
            GroundTruth before = i < seen.size() ? seen.get(i) : null;
            if (before == null) {
                LOG.info("fault started: {}/{} {} (magnitude {})", record.asset(), record.signal(), record.fault(),
                        record.magnitude());
            } else if (before.end() == null && record.end() != null) {
                LOG.info("fault ended: {}/{} {}", record.asset(), record.signal(), record.fault());
            }
        }
        seen.clear();
        seen.addAll(records);
    }

    /**
     * Publishes for the configured duration (0 = until the thread is interrupted or the JVM stops), then closes,
     * writes the ground truth file (if asked) and prints a summary.
     *
     * @return 0
     * @throws IllegalArgumentException for invalid options
     */
    public int run() {
        if (!(duration >= 0)) {
            throw new IllegalArgumentException("--duration " + duration + " must be >= 0");
        }
        CmapssReplay engines = replay(); // invalid replay options fail before anything starts
        if (!plantEnabled() && engines == null) {
            throw new IllegalArgumentException("--assets none and no --cmapss-units: nothing to publish");
        }
        MqttPlantPublisher publisher = plantEnabled() ? start() : null;
        MqttPlantPublisher replay = engines == null ? null : startReplay(engines);
        AtomicBoolean finished = new AtomicBoolean();
        Thread hook = new Thread(() -> finish(publisher, replay, finished), "testbed-simulator-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            long end = System.nanoTime() + Math.round(duration * 1e9);
            while (duration == 0 || System.nanoTime() - end < 0) {
                if (publisher == null && engines.finished()) {
                    break; // replay only, every engine stopped at its end of life
                }
                long left = duration == 0 ? 200 : (end - System.nanoTime()) / 1_000_000;
                Thread.sleep(Math.max(1, Math.min(200, left)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs finish()
            }
            finish(publisher, replay, finished);
        }
        return 0;
    }

    private void finish(MqttPlantPublisher publisher, MqttPlantPublisher replay, AtomicBoolean finished) {
        if (finished.getAndSet(true)) {
            return;
        }
        PrintWriter out = out();
        if (publisher != null) {
            publisher.close();
            PlantSimulator simulator = (PlantSimulator) publisher.source();
            if (groundTruth != null) {
                GroundTruth.writeJsonLines(simulator.groundTruth(), groundTruth);
            }
            out.printf("simulated %.1f s: %d published, %d dropped, %d faults injected%s%n",
                    simulator.simulatedSeconds(), publisher.published(), publisher.dropped(),
                    simulator.groundTruth().size(), groundTruth == null ? "" : ", ground truth in " + groundTruth);
        }
        if (replay != null) {
            replay.close();
            CmapssReplay r = (CmapssReplay) replay.source();
            List<String> engines = r.assets().stream().map(a -> a + (r.nextCycle(a) == 0
                    ? " stopped at its end of life" : " at cycle " + r.nextCycle(a) + "/" + r.lifeCycles(a))
                    + (r.laps(a) > 0 ? " (lap " + (r.laps(a) + 1) + ")" : "")).toList();
            out.printf("replayed C-MAPSS engines: %d published, %d dropped; %s%n", replay.published(),
                    replay.dropped(), engines);
        }
        out.flush();
    }

    private PrintWriter out() {
        return spec != null ? spec.commandLine().getOut()
                : new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    }

    @Override
    public Integer call() {
        try {
            return run();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            if (spec != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            throw e;
        }
    }
}

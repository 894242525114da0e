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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;
import picocli.CommandLine.Command;
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
        description = {"Simulates a small plant (pumps, motors, compressors) with injected sensor faults and publishes"
                + " its samples to an MQTT broker on plant/<asset>/<signal>.",
                "Faults: asset/signal:type@start+duration*magnitude, comma-separated; type spike (magnitude in noise"
                        + " sigmas; no duration = one sample), drift (units per minute) or stuck (no magnitude)."})
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
            description = "Asset ids, comma-separated; each starts with pump, motor or compressor.")
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

    @Option(names = "--client-id", paramLabel = "ID", description = "MQTT client id (default: generated).")
    private String clientId;

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

    /** A new simulator for the options. */
    public PlantSimulator simulator() {
        return new PlantSimulator(seed, rate, faults(), assetIds());
    }

    /**
     * Starts publishing in the background (connecting first, retried every second) and returns the publisher;
     * close it to stop. With {@code --ground-truth}, the file is rewritten whenever a fault starts or ends.
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
        MqttPlantPublisher publisher = start();
        AtomicBoolean finished = new AtomicBoolean();
        Thread hook = new Thread(() -> finish(publisher, finished), "testbed-simulator-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (duration > 0) {
                Thread.sleep(Math.round(duration * 1000));
            } else {
                new CountDownLatch(1).await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs finish()
            }
            finish(publisher, finished);
        }
        return 0;
    }

    private void finish(MqttPlantPublisher publisher, AtomicBoolean finished) {
        if (finished.getAndSet(true)) {
            return;
        }
        {
            publisher.close();
            PlantSimulator simulator = publisher.simulator();
            if (groundTruth != null) {
                GroundTruth.writeJsonLines(simulator.groundTruth(), groundTruth);
            }
            PrintWriter out = out();
            out.printf("simulated %.1f s: %d published, %d dropped, %d faults injected%s%n",
                    simulator.simulatedSeconds(), publisher.published(), publisher.dropped(),
                    simulator.groundTruth().size(), groundTruth == null ? "" : ", ground truth in " + groundTruth);
            out.flush();
        }
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

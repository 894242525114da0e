package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class SimulatorCommandTest {

    private static SimulatorCommand parse(String... args) {
        SimulatorCommand command = new SimulatorCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void defaultsGiveTheBuiltInScenarioOnThreeAssetsAt2Hz() {
        SimulatorCommand command = parse("--broker", "tcp://localhost:1883");

        assertThat(command.faults()).isEqualTo(Scenarios.defaults());
        PlantSimulator simulator = command.simulator();
        assertThat(simulator.assets()).containsExactly("pump-1", "motor-1", "compressor-1");
        assertThat(simulator.sampleRateHz()).isEqualTo(2.0);
    }

    @Test
    void fromCodeTheSameDefaultsApply() {
        SimulatorCommand command = SimulatorCommand.forBroker("tcp://localhost:1883");

        assertThat(command.faults()).isEqualTo(Scenarios.defaults());
        assertThat(command.simulator().assets()).isEqualTo(PlantSimulator.DEFAULT_ASSETS);
    }

    @Test
    void theDefaultScenarioKeepsOnlyFaultsOfSimulatedAssets() {
        SimulatorCommand command = parse("--broker", "tcp://h:1", "--assets", "pump-1,pump-2", "--rate", "5");

        assertThat(command.faults()).containsExactly(Scenarios.defaults().get(0));
        assertThat(command.simulator().assets()).containsExactly("pump-1", "pump-2");
        assertThat(command.simulator().sampleRateHz()).isEqualTo(5.0);
    }

    @Test
    void faultsAndScenarioAreCombined(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("s.json");
        Files.writeString(file, "[{\"asset\":\"motor-1\",\"signal\":\"current\",\"type\":\"stuck\",\"start\":3,"
                + "\"duration\":4}]");

        SimulatorCommand command = parse("--broker", "tcp://h:1", "--faults", "pump-1/current:spike@1*3",
                "--scenario", file.toString());

        assertThat(command.faults()).containsExactly(new FaultSpec("pump-1", "current", FaultType.SPIKE, 1, 0, 3),
                new FaultSpec("motor-1", "current", FaultType.STUCK, 3, 4, 0));
        assertThat(parse("--broker", "tcp://h:1", "--faults", "none").faults()).isEmpty();
        assertThat(parse("--broker", "tcp://h:1", "--scenario", file.toString()).faults()).hasSize(1);
    }

    @Test
    void badOptionsAreUsageErrorsWithAClearMessage() {
        assertUsageError(List.of("--broker", "tcp://h:1", "--faults", "pump-1/current:spik@1*3"),
                "fault 1 'pump-1/current:spik@1*3': unknown fault type 'spik' (expected spike, drift, stuck, dropout, bearing_wear, cavitation or fouling)");
        assertUsageError(List.of("--broker", "tcp://h:1", "--faults", "pump-1/currents:spike@1*3"),
                "asset pump-1 has no signal 'currents'");
        assertUsageError(List.of("--broker", "tcp://h:1", "--format", "xml"),
                "unknown format 'xml' (expected json or number)");
        assertUsageError(List.of("--broker", "tcp://h:1", "--qos", "3"), "QoS 3 must be 0, 1 or 2");
        assertUsageError(List.of("--broker", "tcp://h:1", "--rate", "0"), "sample rate 0.0 Hz must be in (0, 1000]");
        assertUsageError(List.of("--broker", "tcp://h:1", "--scenario", "/nonexistent/s.json"),
                "cannot read scenario /nonexistent/s.json");
        assertUsageError(List.of("--rate", "3"), "Missing required option: '--broker=URL'");
    }

    private static void assertUsageError(List<String> args, String message) {
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new SimulatorCommand());
        commandLine.setErr(new PrintWriter(err));

        int exit = commandLine.execute(args.toArray(String[]::new));

        assertThat(exit).as("exit code for %s", args).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains(message);
    }

    @Test
    void startFromCodeWithoutABrokerUrlFails() {
        assertThatThrownBy(() -> new SimulatorCommand().start()).hasMessage("no broker URL (--broker)");
    }

    @Test
    void helpListsTheOptions() {
        String usage = new CommandLine(new SimulatorCommand()).getUsageMessage();

        assertThat(usage).contains("testbed", "--broker=URL", "--rate=HZ", "--seed", "--assets", "--faults=SPEC",
                "--scenario=FILE", "--duration=SECONDS", "--qos", "--format=json|number", "--ground-truth=FILE",
                "Default: 2.0", "pump-1/vibration:spike@20+1*8", "--cmapss-units=IDS", "--cmapss-file=FILE",
                "--cmapss-cycle-ms=MS", "--cmapss-signals=COLUMNS", "--cmapss-at-end=loop|stop", "validation_units");
    }

    @Test
    void cmapssReplayOptions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("train.txt");
        io.edgegateway.testbed.rul.Cmapss.write(file, List.of(CmapssReplayTest.unit(5, 3),
                CmapssReplayTest.unit(91, 2)));

        assertThat(parse("--broker", "tcp://h:1").replay()).isNull();
        CmapssReplay replay = parse("--broker", "tcp://h:1", "--cmapss-units", "91,5", "--cmapss-file",
                file.toString(), "--cmapss-cycle-ms", "50").replay();
        assertThat(replay.assets()).containsExactly("engine-91", "engine-5");
        assertThat(replay.signals()).isEqualTo(CmapssReplay.FD001_FEATURES);
        assertThat(replay.periodMicros()).isEqualTo(50_000);
        CmapssReplay all = parse("--broker", "tcp://h:1", "--assets", "none", "--cmapss-units", "all",
                "--cmapss-file", file.toString(), "--cmapss-signals", "all", "--cmapss-at-end", "stop").replay();
        assertThat(all.assets()).containsExactly("engine-5", "engine-91");
        assertThat(all.signals()).isEqualTo(io.edgegateway.testbed.rul.Cmapss.COLUMNS);
        assertThat(parse("--broker", "tcp://h:1", "--assets", "none").plantEnabled()).isFalse();
        assertThat(parse("--broker", "tcp://h:1").plantEnabled()).isTrue();

        assertUsageError(List.of("--broker", "tcp://h:1", "--cmapss-units", "x"), "'x' is not a unit number");
        assertUsageError(List.of("--broker", "tcp://h:1", "--cmapss-units", "4", "--cmapss-file", file.toString()),
                "has no unit 4");
        assertUsageError(List.of("--broker", "tcp://h:1", "--cmapss-units", "5", "--cmapss-file",
                dir.resolve("missing.txt").toString()), "cannot replay C-MAPSS file");
        assertUsageError(List.of("--broker", "tcp://h:1", "--assets", "none"), "nothing to publish");
    }
}

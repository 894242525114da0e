package io.edgegateway.testbed;

import io.edgegateway.testbed.bench.BenchCommand;
import io.edgegateway.testbed.demo.DemoCommand;
import io.edgegateway.testbed.detect.DetectCommand;
import io.edgegateway.testbed.nab.NabRunCommand;
import io.edgegateway.testbed.nab.NabScoreCommand;
import io.edgegateway.testbed.rul.RulCommand;
import io.edgegateway.testbed.simulator.SimulatorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The testbed's commands, run by the repository's {@code ./gateway} script: demo, simulator, benchmarks. */
@Command(name = "./gateway", mixinStandardHelpOptions = true,
        description = "Edge Gateway testbed: demo, plant simulator and benchmarks.",
        subcommands = {DemoCommand.class, SimulatorCommand.class, BenchCommand.class, NabScoreCommand.class,
            NabRunCommand.class, DetectCommand.class, io.edgegateway.testbed.detect.FitCommand.class, RulCommand.class,
            io.edgegateway.testbed.opcua.OpcUaServerCommand.class,
            io.edgegateway.testbed.explain.ExplainCommand.class,
            io.edgegateway.testbed.explain.ExplainEvalCommand.class})
public final class Tools implements Runnable {

    public static void main(String[] args) {
        int code = new CommandLine(new Tools()).execute(args);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}

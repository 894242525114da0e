package io.edgegateway.testbed.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code ./gateway bench}: the benchmarks. Alone, it prints its usage. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks of the real gateway distribution through a real mosquitto.",
        subcommands = {E2eBench.class, OpcUaBench.class, DetectorBench.class, RulBench.class, LlmBench.class,
            TepBench.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}

package io.edgegateway.runtime;

import io.edgegateway.runtime.remote.RemoteCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The distribution's command line: {@code bin/gateway <command>}. */
@Command(name = "gateway", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Edge Gateway: an OSGi (Apache Felix) runtime for industrial telemetry, anomaly rules and "
                + "local inference.",
        subcommands = {RunCommand.class, RemoteCommand.class, SigningCommands.Keygen.class,
                SigningCommands.Sign.class, SigningCommands.Verify.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"Edge Gateway " + (v == null ? "(development build)" : v)};
        }
    }
}

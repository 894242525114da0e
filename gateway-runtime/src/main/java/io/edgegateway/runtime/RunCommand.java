package io.edgegateway.runtime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gateway run}: starts the gateway in the foreground until it is stopped (Ctrl-C, SIGTERM). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the gateway against the configuration in its home directory.",
                "The home holds conf/ (framework.properties, logback.xml), deploy/ (bundles and .cfg files, "
                        + "watched while running) and data/ (framework and configuration state).",
                "A home that does not exist yet is created from the distribution's defaults."})
final class RunCommand implements Callable<Integer> {

    @Option(names = "--home", paramLabel = "DIR",
            description = "Gateway home (default: $GATEWAY_HOME, else the distribution directory).")
    Path home;

    @Option(names = "--clean", description = "Forget installed bundles and stored configuration; start from the "
            + "files in the home as on first start.")
    boolean clean;

    @Option(names = "--broker", paramLabel = "URL",
            description = "MQTT broker for the default configurations (sets gateway.broker.url), e.g. "
                    + "tcp://127.0.0.1:1883.")
    String broker;

    @Option(names = "--gateway-id", paramLabel = "ID",
            description = "This gateway's id in MQTT topics (sets gateway.id).")
    String gatewayId;

    @Option(names = {"-D", "--property"}, paramLabel = "KEY=VALUE",
            description = "Overrides one framework property from conf/framework.properties.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        Path dist = GatewayHome.locateDistribution();
        Path resolvedHome = home != null ? home : GatewayHome.defaultHome(dist);
        GatewayHome gatewayHome = GatewayHome.prepare(dist, resolvedHome);
        Map<String, String> overrides = new LinkedHashMap<>(properties);
        if (broker != null) {
            overrides.put("gateway.broker.url", broker);
        }
        if (gatewayId != null) {
            overrides.put("gateway.id", gatewayId);
        }
        GatewayLauncher launcher = new GatewayLauncher(gatewayHome, overrides, clean);
        launcher.start();
        Runtime.getRuntime().addShutdownHook(new Thread(launcher::stop, "gateway-shutdown"));
        launcher.awaitStop();
        return 0;
    }
}

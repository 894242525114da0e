package io.edgegateway.testbed.opcua;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./gateway opcua-server}: the simulated plant served over OPC UA until stopped. */
@Command(name = "opcua-server", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Serves the simulated plant over OPC UA (Eclipse Milo): variables Objects/Plant/<asset>/<signal>"
                + " with EngineeringUnits, updated at --rate. Endpoint opc.tcp://<host>:<port>/plant, security None,"
                + " anonymous and (with --user) user name / password.",
                "Faults: asset/signal:type@start+duration*magnitude, comma-separated (as for testbed), or 'none'."})
public final class OpcUaServerCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port.")
    int port = 4840;

    @Option(names = "--host", paramLabel = "NAME", description = "Host name advertised in the endpoint URLs.")
    String host = "localhost";

    @Option(names = "--rate", paramLabel = "HZ", description = "Samples per second per signal.")
    double rate = 2;

    @Option(names = "--seed", paramLabel = "N", description = "Seed: the same seed gives the same values.")
    long seed = 42;

    @Option(names = "--faults", paramLabel = "SPEC",
            description = "Faults to inject, or 'none'. Default: the simulator's default scenario.")
    String faults;

    @Option(names = "--user", paramLabel = "NAME", description = "User name accepted besides anonymous.")
    String user;

    @Option(names = "--password", paramLabel = "SECRET", description = "Password of --user.")
    String password;

    @Override
    public Integer call() throws Exception {
        List<FaultSpec> specs = faults == null ? Scenarios.defaults()
                : "none".equalsIgnoreCase(faults) ? List.of() : Scenarios.parse(faults);
        PlantSimulator simulator = new PlantSimulator(seed, rate, specs, PlantSimulator.DEFAULT_ASSETS);
        PlantOpcUaServer server = new PlantOpcUaServer(port, host, user, password == null ? "" : password, simulator);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.err.println("stopping the OPC UA server: " + e);
            } finally {
                stopped.countDown();
            }
        }, "opcua-server-shutdown"));
        server.start();
        System.out.println("OPC UA plant server: " + server.endpointUrl() + " (" + server.variableCount()
                + " variables under Objects/Plant, Ctrl-C stops)");
        stopped.await();
        return 0;
    }
}

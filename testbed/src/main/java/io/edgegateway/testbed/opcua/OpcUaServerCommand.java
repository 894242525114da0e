package io.edgegateway.testbed.opcua;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ./gateway opcua-server}: the simulated plant served over OPC UA until stopped. */
@Command(name = "opcua-server", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Serves the simulated plant over OPC UA (Eclipse Milo): variables Objects/Plant/<asset>/<signal>"
                + " with EngineeringUnits and EURange, updated at --rate. Endpoint opc.tcp://<host>:<port>/plant;"
                + " identities: anonymous, (with --user) user name / password, (with --user-certs) X.509 users.",
                "Security (--security): None and/or Basic256Sha256 Sign / SignAndEncrypt. The secure endpoints use"
                + " the server's certificate in --pki (created on first start: own/server.pfx, own/cert.der to give"
                + " to clients); client certificates are trusted automatically (--trust-clients auto) or only when"
                + " in <pki>/trusted/certs (--trust-clients folder; rejected ones land in <pki>/rejected/certs).",
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

    @Option(names = "--security", paramLabel = "LIST", split = ",",
            description = "Endpoints to offer, comma-separated: none, sign, sign-encrypt (Basic256Sha256).")
    List<String> security = List.of("none");

    @Option(names = "--pki", paramLabel = "DIR",
            description = "The server's certificate folders (own/, trusted/certs, issuer/, rejected/certs).")
    Path pki = Path.of("opcua-server-pki");

    @Option(names = "--trust-clients", paramLabel = "auto|folder",
            description = "auto: accept any client certificate; folder: only those in <pki>/trusted/certs.")
    String trustClients = "auto";

    @Option(names = "--user-certs", paramLabel = "DIR",
            description = "Accept X.509 user identities whose certificate (DER or PEM) is in DIR (secure endpoints).")
    Path userCerts;

    /** The --security, --pki, --trust-clients and --user-certs options as the server takes them. */
    PlantOpcUaServer.Security securityOptions() {
        boolean none = false;
        boolean sign = false;
        boolean encrypt = false;
        for (String s : security) {
            switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "none" -> none = true;
                case "sign" -> sign = true;
                case "sign-encrypt", "signandencrypt", "sign_encrypt" -> encrypt = true;
                default -> throw new ParameterException(spec.commandLine(), "--security: '" + s
                        + "' is not one of none, sign, sign-encrypt");
            }
        }
        if (!none && !sign && !encrypt) {
            throw new ParameterException(spec.commandLine(), "--security: name at least one endpoint");
        }
        boolean auto = switch (trustClients.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> true;
            case "folder" -> false;
            default -> throw new ParameterException(spec.commandLine(), "--trust-clients: '" + trustClients
                    + "' is not auto or folder");
        };
        if (userCerts != null && !sign && !encrypt) {
            throw new ParameterException(spec.commandLine(), "--user-certs needs --security sign or sign-encrypt");
        }
        return new PlantOpcUaServer.Security(none, sign, encrypt, sign || encrypt ? pki.toAbsolutePath() : null,
                auto, userCerts == null ? null : userCerts.toAbsolutePath());
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<FaultSpec> specs = faults == null ? Scenarios.defaults()
                : "none".equalsIgnoreCase(faults) ? List.of() : Scenarios.parse(faults);
        PlantSimulator simulator = new PlantSimulator(seed, rate, specs, PlantSimulator.DEFAULT_ASSETS);
        PlantOpcUaServer.Security sec = securityOptions();
        PlantOpcUaServer server = new PlantOpcUaServer(port, host, user, password == null ? "" : password, simulator,
                sec);
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
                + " variables under Objects/Plant; security " + server.securityText() + "; Ctrl-C stops)");
        if (server.certificateFile() != null) {
            System.out.println("Server certificate (for the clients' trust lists): " + server.certificateFile());
        }
        stopped.await();
        return 0;
    }
}

package io.edgegateway.testbed.opcua;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.edgegateway.testbed.simulator.GroundTruth;
import io.edgegateway.testbed.simulator.MqttPlantPublisher;
import io.edgegateway.testbed.simulator.PayloadFormat;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;
import io.edgegateway.testbed.simulator.SimulatorCommand;
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
                "Faults: asset/signal:type@start+duration*magnitude, comma-separated (as for testbed), or 'none';"
                + " --scenario adds a JSON file of faults, --ground-truth writes them as they happen.",
                "One simulator for both protocols: with --mqtt-broker the same samples (same values, same"
                + " timestamps) are also published to plant/<asset>/<signal> as ./gateway testbed does.",
                "Address-space changes while clients stay connected: --changes add:ASSET@S,remove:ASSET@S adds or"
                + " removes an asset S seconds after the start (a new asset id starts with pump, motor, compressor"
                + " or conveyor; a removed one of the plant's can be added again), and the lines 'add ASSET',"
                + " 'remove ASSET' and 'assets' on standard input do the same at once. Each change fires one"
                + " GeneralModelChangeEvent from the Server object (Changes: the asset folder NodeAdded|ReferenceAdded"
                + " or NodeDeleted|ReferenceDeleted, and the Plant folder)."})
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
            description = "Faults to inject, or 'none'. Default (when neither --faults nor --scenario is given): "
                    + Scenarios.DEFAULT + " (those of simulated assets).")
    String faults;

    @Option(names = "--assets", split = ",", paramLabel = "IDS", description = "Asset ids, comma-separated; each "
            + "starts with pump, motor, compressor or conveyor (e.g. conveyor-1).")
    List<String> assets = new ArrayList<>(PlantSimulator.DEFAULT_ASSETS);

    @Option(names = "--scenario", paramLabel = "FILE", description = "JSON file of faults (added to --faults).")
    Path scenario;

    @Option(names = "--ground-truth", paramLabel = "FILE", description = "Write the faults as they happened as JSON"
            + " lines {asset, signal, fault, start, end, magnitude}, rewritten whenever a fault starts or ends.")
    Path groundTruth;

    @Option(names = "--mqtt-broker", paramLabel = "URL", description = "Also publish the served samples to this "
            + "broker on plant/<asset>/<signal> (JSON {asset, signal, value, unit, ts}; dropouts not published).")
    String mqttBroker;

    @Option(names = "--mqtt-qos", paramLabel = "0|1|2", description = "QoS of the MQTT samples.")
    int mqttQos;

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

    @Option(names = "--changes", paramLabel = "SPEC", description = "Address-space changes at times after the "
            + "start, comma-separated: add:ASSET@SECONDS or remove:ASSET@SECONDS, e.g. add:pump-2@30,remove:pump-2@90.")
    String changes;

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

    /** One address-space change: add or remove {@code asset} {@code atSeconds} after the start. */
    record Change(boolean add, String asset, double atSeconds) {
    }

    /** {@code add:pump-2@30,remove:motor-1@60.5}. */
    static List<Change> parseChanges(String text) {
        List<Change> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(",")) {
            String p = part.strip();
            int colon = p.indexOf(':');
            int at = p.lastIndexOf('@');
            if (colon < 0 || at < colon + 2) {
                throw new IllegalArgumentException("'" + p + "' is not add:ASSET@SECONDS or remove:ASSET@SECONDS");
            }
            String verb = p.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            if (!verb.equals("add") && !verb.equals("remove")) {
                throw new IllegalArgumentException("'" + p + "': '" + verb + "' is not add or remove");
            }
            double seconds;
            try {
                seconds = Double.parseDouble(p.substring(at + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + p + "': '" + p.substring(at + 1) + "' is not a number of "
                        + "seconds");
            }
            if (!(seconds >= 0)) {
                throw new IllegalArgumentException("'" + p + "': the time must be >= 0 s");
            }
            out.add(new Change(verb.equals("add"), p.substring(colon + 1, at).strip(), seconds));
        }
        return out;
    }

    /** Applies one change and says what it did (or why not) on standard output; never throws. */
    static String apply(PlantOpcUaServer server, boolean add, String asset) {
        try {
            int n = add ? server.addAsset(asset) : server.removeAsset(asset);
            return "asset " + asset + (add ? " added (" : " removed (") + n + " variables); model change events "
                    + "sent so far: " + server.modelChangeEvents();
        } catch (RuntimeException e) {
            return (add ? "add " : "remove ") + asset + ": " + e.getMessage();
        }
    }

    /** A line of standard input: add ASSET, remove ASSET, assets. */
    static String command(PlantOpcUaServer server, String line) {
        String[] words = line.strip().split("\\s+");
        if (words.length == 1 && words[0].equalsIgnoreCase("assets")) {
            return "assets: " + server.servedAssets() + " (" + server.variableCount() + " variables)";
        }
        if (words.length == 2 && (words[0].equalsIgnoreCase("add") || words[0].equalsIgnoreCase("remove"))) {
            return apply(server, words[0].equalsIgnoreCase("add"), words[1]);
        }
        return "unknown command '" + line.strip() + "' (add ASSET, remove ASSET, assets)";
    }

    @Override
    public Integer call() throws Exception {
        PlantSimulator simulator;
        try {
            // the faults and assets mean what they mean for ./gateway testbed
            simulator = new SimulatorCommand().seed(seed).rate(rate).assets(assets).faultSpec(faults)
                    .scenario(scenario).simulator();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (groundTruth != null) {
            simulator.onGroundTruthChange(records -> GroundTruth.writeJsonLines(records, groundTruth));
        }
        PlantOpcUaServer.Security sec = securityOptions();
        List<Change> planned;
        try {
            planned = parseChanges(changes);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--changes: " + e.getMessage());
        }
        PlantOpcUaServer server = new PlantOpcUaServer(port, host, user, password == null ? "" : password, simulator,
                sec);
        // at most ten ticks wait for the publisher (older ones are dropped, e.g. before the broker's first connect)
        ServedSamples served = mqttBroker == null ? null
                : new ServedSamples(server, Math.max(1000, 10 * server.variableCount()));
        MqttPlantPublisher mqtt = served == null ? null : new MqttPlantPublisher(mqttBroker, null, served, mqttQos,
                PayloadFormat.JSON);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (mqtt != null) {
                    mqtt.close();
                    System.out.println("MQTT: " + mqtt.published() + " samples published, " + mqtt.dropped()
                            + " not (broker away), " + served.dropped() + " dropped before the first connection");
                }
                server.close();
                if (groundTruth != null) {
                    GroundTruth.writeJsonLines(simulator.groundTruth(), groundTruth);
                }
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
        if (mqtt != null) {
            mqtt.start();
            System.out.println("The same samples go to " + mqttBroker + " on " + MqttPlantPublisher.TOPIC_PREFIX
                    + "/<asset>/<signal> (QoS " + mqttQos + ")");
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "opcua-server-changes");
            t.setDaemon(true);
            return t;
        });
        for (Change c : planned) {
            timer.schedule(() -> System.out.println(apply(server, c.add(), c.asset())),
                    Math.round(c.atSeconds() * 1000), TimeUnit.MILLISECONDS);
        }
        Thread input = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.isBlank()) {
                        System.out.println(command(server, line));
                    }
                }
            } catch (IOException e) {
                // standard input closed: the timed changes and Ctrl-C still work
            }
        }, "opcua-server-stdin");
        input.setDaemon(true);
        input.start();
        stopped.await();
        timer.shutdownNow();
        return 0;
    }
}

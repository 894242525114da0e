package io.edgegateway.runtime.remote;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.slf4j.LoggerFactory;

import io.edgegateway.management.protocol.Json;
import io.edgegateway.management.protocol.MqttLink;
import io.edgegateway.management.protocol.Protocol;
import io.edgegateway.mqtt.support.BrokerTls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code gateway remote}: the operator CLI of remote management over MQTT (README "Remote management"). One
 * command for one gateway, a list, or every gateway the broker knows ({@code --gateway '*'}).
 */
@Command(name = "remote", mixinStandardHelpOptions = true, versionProvider = io.edgegateway.runtime.Main.Version.class,
        description = {"Manages gateways over MQTT: status, configuration, bundles and models.",
                "Requests go to gateway/<id>/cmd/<verb>, answers come on gateway/<id>/cmd/<verb>/response.",
                "Exit code: 0 when every gateway answered ok, 1 when one did not (failed, rejected, rolled back, "
                        + "unreachable), 2 on a usage or broker connection error."},
        subcommands = {RemoteCommand.Status.class, RemoteCommand.ConfigGet.class, RemoteCommand.ConfigSet.class,
                RemoteCommand.Upload.class, RemoteCommand.Install.class, RemoteCommand.Update.class,
                RemoteCommand.Uninstall.class, RemoteCommand.Restart.class, RemoteCommand.Rollback.class})
public final class RemoteCommand implements Runnable {

    @Option(names = "--broker", required = true, paramLabel = "URL",
            description = "MQTT broker: tcp://host:port, ssl://host:port or mqtts://host:port.")
    String broker;

    @Option(names = "--gateway", required = true, paramLabel = "IDS", split = ",",
            description = "Gateway id(s), comma-separated; '*' or a glob (line-*) means the gateways whose retained "
                    + "gateway/<id>/status the broker holds (online ones; offline ones are reported unreachable).")
    List<String> gateways;

    @Option(names = "--json", description = "Print {\"results\":[...],\"summary\":{...}} on stdout instead of text.")
    boolean json;

    @Option(names = "--timeout", paramLabel = "S", defaultValue = "300",
            description = "Seconds one gateway may take, upload included (default ${DEFAULT-VALUE}).")
    long timeoutS;

    @Option(names = "--retry", paramLabel = "S", defaultValue = "5",
            description = "Repeat a request (same id: never carried out twice) after S seconds without an answer "
                    + "(default ${DEFAULT-VALUE}).")
    long retryS;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "5",
            description = "Gateways worked on at once (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--rolling", description = "One gateway at a time; stop at the first that is not ok.")
    boolean rolling;

    @Option(names = "--discover", paramLabel = "MS", defaultValue = "2000",
            description = "How long to collect retained status messages for '*' (default ${DEFAULT-VALUE} ms).")
    long discoverMs;

    @Option(names = "--username", paramLabel = "NAME", description = "Broker user name.")
    String username;

    @Option(names = "--password", paramLabel = "SECRET",
            description = "Broker password (default: $GATEWAY_REMOTE_PASSWORD).")
    String password;

    @Option(names = "--client-id", paramLabel = "ID", description = "MQTT client id (default: a random one).")
    String clientId;

    @Option(names = "--tls-ca-file", paramLabel = "PEM", description = "CA certificate(s) of the broker.")
    Path caFile;

    @Option(names = "--tls-cert-file", paramLabel = "PEM", description = "Client certificate for mutual TLS.")
    Path certFile;

    @Option(names = "--tls-key-file", paramLabel = "PEM", description = "Unencrypted private key of the client "
            + "certificate.")
    Path keyFile;

    @Option(names = "--tls-no-hostname-verification",
            description = "Do not require the broker's certificate to name the broker's host.")
    boolean noHostnameVerification;

    @Option(names = {"-v", "--verbose"}, description = "Log the MQTT connection on stderr.")
    boolean verbose;

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    // ---- running one operation on the gateways -----------------------------------------------------------------

    interface OperationFactory {
        Fleet.Operation create(RemoteSession session, long deadlineNanos);
    }

    int execute(OperationFactory factory) {
        quietLogging(verbose);
        PrintStream err = System.err;
        MqttLink.Settings settings;
        try {
            MqttLink.normalizeUrl(broker);
            BrokerTls tls = caFile == null && certFile == null && keyFile == null ? null
                    : new BrokerTls(abs(caFile), abs(certFile), abs(keyFile), !noHostnameVerification);
            String pw = password != null ? password : System.getenv("GATEWAY_REMOTE_PASSWORD");
            settings = new MqttLink.Settings(broker, clientId != null ? clientId : "gw-remote-"
                    + Long.toHexString(System.nanoTime()), username, pw, tls, 1000, 250, 5000, 30);
        } catch (IllegalArgumentException e) {
            err.println("gateway remote: " + e.getMessage());
            return 2;
        }
        long t0 = System.nanoTime();
        try (RemoteSession session = new RemoteSession(settings, retryS * 1000, err)) {
            session.connect(Math.min(timeoutS, 30) * 1000);
            List<Fleet.Result> offline = new ArrayList<>();
            List<String> targets = gateways.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (Fleet.needsDiscovery(targets)) {
                Map<String, Map<String, Object>> discovered = session.discover(discoverMs);
                targets = Fleet.resolve(targets, discovered, offline);
                if (!json) {
                    err.printf("%d gateways online (%s)%s%n", targets.size(), String.join(", ", targets),
                            offline.isEmpty() ? "" : ", " + offline.size() + " offline");
                }
            }
            if (targets.isEmpty() && offline.isEmpty()) {
                err.println("gateway remote: no gateway matches " + String.join(",", gateways) + " (none announces "
                        + "itself on " + Protocol.STATUS_FILTER + ")");
                return 1;
            }
            List<Fleet.Result> results = new ArrayList<>(Fleet.run(targets, parallel, rolling,
                    gw -> factory.create(session, System.nanoTime() + timeoutS * 1_000_000_000L).run(gw)));
            results.addAll(offline);
            double took = (System.nanoTime() - t0) / 1e9;
            print(results, took);
            return results.stream().allMatch(Fleet.Result::ok) ? 0 : 1;
        } catch (RemoteSession.RemoteFailure e) {
            err.println("gateway remote: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        } catch (Exception e) {
            err.println("gateway remote: " + e);
            return 2;
        }
    }

    private void print(List<Fleet.Result> results, double took) {
        if (json) {
            System.out.println(Json.write(Json.obj("results", results.stream().map(Fleet.Result::toJson).toList(),
                    "summary", Fleet.summaryJson(results, took))));
            return;
        }
        for (Fleet.Result r : results) {
            System.out.printf(Locale.ROOT, "%-16s %-12s %s (%.1f s)%n", r.gatewayId(), r.outcome(), r.message(),
                    r.seconds());
            if (r.ok() && r.response() != null) {
                Report.details(r.response()).forEach(l -> System.out.println("    " + l));
            }
        }
        if (results.size() > 1 || Fleet.needsDiscovery(gateways)) {
            System.out.println(Fleet.summary(results, timeoutS, took));
        }
    }

    private static Path abs(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }

    /** The CLI prints its own lines; the libraries' logs only with --verbose (errors always). */
    private static void quietLogging(boolean verbose) {
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(verbose ? ch.qos.logback.classic.Level.INFO : ch.qos.logback.classic.Level.ERROR);
        }
    }

    long millisLeft(long deadlineNanos) {
        return Math.max(1000, (deadlineNanos - System.nanoTime()) / 1_000_000);
    }

    java.util.function.Consumer<String> running(String gw) {
        return json ? null : msg -> System.err.println(gw + ": " + msg);
    }

    // ---- verbs -------------------------------------------------------------------------------------------------

    /** Shared by the subcommands: the parent's options. */
    abstract static class Verb implements Callable<Integer> {
        @ParentCommand
        RemoteCommand parent;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Bundles (versions, states), models, health, pipeline counters, the update in progress "
                    + "and recent results.")
    static final class Status extends Verb {
        @Override
        public Integer call() {
            return parent.execute((s, deadline) -> gw -> s.request(gw, Protocol.STATUS, Map.of(),
                    parent.millisLeft(deadline), null));
        }
    }

    @Command(name = "config-get", mixinStandardHelpOptions = true,
            description = "One configuration's settings and the components reading it; without PID the list.")
    static final class ConfigGet extends Verb {
        @Parameters(arity = "0..1", paramLabel = "PID", description = "e.g. io.edgegateway.core.pipeline, or "
                + "io.edgegateway.rules.threshold-bearing for a factory instance")
        String pid;

        @Option(names = "--factory-pid", paramLabel = "PID") String factoryPid;

        @Option(names = "--name", paramLabel = "NAME", description = "instance name of a factory configuration")
        String name;

        @Override
        public Integer call() {
            Map<String, Object> f = target(pid, factoryPid, name);
            return parent.execute((s, deadline) -> gw -> s.request(gw, Protocol.CONFIG_GET, f,
                    parent.millisLeft(deadline), null));
        }
    }

    @Command(name = "config-set", mixinStandardHelpOptions = true,
            description = {"Changes settings of a configuration (created if a bundle declares it).",
                    "The gateway checks them against the component's metatype, and puts the previous configuration "
                            + "back when the component fails with the new one."})
    static final class ConfigSet extends Verb {
        @Parameters(paramLabel = "[PID] KEY=VALUE", description = "the PID (unless --factory-pid), then settings")
        List<String> args = new ArrayList<>();

        @Option(names = "--factory-pid", paramLabel = "PID") String factoryPid;

        @Option(names = "--name", paramLabel = "NAME") String name;

        @Option(names = "--unset", paramLabel = "KEY", description = "remove a setting (repeatable)")
        List<String> unset = new ArrayList<>();

        @Option(names = "--replace", description = "the settings given replace all others")
        boolean replace;

        @Override
        public Integer call() {
            List<String> rest = new ArrayList<>(args);
            String pid = !rest.isEmpty() && !rest.get(0).contains("=") ? rest.remove(0) : null;
            Map<String, Object> props = new LinkedHashMap<>();
            for (String kv : rest) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    System.err.println("gateway remote config-set: '" + kv + "' is not KEY=VALUE");
                    return 2;
                }
                props.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
            }
            unset.forEach(k -> props.put(k, null));
            Map<String, Object> f = target(pid, factoryPid, name);
            f.put("properties", props);
            if (replace) {
                f.put("replace", true);
            }
            return parent.execute((s, deadline) -> gw -> s.request(gw, Protocol.CONFIG_SET, f,
                    parent.millisLeft(deadline), null));
        }
    }

    private static Map<String, Object> target(String pid, String factoryPid, String name) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (pid != null) {
            f.put("pid", pid);
        }
        if (factoryPid != null) {
            f.put("factoryPid", factoryPid);
        }
        if (name != null) {
            f.put("name", name);
        }
        return f;
    }

    /** Options of the verbs that send files. */
    abstract static class Sending extends Verb {
        @Option(names = "--chunk-size", paramLabel = "BYTES", defaultValue = "" + Protocol.DEFAULT_CHUNK_BYTES,
                description = "Bytes per MQTT message (default ${DEFAULT-VALUE}; a resumed upload keeps the size it "
                        + "started with).")
        int chunkSize;

        @Option(names = "--chunk-rate", paramLabel = "N", defaultValue = "0",
                description = "At most N chunks per second and gateway (default: as fast as the broker acknowledges).")
        double chunkRate;

        /** Uploads a file (resuming), returns its transfer id. */
        String send(RemoteSession s, String gw, Path file, long deadline) throws Exception {
            RemoteSession.UploadResult u = s.upload(gw, file, chunkSize, chunkRate, parent.millisLeft(deadline),
                    !parent.json);
            if (!parent.json) {
                System.err.printf("%s: uploaded %s (%d bytes, %d chunks: %d were on the gateway already, %d sent)%n",
                        gw, file.getFileName(), u.size(), u.chunks(), u.chunksAlreadyThere(), u.chunksSent());
            }
            return u.transferId();
        }
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = "Sends a file to the gateway in chunks (resumable) without installing it; prints its "
                    + "transfer id (its SHA-256), which install and update take too.")
    static final class Upload extends Sending {
        @Parameters(paramLabel = "FILE") Path file;

        @Override
        public Integer call() {
            return parent.execute((s, deadline) -> gw -> {
                String id = send(s, gw, file, deadline);
                return Json.obj("verb", Protocol.UPLOAD, "ok", true, "result", Json.obj("transferId", id, "name",
                        file.getFileName().toString(), "size", Files.size(file)));
            });
        }
    }

    /** Options of install and update: the artifact and its detached signature. */
    abstract static class Deploying extends Sending {
        static final long BUSY_RETRY_MS = 3000;

        @Option(names = "--signature", paramLabel = "FILE",
                description = "Detached signature (default: FILE.sig when it exists).")
        Path signature;

        @Option(names = "--unsigned", description = "Send no signature (a gateway in development mode may accept "
                + "it; others reject it).")
        boolean unsigned;

        Path signatureOf(Path file) {
            if (unsigned) {
                return null;
            }
            if (signature != null) {
                return signature;
            }
            Path sig = file.resolveSibling(file.getFileName() + ".sig");
            return Files.exists(sig) ? sig : null;
        }

        Map<String, Object> deploy(RemoteSession s, String gw, String verb, Path file, Map<String, Object> fields,
                                   long deadline) throws Exception {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no file " + file);
            }
            Map<String, Object> f = new LinkedHashMap<>(fields);
            f.put("artifact", send(s, gw, file, deadline));
            Path sig = signatureOf(file);
            if (sig != null) {
                f.put("signature", send(s, gw, sig, deadline));
            }
            while (true) {
                try {
                    return s.request(gw, verb, f, parent.millisLeft(deadline), parent.running(gw));
                } catch (RemoteSession.RemoteFailure e) {
                    // another deployment is under way there (one at a time): wait for it rather than give up
                    boolean busy = e.response != null
                            && "BUSY".equals(RemoteSession.result(e.response).get("outcome"));
                    if (!busy || deadline - System.nanoTime() < BUSY_RETRY_MS * 2_000_000L) {
                        throw e;
                    }
                    if (!parent.json) {
                        System.err.println(gw + ": busy with another deployment; asking again in "
                                + BUSY_RETRY_MS / 1000 + " s");
                    }
                    Thread.sleep(BUSY_RETRY_MS);
                }
            }
        }
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Installs a bundle or model bundle (signed: FILE.sig) next to what runs; the gateway "
                    + "verifies, starts and health-checks it, or removes it again.")
    static final class Install extends Deploying {
        @Parameters(paramLabel = "FILE") Path file;

        @Option(names = "--location", paramLabel = "LOCATION", description = "Bundle location to use.")
        String location;

        @Override
        public Integer call() {
            Map<String, Object> f = location == null ? Map.of() : Map.of("location", location);
            return parent.execute((s, deadline) -> gw -> deploy(s, gw, Protocol.INSTALL, file, f, deadline));
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Replaces a bundle by FILE (signed: FILE.sig); rolled back by the gateway when unhealthy.")
    static final class Update extends Deploying {
        @Parameters(index = "0", paramLabel = "TARGET", description = "symbolic name[@version] or location")
        String target;

        @Parameters(index = "1", paramLabel = "FILE") Path file;

        @Override
        public Integer call() {
            return parent.execute((s, deadline) -> gw -> deploy(s, gw, Protocol.UPDATE, file,
                    Map.of("target", target), deadline));
        }
    }

    /** A deployment verb with one argument: asks, waits for the agent's result. */
    abstract static class OneArgument extends Verb {
        abstract String verb();

        abstract Map<String, Object> fields();

        @Override
        public Integer call() {
            return parent.execute((s, deadline) -> gw -> s.request(gw, verb(), fields(), parent.millisLeft(deadline),
                    parent.running(gw)));
        }
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true, description = "Uninstalls a bundle.")
    static final class Uninstall extends OneArgument {
        @Parameters(paramLabel = "TARGET", description = "symbolic name[@version] or location") String target;

        String verb() {
            return Protocol.UNINSTALL;
        }

        Map<String, Object> fields() {
            return Map.of("target", target);
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Stops and starts a bundle.")
    static final class Restart extends OneArgument {
        @Parameters(paramLabel = "TARGET", description = "symbolic name[@version] or location") String target;

        String verb() {
            return Protocol.RESTART;
        }

        Map<String, Object> fields() {
            return Map.of("target", target);
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Undoes the last committed operation on a bundle (update, install or uninstall).")
    static final class Rollback extends OneArgument {
        @Parameters(paramLabel = "SYMBOLIC_NAME") String symbolicName;

        String verb() {
            return Protocol.ROLLBACK;
        }

        Map<String, Object> fields() {
            return Map.of("symbolicName", symbolicName);
        }
    }
}

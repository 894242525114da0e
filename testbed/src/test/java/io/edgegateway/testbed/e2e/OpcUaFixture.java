package io.edgegateway.testbed.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.opcua.PlantOpcUaServerProcess;
import io.edgegateway.testbed.simulator.PlantSimulator;

/**
 * What the OPC UA end-to-end tests share: the testbed's plant server, in this JVM ({@link #startServer}) or in its
 * own process ({@link #startServerProcess}), a {@link GatewayFixture} (mosquitto, the real distribution) with OPC UA
 * sources configured, and readers of the server's and the source's monitored-item counts. A JUnit extension
 * ({@code @RegisterExtension final OpcUaFixture o = new OpcUaFixture();}): each test gets a fresh folder
 * {@link #dir}; after it, everything is stopped (the gateway first) and the folder deleted.
 */
final class OpcUaFixture implements BeforeEachCallback, AfterEachCallback {

    private static final Pattern MONITORED = Pattern.compile("(\\d+) monitored items");

    /** The test's folder (broker, gateway home, server PKI, logs). */
    Path dir;
    PlantOpcUaServer server;
    PlantOpcUaServerProcess serverProcess;
    GatewayFixture f;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("it-opcua-");
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            close();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("could not delete " + dir + ": " + e);
            }
        }
    }

    /** The default plant (pump-1, motor-1, compressor-1; seed 42, 10 Hz, no faults), anonymous, security None. */
    PlantOpcUaServer startServer() throws Exception {
        return startServer(null, null, PlantOpcUaServer.Security.NONE);
    }

    /** The default plant with a user name besides anonymous and the given security, on a free port. */
    PlantOpcUaServer startServer(String user, String password, PlantOpcUaServer.Security security) throws Exception {
        return startServer("localhost", user, password, security);
    }

    /** As above, advertising {@code hostname} in its endpoint URLs (it listens on all addresses). */
    PlantOpcUaServer startServer(String hostname, String user, String password, PlantOpcUaServer.Security security)
            throws Exception {
        server = new PlantOpcUaServer(Ports.freePort(), hostname, user, password,
                new PlantSimulator(42, 10, List.of(), PlantSimulator.DEFAULT_ASSETS), security).start();
        return server;
    }

    /** {@code ./gateway opcua-server --port <free> ARGS} in its own process, output in {@code <dir>/opcua-server.log}. */
    PlantOpcUaServerProcess startServerProcess(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--port", Integer.toString(Ports.freePort())));
        all.addAll(args);
        serverProcess = PlantOpcUaServerProcess.start(all, dir.resolve("opcua-server.log"));
        return serverProcess;
    }

    /** Mosquitto and a gateway home (not started yet: configure, then {@code f.startGateway()}). */
    GatewayFixture gateway(String gatewayId) throws Exception {
        f = new GatewayFixture(dir, gatewayId);
        return f;
    }

    /** Writes (or updates) {@code io.edgegateway.opcua.source-<alias>.cfg} in the gateway's deploy folder. */
    void source(String alias, Map<String, String> settings) throws Exception {
        GatewayHomes.configure(f.home, "io.edgegateway.opcua.source-" + alias + ".cfg", settings);
    }

    /** Puts a server certificate in the gateway's trust list ({@code <home>/data/opcua/pki/trusted/}). */
    void trustServerCertificate(Path certificate) throws IOException {
        Path trusted = Files.createDirectories(f.home.resolve("data/opcua/pki/trusted"));
        Files.copy(certificate, trusted.resolve("plant-server.der"));
    }

    /** Waits until the in-JVM server holds {@code expected} monitored items (all sessions), or fails. */
    void awaitServerItems(long expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && server.monitoredItemCount() != expected) {
            Thread.sleep(100);
        }
        long count = server.monitoredItemCount();
        if (count != expected) {
            throw new AssertionError("monitored items on the server: " + count + ", expected " + expected
                    + (f == null || f.gateway == null ? "" : "\ngateway log:\n" + f.gateway.logText()));
        }
    }

    /** The health detail of {@code sourceId} in a metrics message ("" when absent). */
    static String detail(JsonNode metrics, String sourceId) {
        return metrics.path("sources").path(sourceId).path("detail").asText("");
    }

    /** The monitored items the source's health detail counts; -1 when it does not say. */
    static int monitoredItems(JsonNode metrics, String sourceId) {
        Matcher m = MONITORED.matcher(detail(metrics, sourceId));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private void close() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            try {
                if (server != null) {
                    server.close();
                }
            } finally {
                if (serverProcess != null) {
                    serverProcess.close();
                }
            }
        }
    }
}

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.Ports;

/**
 * The OPC UA source against an independent implementation: a node-opcua server ({@code src/test/node/opcua-peer},
 * node-opcua 2.186.4 pinned by its package-lock.json), installed by this test with {@code npm ci} into
 * {@code target/opcua-peer} when missing and started as its own process on a free port. The real distribution
 * subscribes by browse pattern, first over security None, then over Basic256Sha256 SignAndEncrypt (the peer's
 * certificate in the gateway's trusted/ folder; the peer accepts any client certificate); threshold alerts carry
 * the values the peer produced and the units of its EngineeringUnits. While the None session is up the peer adds and
 * removes an asset in a node-opcua model change transaction: its GeneralModelChangeEvent alone
 * ({@code rebrowse.interval.s=0}) makes the source monitor the new variable (its values raise an alert) and drop it,
 * without a reconnect.
 */
class NodeOpcUaPeerIT {

    private static final Path SOURCE = Path.of("src/test/node/opcua-peer");
    private static final Path BUILD = Path.of("target/opcua-peer");

    @TempDir
    Path dir;
    Process peer;
    final StringBuilder peerOutput = new StringBuilder();
    GatewayFixture f;

    @AfterEach
    void stop() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            if (peer != null) {
                peer.destroy();
                if (!peer.waitFor(10, TimeUnit.SECONDS)) {
                    peer.destroyForcibly();
                }
            }
        }
    }

    @Test
    void gatewaySubscribesToNodeOpcUaOverNoneAndSignAndEncrypt() throws Exception {
        installPeer();
        int port = Ports.freePort();
        String[] ready = startPeer(port, dir.resolve("peer-pki"));
        String endpoint = ready[0];
        Path serverCert = Path.of(ready[1]);
        assertThat(endpoint).isEqualTo("opc.tcp://localhost:" + port + "/peer");

        f = new GatewayFixture(dir, "it-opcua-peer");
        Path trusted = Files.createDirectories(f.home.resolve("data/opcua/pki/trusted"));
        Files.copy(serverCert, trusted.resolve("node-opcua-peer.der"));
        // flow cycles 120..124 m³/h: an alert at 124 each cycle; bearing temperature 70.0/70.5/71.0 °C: at 71.0
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-peer-flow.cfg", Map.of(
                "detector.asset", "pump-9", "detector.signal", "flow", "high", "123.5", "hysteresis", "1"));
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-peer-temperature.cfg", Map.of(
                "detector.asset", "pump-9", "detector.signal", "bearing_temperature", "high", "70.75",
                "hysteresis", "0.5"));
        // the asset the peer adds later: flow 300..304 m³/h, an alert at 304
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-peer-added.cfg", Map.of(
                "detector.asset", "pump-8", "detector.signal", "flow", "high", "303.5", "hysteresis", "1"));
        GatewayHomes.configure(f.home, "io.edgegateway.opcua.source-peer.cfg", Map.of(
                "endpoint.url", endpoint, "nodes", "Objects/Peer/*/*", "sampling.interval.ms", "100",
                "source.name", "peer-none", "rebrowse.interval.s", "0"));
        f.startGateway();
        assertAlerts("None");
        assertModelChangesFollowed();

        // the same server over Basic256Sha256 / SignAndEncrypt
        GatewayHomes.remove(f.home, "io.edgegateway.opcua.source-peer.cfg");
        assertThat(f.gateway.awaitLog("OPC UA source 'peer-none' stopped", Duration.ofSeconds(20)))
                .as("the None source stops; log:%n%s", f.gateway.logText()).isTrue();
        GatewayHomes.configure(f.home, "io.edgegateway.opcua.source-peer-secure.cfg", Map.of(
                "endpoint.url", endpoint, "nodes", "Objects/Peer/*/*", "sampling.interval.ms", "100",
                "security.policy", "Basic256Sha256", "security.mode", "SignAndEncrypt",
                "source.name", "peer-secure"));
        assertThat(f.gateway.awaitLog("OPC UA source 'peer-secure': connected to " + endpoint
                + " (security Basic256Sha256/SignAndEncrypt", Duration.ofSeconds(60)))
                .as("SignAndEncrypt session to node-opcua; log:%n%s", f.gateway.logText()).isTrue();
        Thread.sleep(1000);
        f.recorder.drain(); // alerts from the None source must not count
        assertAlerts("Basic256Sha256/SignAndEncrypt");
        String log = f.gateway.logText();
        log.lines().filter(l -> l.contains("OPC UA source")).forEach(System.out::println);
    }

    /** node-opcua's model change events, and nothing else, add and drop the peer's new variable. */
    private void assertModelChangesFollowed() throws Exception {
        assertThat(f.gateway.logText()).contains("OPC UA source 'peer-none': subscription",
                "2 monitored items (", "; model change events on");
        long t0 = System.nanoTime();
        peerCommand("add pump-8", "ADDED pump-8");
        assertThat(f.gateway.awaitLog("re-browsed (model change event", Duration.ofSeconds(15)))
                .as("re-browse on node-opcua's model change event; log:%n%s", f.gateway.logText()).isTrue();
        assertThat(f.gateway.awaitLog("+1 [pump-8/flow], -0; 3 monitored items now", Duration.ofSeconds(5)))
                .as("the new variable monitored; log:%n%s", f.gateway.logText()).isTrue();
        MqttRecorder.Received added = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-8")), 15_000);
        assertThat(added).as("an alert from the added variable; log:%n%s", f.gateway.logText()).isNotNull();
        assertThat(added.json().path("value").asDouble()).isEqualTo(304.0);
        System.out.printf("node-opcua peer: alert from the added variable %.1f s after the peer added it%n",
                (System.nanoTime() - t0) / 1e9);
        peerCommand("remove pump-8", "REMOVED pump-8");
        assertThat(f.gateway.awaitLog("-1 [pump-8/flow]; 2 monitored items now", Duration.ofSeconds(15)))
                .as("the removed variable dropped; log:%n%s", f.gateway.logText()).isTrue();
        assertThat(f.gateway.logText().lines().filter(l -> l.contains("OPC UA source 'peer-none': connected to"))
                .count()).as("no reconnect").isEqualTo(1);
    }

    private void peerCommand(String line, String answer) throws Exception {
        peer.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        peer.getOutputStream().flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            synchronized (peerOutput) {
                if (peerOutput.indexOf(answer) >= 0) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        synchronized (peerOutput) {
            throw new AssertionError("the peer did not answer '" + line + "' with '" + answer + "':\n" + peerOutput);
        }
    }

    private void assertAlerts(String security) throws Exception {
        MqttRecorder.Received flow = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-9"))
                && r.payload().contains("\"signal\":\"flow\""), 45_000);
        assertThat(flow).as("flow alert over %s; log:%n%s", security, f.gateway.logText()).isNotNull();
        MqttRecorder.Received temperature = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-9"))
                && r.payload().contains("\"signal\":\"bearing_temperature\""), 15_000);
        assertThat(temperature).as("temperature alert over %s", security).isNotNull();
        JsonNode a = flow.json();
        JsonNode t = temperature.json();
        System.out.printf("node-opcua peer over %s: %s %s %s; %s %s %s%n", security, a.path("signal").asText(),
                a.path("value").asDouble(), a.path("unit").asText(), t.path("signal").asText(),
                t.path("value").asDouble(), t.path("unit").asText());
        assertThat(a.path("value").asDouble()).as("the peer's flow at the top of its cycle").isEqualTo(124.0);
        assertThat(a.path("unit").asText()).as("EngineeringUnits of node-opcua's cubic_metre_per_hour")
                .isEqualTo("m³/h");
        assertThat(t.path("value").asDouble()).isEqualTo(71.0);
        assertThat(t.path("unit").asText()).isEqualTo("°C");
    }

    /** npm ci (the lock file pins node-opcua 2.186.4) into target/opcua-peer unless it is there already. */
    static void installPeer() throws Exception {
        Files.createDirectories(BUILD);
        for (String file : List.of("package.json", "package-lock.json", "server.js")) {
            Files.copy(SOURCE.resolve(file), BUILD.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.isDirectory(BUILD.resolve("node_modules/node-opcua"))) {
            return;
        }
        String npm = which("npm");
        assertThat(npm).as("npm is needed for the node-opcua peer test (./gateway test installs nodejs and npm "
                + "with apt-get)").isNotNull();
        Process p = new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund").directory(BUILD.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("npm ci finished").isTrue();
        assertThat(p.exitValue()).as("npm ci in %s:%n%s", BUILD.toAbsolutePath(), out).isZero();
    }

    /** Starts the peer; returns its endpoint URL and its certificate file once it says READY. */
    private String[] startPeer(int port, Path pki) throws Exception {
        String node = which("node");
        if (node == null) {
            node = which("nodejs");
        }
        assertThat(node).as("node is needed for the node-opcua peer test").isNotNull();
        peer = new ProcessBuilder(node, "server.js", Integer.toString(port), pki.toString())
                .directory(BUILD.toFile()).redirectErrorStream(true).start();
        AtomicReference<String> readyLine = new AtomicReference<>();
        StringBuilder output = peerOutput;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(peer.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.startsWith("READY ")) {
                        readyLine.set(line);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "node-opcua-peer-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (readyLine.get() == null && peer.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        synchronized (output) {
            assertThat(readyLine.get()).as("node-opcua peer READY; its output:%n%s", output).isNotNull();
        }
        String[] parts = readyLine.get().split(" ");
        return new String[] {parts[1], parts[2]};
    }

    private static String which(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(d, command);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}

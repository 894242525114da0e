package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import picocli.CommandLine;

/** Against an embedded Moquette broker on a free loopback port. */
class MqttPlantPublisherTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<AutoCloseable> resources = new ArrayList<>();

    /** Moquette and netty log every packet and their set-up: keep the test output readable. */
    @BeforeAll
    static void quietBroker() {
        for (String name : List.of("io.moquette", "io.netty")) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void startBroker(int port) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("host", "127.0.0.1");
        properties.setProperty("port", Integer.toString(port));
        properties.setProperty("websocket_port", "disabled");
        properties.setProperty("allow_anonymous", "true");
        properties.setProperty("telemetry_enabled", "false");
        properties.setProperty("persistence_enabled", "false");
        Server server = new Server();
        server.startServer(new MemoryConfig(properties));
        resources.add(server::stopServer);
    }

    /** Messages on plant/# as "topic payload". */
    private BlockingQueue<String[]> subscribe(String url) throws Exception {
        BlockingQueue<String[]> messages = new LinkedBlockingQueue<>();
        MqttClient client = new MqttClient(url, "test-subscriber", new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        client.connect(options);
        client.subscribe("plant/#", 1, (topic, message) -> messages.add(
                new String[] {topic, new String(message.getPayload(), StandardCharsets.UTF_8)}));
        resources.add(() -> {
            client.disconnect();
            client.close();
        });
        return messages;
    }

    private static List<String[]> take(BlockingQueue<String[]> messages, int n) throws InterruptedException {
        List<String[]> taken = new ArrayList<>();
        while (taken.size() < n) {
            String[] message = messages.poll(10, TimeUnit.SECONDS);
            assertThat(message).as("message %d of %d", taken.size() + 1, n).isNotNull();
            taken.add(message);
        }
        return taken;
    }

    @Test
    void publishesJsonSamplesOnPlantAssetSignal() throws Exception {
        int port = freePort();
        startBroker(port);
        String url = "tcp://127.0.0.1:" + port;
        BlockingQueue<String[]> messages = subscribe(url);
        PlantSimulator simulator = new PlantSimulator(1, 20, List.of(), List.of("pump-1"));
        MqttPlantPublisher publisher = new MqttPlantPublisher(url, "sim-json", simulator, 1, PayloadFormat.JSON);
        resources.add(publisher);
        Instant before = Instant.now();

        publisher.start();
        List<String[]> received = take(messages, 40);

        assertThat(received).extracting(m -> m[0]).contains("plant/pump-1/bearing_temperature",
                "plant/pump-1/vibration", "plant/pump-1/current", "plant/pump-1/discharge_pressure");
        JsonNode first = JSON.readTree(received.get(0)[1]);
        assertThat(first.get("asset").asText()).isEqualTo("pump-1");
        assertThat(first.get("signal").asText()).isEqualTo(received.get(0)[0].substring("plant/pump-1/".length()));
        assertThat(first.get("value").isNumber()).isTrue();
        assertThat(first.get("unit").asText()).isNotEmpty();
        assertThat(first.get("ts").asLong()).isBetween(before.toEpochMilli(), Instant.now().toEpochMilli());
        assertThat(publisher.published()).isGreaterThanOrEqualTo(40);
        assertThat(publisher.connected()).isTrue();
    }

    @Test
    void publishesPlainNumbers() throws Exception {
        int port = freePort();
        startBroker(port);
        String url = "tcp://127.0.0.1:" + port;
        BlockingQueue<String[]> messages = subscribe(url);
        PlantSimulator simulator = new PlantSimulator(1, 20, List.of(), List.of("motor-1"));
        MqttPlantPublisher publisher = new MqttPlantPublisher(url, "sim-number", simulator, 0, PayloadFormat.NUMBER);
        resources.add(publisher);

        publisher.start();

        for (String[] message : take(messages, 9)) {
            assertThat(message[0]).startsWith("plant/motor-1/");
            assertThat(Double.parseDouble(message[1])).isPositive();
            assertThat(message[1]).doesNotContain("E", "{");
        }
    }

    @Test
    void retriesTheFirstConnectionAndStartsTheSimulationOnceConnected() throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        PlantSimulator simulator = new PlantSimulator(1, 20, List.of(), List.of("pump-1"));
        MqttPlantPublisher publisher = new MqttPlantPublisher(url, "sim-retry", simulator, 0, PayloadFormat.JSON);
        resources.add(publisher);

        publisher.start();
        Thread.sleep(1500);
        assertThat(publisher.connected()).isFalse();
        assertThat(simulator.tickCount()).as("simulated time waits for the broker").isZero();
        assertThat(publisher.lastError()).isNotEmpty();

        startBroker(port);
        long deadline = System.currentTimeMillis() + 15_000;
        while (publisher.published() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertThat(publisher.published()).isPositive();
    }

    @Test
    void closeDisconnectsAndStopsEveryThread() throws Exception {
        int port = freePort();
        startBroker(port);
        String url = "tcp://127.0.0.1:" + port;
        PlantSimulator simulator = new PlantSimulator(1, 20, List.of(), List.of("pump-1"));
        MqttPlantPublisher publisher = new MqttPlantPublisher(url, "sim-close", simulator, 0, PayloadFormat.JSON);
        publisher.start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (publisher.published() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }

        publisher.close();
        publisher.close();
        long ticks = simulator.tickCount();
        Thread.sleep(300);

        assertThat(publisher.connected()).isFalse();
        assertThat(simulator.tickCount()).isEqualTo(ticks);
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive).extracting(Thread::getName)
                .noneMatch(name -> name.equals("testbed-simulator") || name.contains("sim-close"));
    }

    @Test
    void commandRunsForItsDurationAndWritesGroundTruth(@TempDir Path dir) throws Exception {
        int port = freePort();
        startBroker(port);
        String url = "tcp://127.0.0.1:" + port;
        BlockingQueue<String[]> messages = subscribe(url);
        Path truth = dir.resolve("truth.jsonl");
        StringWriter out = new StringWriter();
        CommandLine commandLine = new CommandLine(new SimulatorCommand());
        commandLine.setOut(new PrintWriter(out));

        int exit = commandLine.execute("--broker", url, "--rate", "10", "--assets", "pump-1", "--duration", "2",
                "--faults", "pump-1/current:spike@0.5*6", "--ground-truth", truth.toString(), "--format", "number");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("published", "1 faults injected", "ground truth in " + truth);
        List<String> lines = Files.readAllLines(truth);
        assertThat(lines).hasSize(1);
        JsonNode record = JSON.readTree(lines.get(0));
        assertThat(record.get("fault").asText()).isEqualTo("spike");
        assertThat(record.get("start").asText()).isEqualTo(record.get("end").asText());
        assertThat(messages).isNotEmpty();
    }

    @Test
    void replaysCmapssEnginesCycleByCycleAndStopsAtTheirEndOfLife(@TempDir Path dir) throws Exception {
        int port = freePort();
        startBroker(port);
        String url = "tcp://127.0.0.1:" + port;
        BlockingQueue<String[]> messages = subscribe(url);
        Path file = dir.resolve("train.txt");
        io.edgegateway.testbed.rul.Cmapss.write(file, List.of(CmapssReplayTest.unit(5, 3)));
        StringWriter out = new StringWriter();
        CommandLine commandLine = new CommandLine(new SimulatorCommand());
        commandLine.setOut(new PrintWriter(out));

        // replay only: the command ends by itself once the engine has stopped at its end of life
        int exit = commandLine.execute("--broker", url, "--assets", "none", "--cmapss-units", "5", "--cmapss-file",
                file.toString(), "--cmapss-cycle-ms", "50", "--cmapss-at-end", "stop", "--qos", "1",
                "--duration", "30");

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("replayed C-MAPSS engines: 42 published, 0 dropped",
                "engine-5 stopped at its end of life").doesNotContain("simulated");
        List<String[]> received = take(messages, 42);
        for (int cycle = 0; cycle < 3; cycle++) {
            for (int k = 0; k < 14; k++) {
                String signal = CmapssReplay.FD001_FEATURES.get(k);
                String[] m = received.get(cycle * 14 + k);
                assertThat(m[0]).isEqualTo("plant/engine-5/" + signal);
                JsonNode json = JSON.readTree(m[1]);
                assertThat(json.get("asset").asText()).isEqualTo("engine-5");
                assertThat(json.get("signal").asText()).isEqualTo(signal);
                assertThat(json.get("value").asDouble()).isEqualTo(CmapssReplayTest.value(5, cycle, signal));
                assertThat(json.get("ts").isNumber()).isTrue();
            }
        }
        assertThat(messages.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }
}

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.simulator.PlantSimulator;

/**
 * Health on MQTT (issue 3): the OPC UA source's health is in the metrics message, and the retained status turns
 * {@code degraded} naming the source while its server is down, and {@code ok} again when it is back.
 */
class HealthIT {

    private static final String SOURCE = "opcua:plant";

    @TempDir
    Path dir;
    PlantOpcUaServer server;
    GatewayFixture f;

    @AfterEach
    void stop() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void opcUaHealthInMetricsAndRetainedStatusFollowsTheServer() throws Exception {
        server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null,
                new PlantSimulator(7, 10, List.of(), PlantSimulator.DEFAULT_ASSETS)).start();
        f = new GatewayFixture(dir, "it-health");
        GatewayHomes.configure(f.home, "io.edgegateway.opcua.source-plant.cfg", Map.of(
                "endpoint.url", server.endpointUrl(),
                "source.name", "plant",
                "nodes", "Objects/Plant/*/*",
                "sampling.interval.ms", "100"));
        f.startGateway();

        // metrics: the OPC UA source, connected, with its subscription and data
        JsonNode m = f.awaitMetrics(x -> x.path("sources").path(SOURCE).path("connected").asBoolean()
                && x.path("sources").path(SOURCE).path("detail").asText().contains("monitored items")
                && x.path("sources").path(SOURCE).path("messages").asLong() > 0, Duration.ofSeconds(45));
        JsonNode opcua = m.path("sources").path(SOURCE);
        System.out.println("metrics sources: " + m.path("sources") + ", health: " + m.path("health"));
        assertThat(opcua.path("detail").asText()).contains(server.endpointUrl()).contains("subscription ")
                .contains(server.variableCount() + " monitored items");
        assertThat(opcua.path("last_message").asText()).isNotEmpty();
        assertThat(m.path("sources").path("mqtt:plant").path("connected").asBoolean())
                .as("the default MQTT source is listed too: %s", m.path("sources")).isTrue();
        assertThat(m.path("health").isObject()).isTrue();
        assertThat(m.has("accepted")).as("the existing keys stay").isTrue();

        MqttRecorder.Received ok = awaitStatus(s -> "ok".equals(s.path("health").asText()), Duration.ofSeconds(30));
        assertThat(ok.json().path("state").asText()).isEqualTo("online");
        assertThat(ok.json().path("problems").isArray()).isTrue();
        assertThat(ok.json().path("problems")).isEmpty();
        assertThat(retainedStatus().path("health").asText()).isEqualTo("ok");

        // server down: degraded, naming the source, within a few seconds
        f.recorder.drain(); // forget earlier statuses (at start the sources are not connected yet for a moment)
        long stopped = System.nanoTime();
        server.stop();
        MqttRecorder.Received degraded = awaitStatus(s -> "degraded".equals(s.path("health").asText()),
                Duration.ofSeconds(15));
        double toDegraded = (System.nanoTime() - stopped) / 1e9;
        JsonNode d = degraded.json();
        System.out.printf("status degraded %.1f s after the OPC UA server stopped: %s%n", toDegraded, d);
        assertThat(d.path("state").asText()).isEqualTo("online");
        assertThat(d.path("problems").toString()).as("only the OPC UA source: %s", d)
                .isEqualTo("[\"source " + SOURCE + " disconnected\"]");
        assertThat(toDegraded).isLessThan(10);
        JsonNode retained = retainedStatus();
        assertThat(retained.path("health").asText()).as("retained: %s", retained).isEqualTo("degraded");
        assertThat(retained.path("since").asText()).as("same connection").isEqualTo(ok.json().path("since").asText());
        JsonNode down = f.awaitMetrics(x -> !x.path("sources").path(SOURCE).path("connected").asBoolean(true),
                Duration.ofSeconds(10));
        System.out.println("metrics while down: " + down.path("sources").path(SOURCE));
        // no flapping: the same summary is not published again
        f.recorder.drain();
        Thread.sleep(3000);
        long repeats = f.recorder.drain().stream().filter(r -> r.topic().equals(f.topic("status"))).count();
        assertThat(repeats).as("status messages while the summary did not change").isZero();

        // server back: ok again
        long restarted = System.nanoTime();
        server.start();
        awaitStatus(s -> "ok".equals(s.path("health").asText()), Duration.ofSeconds(40));
        double toOk = (System.nanoTime() - restarted) / 1e9;
        System.out.printf("status ok again %.1f s after the OPC UA server restarted%n", toOk);
        assertThat(retainedStatus().path("health").asText()).isEqualTo("ok");
        assertThat(f.gateway.logText()).contains("gateway health degraded: [source " + SOURCE + " disconnected]")
                .contains("gateway health ok again");
    }

    /** The next status message (as published live) whose JSON satisfies {@code condition}. */
    private MqttRecorder.Received awaitStatus(Predicate<JsonNode> condition, Duration timeout) throws Exception {
        MqttRecorder.Received r = f.recorder.next(x -> x.topic().equals(f.topic("status"))
                && condition.test(x.json()), timeout.toMillis());
        assertThat(r).as("status within %s; log:%n%s", timeout, f.gateway.logText()).isNotNull();
        return r;
    }

    /** What a subscriber connecting now gets: the retained status. */
    private JsonNode retainedStatus() throws Exception {
        try (MqttRecorder late = new MqttRecorder(f.broker.url(), f.topic("status"))) {
            MqttRecorder.Received r = late.next(x -> true, 5_000);
            assertThat(r).as("a retained status").isNotNull();
            assertThat(r.retained()).isTrue();
            return r.json();
        }
    }
}

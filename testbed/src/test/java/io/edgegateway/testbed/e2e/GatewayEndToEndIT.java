package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The walking skeleton end to end: telemetry published to a real mosquitto, the real distribution (Felix with the
 * real bundles) in its own process, alerts read back from the broker by an independent client.
 */
class GatewayEndToEndIT {

    @TempDir
    Path dir;
    GatewayFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new GatewayFixture(dir, "it-e2e");
        // subscribe wider than the topic pattern so that topics the pattern cannot read reach the decoder
        GatewayHomes.configure(f.home, "io.edgegateway.mqtt.source-plant.cfg", Map.of("topics", "plant/#"));
        f.startGateway();
        f.awaitSourceSubscribed();
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
    }

    @Test
    void thresholdAndEwmaAlertsCarryTheDocumentedSchema() throws Exception {
        long t0 = System.currentTimeMillis() - 60_000;
        for (int i = 0; i < 40; i++) { // steady state, learnt by the EWMA detector
            f.publish("plant/pump-7/bearing_temperature",
                    GatewayFixture.sample("pump-7", "bearing_temperature", 60 + (i % 3) * 0.1, "degC", t0 + i * 1000L), 1);
        }
        long faultTs = t0 + 40_000;
        f.publish("plant/pump-7/bearing_temperature",
                GatewayFixture.sample("pump-7", "bearing_temperature", 91.5, "degC", faultTs), 1);

        List<JsonNode> alerts = new ArrayList<>();
        while (alerts.size() < 2) {
            MqttRecorder.Received r = f.recorder.next(x -> x.topic().equals(f.topic("alerts/pump-7")), 15_000);
            assertThat(r).as("alert %d; gateway log:%n%s", alerts.size() + 1, f.gateway.logText()).isNotNull();
            assertThat(r.retained()).isFalse();
            alerts.add(r.json());
        }
        JsonNode threshold = alerts.stream().filter(a -> a.path("detector").asText().equals("threshold"))
                .findFirst().orElseThrow(() -> new AssertionError("no threshold alert in " + alerts));
        assertThat(threshold.path("gatewayId").asText()).isEqualTo("it-e2e");
        assertThat(threshold.path("assetId").asText()).isEqualTo("pump-7");
        assertThat(threshold.path("signal").asText()).isEqualTo("bearing_temperature");
        assertThat(threshold.path("severity").asText()).isEqualTo("WARNING");
        assertThat(threshold.path("value").asDouble()).isEqualTo(91.5);
        assertThat(threshold.path("unit").asText()).isEqualTo("degC");
        assertThat(threshold.path("baseline").asDouble()).isEqualTo(80.0);
        assertThat(threshold.path("score").asDouble()).isGreaterThan(0);
        assertThat(Instant.parse(threshold.path("observedTime").asText()).toEpochMilli()).isEqualTo(faultTs);
        assertThat(Instant.parse(threshold.path("detectionTime").asText())).isAfter(Instant.ofEpochMilli(faultTs));
        assertThat(threshold.path("alertId").asText()).hasSize(36);
        assertThat(threshold.path("detectorVersion").asText()).startsWith("0.1.0");
        assertThat(threshold.path("message").asText()).contains("80");

        JsonNode ewma = alerts.stream().filter(a -> a.path("detector").asText().equals("ewma"))
                .findFirst().orElseThrow(() -> new AssertionError("no ewma alert in " + alerts));
        assertThat(ewma.path("score").asDouble()).isGreaterThan(5.0);
        assertThat(ewma.path("baseline").asDouble()).isBetween(59.0, 61.0);
        assertThat(ewma.path("alertId").asText()).isNotEqualTo(threshold.path("alertId").asText());
    }

    @Test
    void badInputIsCountedPerReasonAndTheDataKeepsFlowing() throws Exception {
        long now = System.currentTimeMillis();
        f.publish("plant/pump-8/bearing_temperature", "{\"asset\":\"pump-8\",\"value\":", 1);       // truncated
        f.publish("plant/pump-8/bearing_temperature", "not json at all", 1);
        f.publish("plant/pump-8/bearing_temperature", "{\"value\":\"hot\"}", 1);                    // non-numeric
        f.publish("plant/pump-8/bearing_temperature", "{\"value\":{\"deep\":1}}", 1);               // non-numeric
        f.publish("plant/unexpected", "{\"value\":1}", 1);                                          // unknown topic
        f.publish("plant/pump-8/bearing_temperature", new byte[70_000], 1);                         // oversized
        // a good alert after the bad input: the pipeline keeps flowing
        f.publish("plant/pump-8/bearing_temperature",
                GatewayFixture.sample("pump-8", "bearing_temperature", 99.0, "degC", now), 1);

        MqttRecorder.Received alert = f.recorder.next(x -> x.topic().equals(f.topic("alerts/pump-8"))
                && x.payload().contains("\"threshold\""), 15_000);
        assertThat(alert).as("alert after bad input; log:%n%s", f.gateway.logText()).isNotNull();
        assertThat(alert.json().path("severity").asText()).isEqualTo("CRITICAL"); // 99 > critical.high 95

        JsonNode m = f.awaitMetrics(x -> x.path("rejected").size() >= 4
                && x.path("rejected").path("oversized_payload").asLong() == 1, Duration.ofSeconds(20));
        JsonNode rejected = m.path("rejected");
        assertThat(rejected.path("malformed_payload").asLong()).isEqualTo(2);
        assertThat(rejected.path("non_numeric_value").asLong()).isEqualTo(2);
        assertThat(rejected.path("unknown_topic").asLong()).isEqualTo(1);
        assertThat(rejected.path("oversized_payload").asLong()).isEqualTo(1);

        String log = f.gateway.logText();
        assertThat(log).contains("malformed_payload").contains("non_numeric_value").contains("unknown_topic")
                .contains("oversized_payload");
    }

    @Test
    void wrongConfigurationNamesTheSettingAndTheGatewayKeepsRunning() throws Exception {
        GatewayHomes.configure(f.home, "io.edgegateway.mqtt.source-broken.cfg",
                Map.of("broker.url", "localhost:1883", "topics", "plant/+/+", "payload.format", "json"));
        GatewayHomes.configure(f.home, "io.edgegateway.rules.ewma-bad.cfg", Map.of("alpha", "1.5"));
        assertThat(f.gateway.awaitLog("'broker.url'", Duration.ofSeconds(20)))
                .as("log names broker.url:%n%s", f.gateway.logText()).isTrue();
        assertThat(f.gateway.awaitLog("'alpha'", Duration.ofSeconds(20)))
                .as("log names alpha:%n%s", f.gateway.logText()).isTrue();

        f.publish("plant/pump-9/bearing_temperature",
                GatewayFixture.sample("pump-9", "bearing_temperature", 85.0, "degC", System.currentTimeMillis()), 1);
        assertThat(f.recorder.next(x -> x.topic().equals(f.topic("alerts/pump-9")), 15_000))
                .as("alert after wrong configuration").isNotNull();
        assertThat(f.gateway.isAlive()).isTrue();
    }
}

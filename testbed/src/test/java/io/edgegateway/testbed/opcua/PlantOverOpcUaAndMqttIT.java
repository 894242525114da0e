package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.Ports;

/**
 * Issue 3, "one simulator serves the same plant over OPC UA and MQTT": {@code ./gateway opcua-server --mqtt-broker}
 * in its own process with a conveyor ({@code --assets}) and a fault whose ground truth it writes. A value read over
 * OPC UA is, with the same timestamp, the value published over MQTT; an asset added at runtime is published too.
 */
class PlantOverOpcUaAndMqttIT {

    @TempDir
    Path dir;

    @Test
    void theValuesReadOverOpcUaAreTheValuesPublishedOverMqtt() throws Exception {
        Path truth = dir.resolve("ground-truth.jsonl");
        try (MosquittoBroker broker = MosquittoBroker.start(dir.resolve("broker"));
             MqttRecorder mqtt = new MqttRecorder(broker.url(), "plant/#");
             PlantOpcUaServerProcess server = PlantOpcUaServerProcess.start(List.of("--port",
                     Integer.toString(Ports.freePort()), "--rate", "10", "--assets", "pump-1,conveyor-1",
                     "--faults", "pump-1/vibration:spike@1*8", "--ground-truth", truth.toString(),
                     "--mqtt-broker", broker.url()), dir.resolve("server.log"))) {
            assertThat(server.awaitOutput("The same samples go to " + broker.url(), Duration.ofSeconds(10))).isTrue();
            OpcUaClient client = OpcUaClient.create(server.endpointUrl());
            try {
                client.connect();
                int ns = client.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
                for (String variable : List.of("pump-1/flow", "conveyor-1/speed", "pump-1/bearing_temperature",
                        "conveyor-1/current")) {
                    assertSameOverBoth(client, mqtt, new NodeId(ns, "Plant/" + variable), variable, null);
                }
                server.command("add pump-2");
                assertThat(server.awaitOutput("asset pump-2 added", Duration.ofSeconds(10))).isTrue();
                MqttRecorder.Received added = mqtt.next(r -> r.topic().equals("plant/pump-2/flow"), 10_000);
                assertThat(added).as("the added asset over MQTT too").isNotNull();
                // the OPC UA read may return that very sample (taken from the recorder above): it counts too
                assertSameOverBoth(client, mqtt, new NodeId(ns, "Plant/pump-2/flow"), "pump-2/flow", added);
            } finally {
                client.disconnect();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!(Files.exists(truth) && Files.readString(truth).contains("\"spike\""))
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(truth).as("ground truth of the spike at 1 s; server output:%n%s", server.output())
                    .content().contains("\"asset\":\"pump-1\"", "\"signal\":\"vibration\"", "\"spike\"");
        }
    }

    /** The node's current value and source time over OPC UA; the MQTT sample with that time has that value. */
    private static void assertSameOverBoth(OpcUaClient client, MqttRecorder mqtt, NodeId node, String variable,
                                           MqttRecorder.Received alreadyTaken) throws Exception {
        DataValue v = client.readValues(0, TimestampsToReturn.Both, List.of(node)).get(0);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!v.getStatusCode().isGood() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            v = client.readValues(0, TimestampsToReturn.Both, List.of(node)).get(0);
        }
        assertThat(v.getStatusCode().isGood()).as("%s: %s", node, v).isTrue();
        long ts = v.getSourceTime().getJavaInstant().toEpochMilli();
        double value = (Double) v.getValue().getValue();
        java.util.function.Predicate<MqttRecorder.Received> stamped = r -> r.topic().equals("plant/" + variable)
                && r.json().path("ts").asLong() == ts;
        MqttRecorder.Received same = alreadyTaken != null && stamped.test(alreadyTaken) ? alreadyTaken
                : mqtt.next(stamped, 10_000);
        assertThat(same).as("an MQTT sample of %s stamped %d (the OPC UA source time)", variable, ts).isNotNull();
        JsonNode sample = same.json();
        System.out.printf("%s at %d: OPC UA %s, MQTT %s %s%n", variable, ts, value, sample.path("value").asDouble(),
                sample.path("unit").asText());
        assertThat(sample.path("value").asDouble()).isEqualTo(value);
    }
}

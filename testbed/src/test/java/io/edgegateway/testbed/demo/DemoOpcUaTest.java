package io.edgegateway.testbed.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;

/** The demo's OPC UA part: its own assets on a real plant server, the source configuration, the summary. */
class DemoOpcUaTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void servesItsOwnAssetsAndConfiguresTheGatewaysSource() throws Exception {
        Files.createDirectories(home.resolve("deploy"));
        try (DemoOpcUa demo = DemoOpcUa.start(home, 2)) {
            Properties cfg = new Properties();
            try (var in = Files.newInputStream(home.resolve("deploy").resolve(DemoOpcUa.CONFIG))) {
                cfg.load(in);
            }
            String url = cfg.getProperty("endpoint.url");
            assertThat(url).startsWith("opc.tcp://localhost:").endsWith(PlantOpcUaServer.PATH);
            assertThat(cfg.getProperty("nodes")).isEqualTo("Objects/Plant/*/*");
            assertThat(Double.parseDouble(cfg.getProperty("sampling.interval.ms"))).isEqualTo(250);
            assertThat(demo.describe()).contains("pump-2, compressor-2").contains("OPC UA only");

            OpcUaClient client = OpcUaClient.create(url);
            try {
                client.connect();
                int ns = client.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
                Thread.sleep(800);
                DataValue v = client.readValues(0, TimestampsToReturn.Both,
                        List.of(new NodeId(ns, "Plant/pump-2/vibration"))).get(0);
                assertThat(v.getStatusCode().isGood()).as("status %s", v.getStatusCode()).isTrue();
                DataValue mqttOnly = client.readValues(0, TimestampsToReturn.Both,
                        List.of(new NodeId(ns, "Plant/pump-1/vibration"))).get(0);
                assertThat(mqttOnly.getStatusCode().isBad()).as("pump-1 is not served over OPC UA").isTrue();
            } finally {
                client.disconnect();
            }
        }
    }

    @Test
    void opcUaAssetsAreDistinctFromTheMqttPlantAndTheirFaultsAreValid() {
        assertThat(DemoOpcUa.ASSETS).doesNotContainAnyElementsOf(PlantSimulator.DEFAULT_ASSETS);
        // the faults name simulated signals (the constructor throws otherwise)
        new PlantSimulator(7, 2, Scenarios.parse(DemoOpcUa.FAULTS), DemoOpcUa.ASSETS);
    }

    @Test
    void alertsOnOpcUaAssetsAreTaggedAndSummarised() throws Exception {
        JsonNode opc = alert("pump-2", "vibration", "threshold", Instant.now().plusSeconds(31));
        JsonNode mqtt = alert("pump-1", "vibration", "ewma", Instant.now().plusSeconds(21));
        assertThat(DemoOpcUa.tag(opc)).contains("via OPC UA");
        assertThat(DemoOpcUa.tag(mqtt)).isEmpty();

        Files.createDirectories(home.resolve("deploy"));
        try (DemoOpcUa demo = DemoOpcUa.start(home, 2)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            demo.summary(new PrintStream(bytes, true, StandardCharsets.UTF_8), List.of(opc, mqtt));
            String text = bytes.toString(StandardCharsets.UTF_8);
            assertThat(text).contains("1 of 2 alerts {threshold=1}")
                    .containsPattern("pump-2/vibration spike \\(OPC UA\\): alert [0-9.]+ s after the fault started")
                    .contains("compressor-2/discharge_temperature drift (OPC UA): not reached yet");
        }
    }

    private static JsonNode alert(String asset, String signal, String detector, Instant detection) {
        return JSON.createObjectNode().put("assetId", asset).put("signal", signal).put("detector", detector)
                .put("detectionTime", detection.toString());
    }
}

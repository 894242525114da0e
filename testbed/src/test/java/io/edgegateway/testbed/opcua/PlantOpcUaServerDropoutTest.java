package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.junit.jupiter.api.Test;

import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.Scenarios;

/** A dropout fault over OPC UA: the node's status goes Bad_NoCommunication for the fault's duration, then Good. */
class PlantOpcUaServerDropoutTest {

    @Test
    void theNodesStatusIsBadDuringADropoutAndGoodAgainAfterIt() throws Exception {
        PlantSimulator sim = new PlantSimulator(42, 10, Scenarios.parse("pump-1/flow:dropout@2+4"),
                List.of("pump-1"));
        try (PlantOpcUaServer server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null, sim).start()) {
            OpcUaClient client = OpcUaClient.create(server.endpointUrl());
            try {
                client.connect();
                int ns = client.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
                NodeId flow = new NodeId(ns, "Plant/pump-1/flow");
                NodeId current = new NodeId(ns, "Plant/pump-1/current");
                DataValue bad = await(client, flow, true, 10_000);
                assertThat(bad.getStatusCode().getValue()).isEqualTo(StatusCodes.Bad_NoCommunication);
                assertThat(read(client, current).getStatusCode().isGood()).as("other signals keep publishing")
                        .isTrue();
                DataValue good = await(client, flow, false, 10_000);
                assertThat(good.getValue().getValue()).isInstanceOf(Double.class);
                assertThat(sim.groundTruth()).singleElement().satisfies(g -> {
                    assertThat(g.fault()).isEqualTo("dropout");
                    assertThat(g.end()).isNotNull();
                });
            } finally {
                client.disconnect();
            }
        }
    }

    private static DataValue read(OpcUaClient client, NodeId node) throws Exception {
        return client.readValues(0, TimestampsToReturn.Both, List.of(node)).get(0);
    }

    private static DataValue await(OpcUaClient client, NodeId node, boolean bad, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        DataValue v = read(client, node);
        while (v.getStatusCode().isBad() != bad && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            v = read(client, node);
        }
        assertThat(v.getStatusCode().isBad()).as("%s bad=%s within %d ms: %s", node, bad, timeoutMs, v).isEqualTo(bad);
        return v;
    }
}

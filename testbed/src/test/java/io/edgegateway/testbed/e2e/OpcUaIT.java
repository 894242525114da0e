package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;

/**
 * OPC UA end to end: the testbed's Milo plant server in this JVM, the real distribution (with the OPC UA connector
 * bundle) in its own process, alerts and metrics read back from mosquitto; then a server restart on the same port.
 */
class OpcUaIT {

    @RegisterExtension
    final OpcUaFixture o = new OpcUaFixture();

    @Test
    void plantServerServesTheSimulatedPlant() throws Exception {
        PlantOpcUaServer server = o.startServer();
        OpcUaClient client = OpcUaClient.create(server.endpointUrl());
        try {
            client.connect();
            int ns = client.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
            NodeId flow = new NodeId(ns, "Plant/pump-1/bearing_temperature");
            Thread.sleep(300);
            DataValue v = client.readValues(0, TimestampsToReturn.Both, List.of(flow)).get(0);
            assertThat(v.getStatusCode().isGood()).as("status %s", v.getStatusCode()).isTrue();
            assertThat(v.getValue().getValue()).isInstanceOf(Double.class);
            // restart on the same port: a new client session works again
            server.stop();
            server.start();
            client.disconnect();
            client = OpcUaClient.create(server.endpointUrl());
            client.connect();
            DataValue again = client.readValues(0, TimestampsToReturn.Both, List.of(flow)).get(0);
            assertThat(again.getStatusCode().isGood()).as("status after restart %s", again.getStatusCode()).isTrue();
        } finally {
            client.disconnect();
        }
    }

    @Test
    void opcUaSamplesReachThePipelineAndResumeAfterAServerRestart() throws Exception {
        // the server advertises a host name nobody resolves (as servers behind NAT or in containers do): the
        // source must connect to the configured host (endpoint.host.rewrite, default true)
        PlantOpcUaServer server = o.startServer("plant-server.invalid", "operator", "s3cret",
                PlantOpcUaServer.Security.NONE);
        String endpoint = "opc.tcp://localhost:" + server.port() + PlantOpcUaServer.PATH;
        // the configured variables and the source's model change event item
        int configured = server.variableCount() + 1;
        GatewayFixture f = o.gateway("it-opcua");
        o.source("plant", Map.of(
                "endpoint.url", endpoint,
                "username", "operator",
                "password", "s3cret",
                // every variable by pattern, one of them again by NodeId (counted once), and one bad NodeId
                "nodes", "Objects/Plant/*/*,ns=2;s=Plant/pump-1/current,ns=2;s=Plant/pump-1/no_such_signal",
                "sampling.interval.ms", "100",
                "queue.size", "4"));
        // a limit every simulated bearing temperature exceeds: the OPC UA samples must raise it
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-opcua.cfg", Map.of(
                "detector.asset", "pump-1", "detector.signal", "bearing_temperature", "high", "1",
                "hysteresis", "0.5", "severity", "WARNING"));
        f.startGateway();

        f.awaitMetrics(m -> m.path("accepted").asLong() > 50, Duration.ofSeconds(45));
        MqttRecorder.Received alert = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-1"))
                && r.payload().contains("\"threshold\"") && r.payload().contains("bearing_temperature"), 30_000);
        assertThat(alert).as("threshold alert from OPC UA data; log:%n%s", f.gateway.logText()).isNotNull();
        assertThat(alert.json().path("unit").asText()).as("unit from EngineeringUnits").isEqualTo("degC");
        o.awaitServerItems(configured, Duration.ofSeconds(10));
        // the item settings reach the server: each data item holds the configured queue size and sampling interval
        List<PlantOpcUaServer.ServerItem> items = server.dataItems();
        assertThat(items).as("data items on the server").hasSize(configured - 1);
        assertThat(items).allSatisfy(i -> {
            assertThat(i.queueSize()).as("queue size of %s", i.nodeId()).isEqualTo(4);
            assertThat(i.samplingIntervalMs()).as("sampling interval of %s", i.nodeId()).isEqualTo(100.0);
        });

        server.stop();
        Thread.sleep(3000); // metrics settle while the server is away
        long before = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
        long restarted = System.nanoTime();
        server.start();
        JsonNode resumed = f.awaitMetrics(m -> m.path("accepted").asLong() > before + 20, Duration.ofSeconds(15));
        double seconds = (System.nanoTime() - restarted) / 1e9;
        o.awaitServerItems(configured, Duration.ofSeconds(15 - Math.min(14, (long) seconds)));
        System.out.printf("OPC UA data resumed %.1f s after the server restart (accepted %d -> %d)%n", seconds,
                before, resumed.path("accepted").asLong());
        assertThat(seconds).isLessThan(15);
        String log = f.gateway.logText();
        log.lines().filter(l -> l.contains("OPC UA source")).forEach(System.out::println);
        assertThat(log).contains("ns=2;s=Plant/pump-1/no_such_signal does not exist");
    }
}

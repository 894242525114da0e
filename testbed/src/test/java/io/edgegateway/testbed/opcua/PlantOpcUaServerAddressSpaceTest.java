package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.ExtensionObject;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.NodeClass;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseResult;
import org.eclipse.milo.opcua.stack.core.types.structured.ContentFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.EventFilter;
import org.eclipse.milo.opcua.stack.core.types.structured.ModelChangeStructureDataType;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.SimpleAttributeOperand;
import org.junit.jupiter.api.Test;

import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.simulator.PlantSimulator;

/**
 * The plant server's address space changes at runtime: an asset added or removed shows up in a browse of
 * Objects/Plant, its variables are readable (or unknown), and a plain Milo client subscribed to the Server object's
 * events receives one GeneralModelChangeEvent per change naming the asset's folder; the served assets survive a
 * restart.
 */
class PlantOpcUaServerAddressSpaceTest {

    @Test
    void assetsAddedAndRemovedAtRuntimeAreBrowsableAndAnnouncedByModelChangeEvents() throws Exception {
        PlantSimulator sim = new PlantSimulator(42, 10, List.of(), List.of("pump-1", "motor-1"));
        try (PlantOpcUaServer server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null, sim).start()) {
            int base = server.variableCount();
            OpcUaClient client = OpcUaClient.create(server.endpointUrl());
            try {
                client.connect();
                int ns = client.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
                NodeId plant = new NodeId(ns, "Plant");
                BlockingQueue<Variant[]> events = new LinkedBlockingQueue<>();
                OpcUaSubscription subscription = new OpcUaSubscription(client, 100.0);
                subscription.create();
                OpcUaMonitoredItem item = OpcUaMonitoredItem.newEventItem(NodeIds.Server, new EventFilter(
                        new SimpleAttributeOperand[] {field(NodeIds.BaseEventType, "EventType"),
                                field(NodeIds.GeneralModelChangeEventType, "Changes")}, new ContentFilter(null)));
                item.setQueueSize(uint(10));
                item.setEventValueListener((it, fields) -> events.add(fields));
                subscription.addMonitoredItem(item);
                subscription.createMonitoredItems();
                assertThat(item.getCreateResult()).hasValueSatisfying(s -> assertThat(s.isGood()).isTrue());
                assertThat(children(client, plant)).containsExactly("pump-1", "motor-1");

                // a new asset, with a simulator of its own
                assertThat(server.addAsset("conveyor-7")).isEqualTo(server.signalsOf("conveyor-7").size());
                assertThat(server.variableCount()).isEqualTo(base + server.signalsOf("conveyor-7").size());
                assertChange(client, events.poll(10, TimeUnit.SECONDS), new NodeId(ns, "Plant/conveyor-7"), 1 | 4);
                assertThat(children(client, plant)).containsExactly("pump-1", "motor-1", "conveyor-7");
                String signal = server.signalsOf("conveyor-7").get(0).name();
                NodeId added = new NodeId(ns, "Plant/conveyor-7/" + signal);
                assertThat(children(client, new NodeId(ns, "Plant/conveyor-7")))
                        .hasSize(server.signalsOf("conveyor-7").size()).contains(signal);
                awaitGood(client, added);

                // one of the plant's own assets goes away, then comes back
                NodeId motorCurrent = new NodeId(ns, "Plant/motor-1/" + server.signalsOf("motor-1").get(0).name());
                server.removeAsset("motor-1");
                assertChange(client, events.poll(10, TimeUnit.SECONDS), new NodeId(ns, "Plant/motor-1"), 2 | 8);
                assertThat(children(client, plant)).containsExactly("pump-1", "conveyor-7");
                assertThat(read(client, motorCurrent).getStatusCode().getValue())
                        .isEqualTo(StatusCodes.Bad_NodeIdUnknown);
                assertThatThrownBy(() -> server.removeAsset("motor-1")).hasMessageContaining("not served");
                assertThatThrownBy(() -> server.addAsset("pump-1")).hasMessageContaining("served already");
                assertThatThrownBy(() -> server.addAsset("valve-1")).hasMessageContaining("must start with");
                server.addAsset("motor-1");
                assertChange(client, events.poll(10, TimeUnit.SECONDS), new NodeId(ns, "Plant/motor-1"), 1 | 4);
                awaitGood(client, motorCurrent);
                assertThat(server.modelChangeEvents()).isEqualTo(3);
                assertThat(events).as("one event per change").isEmpty();
                server.removeAsset("conveyor-7");
                assertChange(client, events.poll(10, TimeUnit.SECONDS), new NodeId(ns, "Plant/conveyor-7"), 2 | 8);
                server.addAsset("conveyor-7");
            } finally {
                client.disconnect();
            }

            // the assets served now are those served after a restart
            server.stop();
            server.start();
            OpcUaClient again = OpcUaClient.create(server.endpointUrl());
            try {
                again.connect();
                int ns = again.getNamespaceTable().getIndex(PlantOpcUaServer.NAMESPACE_URI).intValue();
                assertThat(children(again, new NodeId(ns, "Plant"))).containsExactly("pump-1", "motor-1",
                        "conveyor-7");
                awaitGood(again, new NodeId(ns, "Plant/conveyor-7/" + server.signalsOf("conveyor-7").get(0).name()));
            } finally {
                again.disconnect();
            }
        }
    }

    private static SimpleAttributeOperand field(NodeId type, String name) {
        return new SimpleAttributeOperand(type, new QualifiedName[] {new QualifiedName(0, name)},
                AttributeId.Value.uid(), null);
    }

    /** The event is a GeneralModelChangeEvent whose Changes name {@code affected} with {@code verb}. */
    private static void assertChange(OpcUaClient client, Variant[] fields, NodeId affected, int verb) {
        assertThat(fields).as("a model change event within 10 s").isNotNull().hasSize(2);
        assertThat(fields[0].getValue()).isEqualTo(NodeIds.GeneralModelChangeEventType);
        List<ModelChangeStructureDataType> changes = new ArrayList<>();
        for (Object o : (Object[]) fields[1].getValue()) {
            changes.add((ModelChangeStructureDataType) ((ExtensionObject) o).decode(client.getStaticEncodingContext()));
        }
        assertThat(changes).anySatisfy(c -> {
            assertThat(c.getAffected()).isEqualTo(affected);
            assertThat(c.getVerb().intValue()).isEqualTo(verb);
        });
    }

    private static List<String> children(OpcUaClient client, NodeId node) throws Exception {
        BrowseResult r = client.browse(new BrowseDescription(node, BrowseDirection.Forward,
                NodeIds.HierarchicalReferences, true, uint(NodeClass.Object.getValue() | NodeClass.Variable.getValue()),
                uint(BrowseResultMask.All.getValue())));
        List<String> names = new ArrayList<>();
        for (ReferenceDescription ref : r.getReferences()) {
            names.add(ref.getBrowseName().getName());
        }
        return names;
    }

    private static DataValue read(OpcUaClient client, NodeId node) throws Exception {
        return client.readValues(0, TimestampsToReturn.Both, List.of(node)).get(0);
    }

    private static void awaitGood(OpcUaClient client, NodeId node) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        DataValue v = read(client, node);
        while (!v.getStatusCode().isGood() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            v = read(client, node);
        }
        assertThat(v.getStatusCode().isGood()).as("%s good within 10 s: %s", node, v).isTrue();
        assertThat(v.getValue().getValue()).isInstanceOf(Double.class);
    }
}

package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned;
import org.junit.jupiter.api.Test;

import io.edgegateway.testbed.harness.Ports;

/** The benchmark's server pushes every change into the monitored items: a plain client gets exactly what it made. */
class BenchOpcUaServerTest {

    @Test
    void everyChangeReachesASubscriberAndIsCounted() throws Exception {
        try (BenchOpcUaServer server = new BenchOpcUaServer(Ports.freePort(), 250).start()) {
            OpcUaClient client = OpcUaClient.create(server.endpointUrl());
            client.connect();
            try {
                int ns = client.getNamespaceTable().getIndex(BenchOpcUaServer.NAMESPACE_URI).intValue();
                List<NodeId> ids = server.nodeIds(ns);
                assertThat(ids).hasSize(250);
                assertThat(ids.get(123).getIdentifier()).isEqualTo("Bench/bench-012/v03");
                AtomicLong received = new AtomicLong();
                Map<Integer, Double> last = new ConcurrentHashMap<>();
                OpcUaSubscription s = new OpcUaSubscription(client, 50.0);
                s.create();
                List<OpcUaMonitoredItem> items = new ArrayList<>();
                for (int i = 0; i < ids.size(); i++) {
                    int index = i;
                    OpcUaMonitoredItem item = OpcUaMonitoredItem.newDataItem(ids.get(i));
                    item.setSamplingInterval(50.0);
                    item.setQueueSize(Unsigned.uint(10));
                    item.setDataValueListener((it, v) -> {
                        received.incrementAndGet();
                        last.put(index, (Double) v.getValue().getValue());
                    });
                    items.add(item);
                }
                s.addMonitoredItems(items);
                s.createMonitoredItems();
                assertThat(server.monitoredItemCount()).isEqualTo(250);
                Thread.sleep(1000);
                assertThat(received.get()).as("one initial value per item").isEqualTo(250);
                long before = received.get();
                server.startChanging(20);
                Thread.sleep(1500);
                server.stopChanging();
                long produced = server.produced();
                long ticks = server.ticks();
                assertThat(produced).isEqualTo(ticks * 250).isGreaterThan(0);
                Thread.sleep(1000);
                assertThat(received.get() - before).as("nothing lost, nothing twice").isEqualTo(produced);
                // variable i at tick k: (k + i) % 100
                assertThat(last.get(7)).isEqualTo((double) ((ticks + 7) % BenchOpcUaServer.PERIOD));
            } finally {
                client.disconnect();
            }
        }
    }
}

package io.edgegateway.testbed.opcua;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.server.EndpointConfig;
import org.eclipse.milo.opcua.sdk.server.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.identity.AnonymousIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.model.variables.AnalogItemType;
import org.eclipse.milo.opcua.sdk.server.nodes.UaFolderNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.Stack;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.MemoryCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.Range;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransport;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransportConfig;

/**
 * A load server for the OPC UA benchmark: {@code count} Double variables {@code Objects/Bench/<asset>/<signal>}
 * ({@link #ITEMS_PER_ASSET} per asset, assets {@code bench-000}, {@code bench-001}, ...; signals {@code v00} ..
 * {@code v09}; unit {@code u}), security None, anonymous. Nothing changes until {@link #startChanging(double)}:
 * then every variable gets a new value at each tick, and the server pushes it straight into every monitored item of
 * that variable (as a device-driven server does; no sampling, so no change is missed or sampled twice), counting
 * each change it produced. Variable {@code i} at tick {@code k} has the value {@code (k + i) % 100}: it reaches 99
 * once every 100 ticks, at a different tick for each variable of an asset, so a threshold at 98.5 raises an alert
 * per variable every 100 ticks, spread evenly.
 */
public final class BenchOpcUaServer implements AutoCloseable {

    public static final String NAMESPACE_URI = "urn:edgegateway:testbed:bench";
    public static final int ITEMS_PER_ASSET = 10;
    /** Values cycle through 0..PERIOD-1. */
    public static final int PERIOD = 100;

    private final int port;
    private final int count;
    private OpcUaServer server;
    private final List<UaVariableNode> nodes = new ArrayList<>();
    private final Map<NodeId, Set<DataItem>> items = new ConcurrentHashMap<>();
    private final Map<NodeId, Integer> index = new ConcurrentHashMap<>();
    private final AtomicLong produced = new AtomicLong();
    private final AtomicLong ticks = new AtomicLong();
    private ScheduledExecutorService ticker;
    private ScheduledFuture<?> ticking;

    public BenchOpcUaServer(int port, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1: " + count);
        }
        this.port = port;
        this.count = count;
    }

    public String endpointUrl() {
        return "opc.tcp://localhost:" + port + PlantOpcUaServer.PATH;
    }

    public static String asset(int i) {
        return String.format("bench-%03d", i / ITEMS_PER_ASSET);
    }

    public static String signal(int i) {
        return String.format("v%02d", i % ITEMS_PER_ASSET);
    }

    /** NodeIds of all variables, in order, for a namespace index. */
    public List<NodeId> nodeIds(int namespaceIndex) {
        List<NodeId> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(new NodeId(namespaceIndex, "Bench/" + asset(i) + "/" + signal(i)));
        }
        return ids;
    }

    public int count() {
        return count;
    }

    /** Monitored items the server holds (all sessions). */
    public long monitoredItemCount() {
        return server == null ? 0 : server.getMonitoredItemCount().get();
    }

    /** Value changes pushed into monitored items so far (a change seen by two items counts twice). */
    public long produced() {
        return produced.get();
    }

    public long ticks() {
        return ticks.get();
    }

    public BenchOpcUaServer start() throws Exception {
        EndpointConfig endpoint = EndpointConfig.newBuilder()
                .setBindAddress("0.0.0.0").setHostname("localhost").setBindPort(port).setPath(PlantOpcUaServer.PATH)
                .setSecurityPolicy(SecurityPolicy.None).setSecurityMode(MessageSecurityMode.None)
                .addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS).build();
        OpcUaServerConfig config = OpcUaServerConfig.builder()
                .setApplicationUri("urn:edgegateway:testbed:bench-server")
                .setApplicationName(LocalizedText.english("Edge Gateway OPC UA benchmark server"))
                .setProductUri("urn:edgegateway:testbed")
                .setCertificateManager(new DefaultCertificateManager(new MemoryCertificateQuarantine()))
                .setIdentityValidator(AnonymousIdentityValidator.INSTANCE)
                .setEndpoints(Set.of(endpoint))
                .build();
        server = new OpcUaServer(config,
                profile -> new OpcTcpServerTransport(OpcTcpServerTransportConfig.newBuilder().build()));
        new BenchNamespace(server).startup();
        server.startup().get(30, TimeUnit.SECONDS);
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "opcua-bench-ticker");
            t.setDaemon(true);
            return t;
        });
        return this;
    }

    /** Changes every variable {@code rateHz} times a second until {@link #stopChanging()}. */
    public synchronized void startChanging(double rateHz) {
        if (ticking != null) {
            return;
        }
        long period = Math.max(100, Math.round(1_000_000 / rateHz));
        ticking = ticker.scheduleAtFixedRate(this::tick, 0, period, TimeUnit.MICROSECONDS);
    }

    /** Stops changing values; returns after the last tick finished. */
    public void stopChanging() throws Exception {
        ScheduledFuture<?> t;
        synchronized (this) {
            t = ticking;
            ticking = null;
        }
        if (t != null) {
            t.cancel(false);
            // a tick in progress finishes first
            ticker.submit(() -> { }).get(10, TimeUnit.SECONDS);
        }
    }

    private void tick() {
        long k = ticks.incrementAndGet();
        DateTime now = DateTime.now();
        for (int i = 0; i < nodes.size(); i++) {
            UaVariableNode node = nodes.get(i);
            DataValue value = new DataValue(new Variant((double) ((k + i) % PERIOD)), StatusCode.GOOD, now, now);
            node.setValue(value);
            push(node.getNodeId(), value);
        }
    }

    private void push(NodeId nodeId, DataValue value) {
        Set<DataItem> monitored = items.get(nodeId);
        if (monitored == null) {
            return;
        }
        for (DataItem item : monitored) {
            if (item.isSamplingEnabled()) {
                TimestampsToReturn ttr = item.getTimestampsToReturn();
                item.setValue(ttr == null ? value : DataValue.derivedValue(value, ttr));
                produced.incrementAndGet();
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            stopChanging();
            if (ticker != null) {
                ticker.shutdownNow();
            }
            if (server != null) {
                server.shutdown().get(30, TimeUnit.SECONDS);
            }
        } finally {
            Stack.releaseSharedResources();
        }
    }

    /** Objects/Bench/<asset>/<signal>; monitored items are tracked, not sampled. */
    private final class BenchNamespace extends ManagedNamespaceWithLifecycle {

        BenchNamespace(OpcUaServer server) {
            super(server, NAMESPACE_URI);
            UaFolderNode bench = new UaFolderNode(getNodeContext(), newNodeId("Bench"), newQualifiedName("Bench"),
                    LocalizedText.english("Bench"));
            getNodeManager().addNode(bench);
            bench.addReference(new Reference(bench.getNodeId(), NodeIds.Organizes, NodeIds.ObjectsFolder.expanded(),
                    Reference.Direction.INVERSE));
            UaFolderNode folder = null;
            DateTime start = DateTime.now();
            for (int i = 0; i < count; i++) {
                if (i % ITEMS_PER_ASSET == 0) {
                    folder = new UaFolderNode(getNodeContext(), newNodeId("Bench/" + asset(i)),
                            newQualifiedName(asset(i)), LocalizedText.english(asset(i)));
                    getNodeManager().addNode(folder);
                    bench.addOrganizes(folder);
                }
                String id = "Bench/" + asset(i) + "/" + signal(i);
                UaVariableNode node = new UaVariableNode.UaVariableNodeBuilder(getNodeContext())
                        .setNodeId(newNodeId(id))
                        .setBrowseName(newQualifiedName(signal(i)))
                        .setDisplayName(LocalizedText.english(signal(i)))
                        .setDataType(NodeIds.Double)
                        .setTypeDefinition(NodeIds.AnalogItemType)
                        .setAccessLevel(AccessLevel.READ_ONLY)
                        .setUserAccessLevel(AccessLevel.READ_ONLY)
                        .setMinimumSamplingInterval(0.0)
                        .setValue(new DataValue(new Variant((double) (i % PERIOD)), StatusCode.GOOD, start, start))
                        .build();
                getNodeManager().addNode(node);
                node.setProperty(AnalogItemType.EU_RANGE, new Range(0.0, (double) PERIOD));
                node.setProperty(AnalogItemType.ENGINEERING_UNITS, new EUInformation(
                        "http://www.opcfoundation.org/UA/units/un/cefact", -1, LocalizedText.english("u"),
                        LocalizedText.english("u")));
                folder.addOrganizes(node);
                nodes.add(node);
                index.put(node.getNodeId(), i);
            }
        }

        @Override
        public void onDataItemsCreated(List<DataItem> dataItems) {
            for (DataItem item : dataItems) {
                NodeId id = item.getReadValueId().getNodeId();
                if (!AttributeId.Value.isEqual(item.getReadValueId().getAttributeId()) || !index.containsKey(id)) {
                    continue;
                }
                items.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(item);
                // the initial value, as a sampling server would send it
                DataValue current = nodes.get(index.get(id)).getValue();
                TimestampsToReturn ttr = item.getTimestampsToReturn();
                item.setValue(ttr == null ? current : DataValue.derivedValue(current, ttr));
            }
        }

        @Override
        public void onDataItemsModified(List<DataItem> dataItems) {
            // nothing sampled: a new sampling interval changes nothing here
        }

        @Override
        public void onDataItemsDeleted(List<DataItem> dataItems) {
            for (DataItem item : dataItems) {
                Set<DataItem> set = items.get(item.getReadValueId().getNodeId());
                if (set != null) {
                    set.remove(item);
                }
            }
        }

        @Override
        public void onMonitoringModeChanged(List<MonitoredItem> monitoredItems) {
            // checked at each push
        }
    }
}

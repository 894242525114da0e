package io.edgegateway.testbed.opcua;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.server.EndpointConfig;
import org.eclipse.milo.opcua.sdk.server.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.OpcUaServerConfig;
import org.eclipse.milo.opcua.sdk.server.identity.AnonymousIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.CompositeValidator;
import org.eclipse.milo.opcua.sdk.server.identity.IdentityValidator;
import org.eclipse.milo.opcua.sdk.server.identity.UsernameIdentityValidator;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.model.variables.AnalogItemType;
import org.eclipse.milo.opcua.sdk.server.nodes.UaFolderNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.util.SubscriptionModel;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.Stack;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.MemoryCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.UserTokenType;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.UserTokenPolicy;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransport;
import org.eclipse.milo.opcua.stack.transport.server.tcp.OpcTcpServerTransportConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.testbed.simulator.FaultSpec;
import io.edgegateway.testbed.simulator.PlantSimulator;
import io.edgegateway.testbed.simulator.SignalDef;
import io.edgegateway.testbed.simulator.SimSample;

/**
 * The simulated plant served over OPC UA (Eclipse Milo 1.1): every signal of {@link PlantSimulator} is a Double
 * variable {@code Objects/Plant/<asset>/<signal>} (NodeId {@code ns=<plant>;s=Plant/<asset>/<signal>}) with an
 * {@code EngineeringUnits} property, updated at the simulator's sample rate. Identities: anonymous, and a
 * user name / password when one is given. Security: None.
 *
 * <p>Usable from tests: {@link #start()}, {@link #stop()} and {@link #start()} again serve on the same port (a server
 * restart as a client sees it: new sessions, no subscriptions); the simulator keeps its state across restarts.
 * {@link #close()} stops it and releases Milo's shared resources.
 */
public final class PlantOpcUaServer implements AutoCloseable {

    /** The namespace of the plant's nodes. */
    public static final String NAMESPACE_URI = "urn:edgegateway:testbed:plant";
    /** The endpoint path: {@code opc.tcp://host:port/plant}. */
    public static final String PATH = "/plant";

    private static final Logger LOG = LoggerFactory.getLogger(PlantOpcUaServer.class);

    private final int port;
    private final String hostname;
    private final String username;
    private final String password;
    private final PlantSimulator simulator;
    private final long periodMicros;

    private final Object lock = new Object();
    private OpcUaServer server;
    private PlantNamespace namespace;
    private ScheduledExecutorService ticker;
    private volatile Map<String, UaVariableNode> variables = Map.of();

    /**
     * @param port      TCP port (0 is not allowed: restarts must find the server on the same port)
     * @param hostname  the host name the server advertises in its endpoint URLs
     * @param username  user name accepted besides anonymous, or null
     * @param password  its password
     * @param simulator the plant
     */
    public PlantOpcUaServer(int port, String hostname, String username, String password, PlantSimulator simulator) {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        this.port = port;
        this.hostname = Objects.requireNonNull(hostname, "hostname");
        this.username = username;
        this.password = password;
        this.simulator = Objects.requireNonNull(simulator, "simulator");
        this.periodMicros = Math.max(1000, Math.round(1_000_000 / simulator.sampleRateHz()));
    }

    /** A server on {@code port} for the default plant (seed 42, no faults unless given). */
    public static PlantOpcUaServer of(int port, double rateHz, List<FaultSpec> faults) {
        return new PlantOpcUaServer(port, "localhost", null, null,
                new PlantSimulator(42, rateHz, faults, PlantSimulator.DEFAULT_ASSETS));
    }

    public int port() {
        return port;
    }

    /** {@code opc.tcp://<hostname>:<port>/plant}. */
    public String endpointUrl() {
        return "opc.tcp://" + hostname + ":" + port + PATH;
    }

    public PlantSimulator simulator() {
        return simulator;
    }

    /** Number of variables served (assets x signals). */
    public int variableCount() {
        int n = 0;
        for (String asset : simulator.assets()) {
            n += simulator.signals(asset).size();
        }
        return n;
    }

    /** Monitored items the server currently holds (all sessions). */
    public long monitoredItemCount() {
        OpcUaServer s = server;
        return s == null ? 0 : s.getMonitoredItemCount().get();
    }

    public boolean isRunning() {
        synchronized (lock) {
            return server != null;
        }
    }

    /** Starts serving; waits until the port is bound. */
    public PlantOpcUaServer start() throws Exception {
        synchronized (lock) {
            if (server != null) {
                return this;
            }
            List<EndpointConfig> endpoints = new ArrayList<>();
            EndpointConfig.Builder builder = EndpointConfig.newBuilder()
                    .setBindAddress("0.0.0.0")
                    .setHostname(hostname)
                    .setBindPort(port)
                    .setPath(PATH)
                    .setSecurityPolicy(SecurityPolicy.None)
                    .setSecurityMode(MessageSecurityMode.None)
                    .addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS);
            if (username != null) {
                // no server certificate yet, so the password cannot be encrypted: a test plant only, on a trusted net
                builder.addTokenPolicy(new UserTokenPolicy("username-plaintext", UserTokenType.UserName, null, null,
                        SecurityPolicy.None.getUri()));
            }
            endpoints.add(builder.build());

            List<IdentityValidator> validators = new ArrayList<>();
            validators.add(AnonymousIdentityValidator.INSTANCE);
            if (username != null) {
                validators.add(new UsernameIdentityValidator(challenge -> username.equals(challenge.getUsername())
                        && Objects.equals(password, challenge.getPassword())));
            }
            OpcUaServerConfig config = OpcUaServerConfig.builder()
                    .setApplicationUri("urn:edgegateway:testbed:plant-server")
                    .setApplicationName(LocalizedText.english("Edge Gateway testbed plant"))
                    .setProductUri("urn:edgegateway:testbed")
                    .setCertificateManager(new DefaultCertificateManager(new MemoryCertificateQuarantine()))
                    .setIdentityValidator(new CompositeValidator(validators))
                    .setEndpoints(Set.copyOf(endpoints))
                    .build();
            OpcUaServer s = new OpcUaServer(config,
                    profile -> new OpcTcpServerTransport(OpcTcpServerTransportConfig.newBuilder().build()));
            PlantNamespace ns = new PlantNamespace(s);
            ns.startup();
            try {
                s.startup().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                try {
                    s.shutdown().get(10, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // failed start
                }
                throw e;
            }
            server = s;
            namespace = ns;
            variables = ns.variables;
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "opcua-plant-ticker");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::tick, 0, periodMicros, TimeUnit.MICROSECONDS);
            LOG.info("OPC UA plant server listening on {} ({} variables, {} Hz)", endpointUrl(), variableCount(),
                    simulator.sampleRateHz());
            return this;
        }
    }

    /** Stops serving (sessions and subscriptions are gone, as after a real server restart). */
    public void stop() throws Exception {
        synchronized (lock) {
            if (server == null) {
                return;
            }
            ticker.shutdownNow();
            ticker.awaitTermination(5, TimeUnit.SECONDS);
            ticker = null;
            variables = Map.of();
            try {
                namespace.shutdown();
                server.shutdown().get(30, TimeUnit.SECONDS);
            } finally {
                server = null;
                namespace = null;
            }
            LOG.info("OPC UA plant server on port {} stopped", port);
        }
    }

    /** Stops and releases Milo's shared resources (threads, event loops). */
    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            Stack.releaseSharedResources();
        }
    }

    private void tick() {
        try {
            List<SimSample> samples;
            synchronized (simulator) {
                samples = simulator.tick(Instant.now());
            }
            Map<String, UaVariableNode> vars = variables;
            for (SimSample s : samples) {
                UaVariableNode node = vars.get(s.asset() + "/" + s.signal());
                if (node != null) {
                    DateTime time = new DateTime(s.time());
                    node.setValue(new DataValue(new Variant(s.value()), StatusCode.GOOD, time, DateTime.now()));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("OPC UA plant server: tick failed", e);
        }
    }

    /** Objects/Plant/<asset>/<signal>. */
    private final class PlantNamespace extends ManagedNamespaceWithLifecycle {

        private final SubscriptionModel subscriptionModel;
        final Map<String, UaVariableNode> variables = new HashMap<>();

        PlantNamespace(OpcUaServer server) {
            super(server, NAMESPACE_URI);
            subscriptionModel = new SubscriptionModel(server, this);
            getLifecycleManager().addLifecycle(subscriptionModel);
            createNodes();
        }

        private void createNodes() {
            UaFolderNode plant = new UaFolderNode(getNodeContext(), newNodeId("Plant"), newQualifiedName("Plant"),
                    LocalizedText.english("Plant"));
            getNodeManager().addNode(plant);
            plant.addReference(new Reference(plant.getNodeId(), NodeIds.Organizes,
                    NodeIds.ObjectsFolder.expanded(), Reference.Direction.INVERSE));
            for (String asset : simulator.assets()) {
                UaFolderNode folder = new UaFolderNode(getNodeContext(), newNodeId("Plant/" + asset),
                        newQualifiedName(asset), LocalizedText.english(asset));
                getNodeManager().addNode(folder);
                plant.addOrganizes(folder);
                for (SignalDef signal : simulator.signals(asset)) {
                    String id = "Plant/" + asset + "/" + signal.name();
                    UaVariableNode node = new UaVariableNode.UaVariableNodeBuilder(getNodeContext())
                            .setNodeId(newNodeId(id))
                            .setBrowseName(newQualifiedName(signal.name()))
                            .setDisplayName(LocalizedText.english(signal.name()))
                            .setDataType(NodeIds.Double)
                            .setTypeDefinition(NodeIds.AnalogItemType)
                            .setAccessLevel(AccessLevel.READ_ONLY)
                            .setUserAccessLevel(AccessLevel.READ_ONLY)
                            .setMinimumSamplingInterval(0.0)
                            .setValue(new DataValue(StatusCode.UNCERTAIN))
                            .build();
                    getNodeManager().addNode(node);
                    node.setProperty(AnalogItemType.ENGINEERING_UNITS, new EUInformation(
                            "http://www.opcfoundation.org/UA/units/un/cefact", -1,
                            LocalizedText.english(signal.unit()), LocalizedText.english(signal.unit())));
                    folder.addOrganizes(node);
                    variables.put(asset + "/" + signal.name(), node);
                }
            }
        }

        @Override
        public void onDataItemsCreated(List<DataItem> dataItems) {
            subscriptionModel.onDataItemsCreated(dataItems);
        }

        @Override
        public void onDataItemsModified(List<DataItem> dataItems) {
            subscriptionModel.onDataItemsModified(dataItems);
        }

        @Override
        public void onDataItemsDeleted(List<DataItem> dataItems) {
            subscriptionModel.onDataItemsDeleted(dataItems);
        }

        @Override
        public void onMonitoringModeChanged(List<MonitoredItem> monitoredItems) {
            subscriptionModel.onMonitoringModeChanged(monitoredItems);
        }
    }
}

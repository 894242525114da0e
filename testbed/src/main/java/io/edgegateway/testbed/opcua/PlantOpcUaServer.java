package io.edgegateway.testbed.opcua;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ubyte;
import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.ushort;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.Period;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

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
import org.eclipse.milo.opcua.sdk.server.identity.X509IdentityValidator;
import org.eclipse.milo.opcua.sdk.server.items.DataItem;
import org.eclipse.milo.opcua.sdk.server.items.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.model.objects.BaseEventTypeNode;
import org.eclipse.milo.opcua.sdk.server.model.objects.GeneralModelChangeEventTypeNode;
import org.eclipse.milo.opcua.sdk.server.model.variables.AnalogItemType;
import org.eclipse.milo.opcua.sdk.server.nodes.UaFolderNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.util.SubscriptionModel;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.Stack;
import org.eclipse.milo.opcua.stack.core.security.CertificateManager;
import org.eclipse.milo.opcua.stack.core.security.CertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.CertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.DefaultApplicationGroup;
import org.eclipse.milo.opcua.stack.core.security.DefaultCertificateManager;
import org.eclipse.milo.opcua.stack.core.security.DefaultServerCertificateValidator;
import org.eclipse.milo.opcua.stack.core.security.FileBasedCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.FileBasedTrustListManager;
import org.eclipse.milo.opcua.stack.core.security.KeyStoreCertificateStore;
import org.eclipse.milo.opcua.stack.core.security.MemoryCertificateQuarantine;
import org.eclipse.milo.opcua.stack.core.security.RsaSha256CertificateFactory;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.ByteString;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.UserTokenType;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.ModelChangeStructureDataType;
import org.eclipse.milo.opcua.stack.core.types.structured.Range;
import org.eclipse.milo.opcua.stack.core.types.structured.UserTokenPolicy;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.validation.CertificateValidationUtil;
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
 * {@code EngineeringUnits} and {@code EURange} property, updated at the simulator's sample rate. Identities:
 * anonymous, a user name / password when one is given, and X.509 user certificates found in a folder when
 * {@link Security#userCertificates()} is set. Security: None and, with {@link Security}, Basic256Sha256 Sign and
 * SignAndEncrypt, with the server's own certificate and trust list in a PKI folder (Milo's layout: {@code own/},
 * {@code trusted/certs/}, {@code issuer/}, {@code rejected/certs/}); client certificates are trusted automatically
 * or only when found in {@code trusted/certs/}.
 *
 * <p>Usable from tests: {@link #start()}, {@link #stop()} and {@link #start()} again serve on the same port (a server
 * restart as a client sees it: new sessions, no subscriptions); the simulator keeps its state across restarts.
 * {@link #close()} stops it and releases Milo's shared resources.
 *
 * <p>The address space can change while clients stay connected: {@link #addAsset(String)} adds an asset's folder and
 * variables (a new asset gets a simulator of its own), {@link #removeAsset(String)} deletes them; each change fires
 * one {@code GeneralModelChangeEventType} event from the Server object (whose EventNotifier is SubscribeToEvents),
 * with the asset folder (NodeAdded/NodeDeleted) and the Plant folder (ReferenceAdded/ReferenceDeleted) in its
 * {@code Changes}. The assets served survive a restart.
 */
public final class PlantOpcUaServer implements AutoCloseable {

    /** The namespace of the plant's nodes. */
    public static final String NAMESPACE_URI = "urn:edgegateway:testbed:plant";
    /** The endpoint path: {@code opc.tcp://host:port/plant}. */
    public static final String PATH = "/plant";

    private static final Logger LOG = LoggerFactory.getLogger(PlantOpcUaServer.class);
    private static final String APPLICATION_URI = "urn:edgegateway:testbed:plant-server";
    private static final char[] KEYSTORE_PASSWORD = "testbed".toCharArray();

    /**
     * Message security besides None.
     *
     * @param allowNone        also offer the None endpoint (discovery and unsecured clients)
     * @param sign             offer Basic256Sha256 Sign
     * @param signAndEncrypt   offer Basic256Sha256 SignAndEncrypt
     * @param pkiDir           the server's certificate folders (created, with a self-signed certificate, if absent)
     * @param trustAllClients  true: any client certificate is accepted; false: only those in {@code trusted/certs}
     *                         (others are put in {@code rejected/certs})
     * @param userCertificates folder of X.509 user certificates accepted as identities (DER or PEM); null: none
     */
    public record Security(boolean allowNone, boolean sign, boolean signAndEncrypt, Path pkiDir,
                           boolean trustAllClients, Path userCertificates) {

        /** Security None only, as before. */
        public static final Security NONE = new Security(true, false, false, null, true, null);

        public boolean secure() {
            return sign || signAndEncrypt;
        }
    }

    private final int port;
    private final String hostname;
    private final String username;
    private final String password;
    private final PlantSimulator simulator;
    private final long periodMicros;
    private final Security security;
    private volatile X509Certificate certificate;
    private FileBasedTrustListManager trustList;

    private final Object lock = new Object();
    private OpcUaServer server;
    private PlantNamespace namespace;
    private ScheduledExecutorService ticker;
    private volatile Map<String, UaVariableNode> variables = Map.of();
    /** Assets of {@link #simulator} not served (removed at runtime); guarded by {@link #lock}. */
    private final Set<String> removedAssets = new LinkedHashSet<>();
    /** Assets added at runtime, each with a simulator of its own; guarded by {@link #lock}. */
    private final Map<String, PlantSimulator> addedAssets = new LinkedHashMap<>();
    /** The added assets' simulators, ticked with the plant's (copy on write, read by the ticker). */
    private volatile List<PlantSimulator> extraSimulators = List.of();
    private final AtomicLong modelChangeEvents = new AtomicLong();
    private volatile Consumer<List<SimSample>> sampleListener;

    /**
     * @param port      TCP port (0 is not allowed: restarts must find the server on the same port)
     * @param hostname  the host name the server advertises in its endpoint URLs
     * @param username  user name accepted besides anonymous, or null
     * @param password  its password
     * @param simulator the plant
     */
    public PlantOpcUaServer(int port, String hostname, String username, String password, PlantSimulator simulator) {
        this(port, hostname, username, password, simulator, Security.NONE);
    }

    /** As above, with message security, PKI and X.509 user identities as {@code security} says. */
    public PlantOpcUaServer(int port, String hostname, String username, String password, PlantSimulator simulator,
                            Security security) {
        this.security = Objects.requireNonNull(security, "security");
        if (security.secure() && security.pkiDir() == null) {
            throw new IllegalArgumentException("Basic256Sha256 needs a PKI folder");
        }
        if (!security.secure() && !security.allowNone()) {
            throw new IllegalArgumentException("no endpoint: allow None or Sign/SignAndEncrypt");
        }
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

    /** The server's application instance certificate; null while security is None only or before the start. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The server's certificate file ({@code <pki>/own/cert.der}, written at start); null without a PKI. */
    public Path certificateFile() {
        return security.pkiDir() == null ? null : security.pkiDir().resolve("own").resolve("cert.der");
    }

    /** Where client certificates must be put to be trusted (with {@code trustAllClients} false). */
    public Path trustedClientsDir() {
        return security.pkiDir() == null ? null : security.pkiDir().resolve("trusted").resolve("certs");
    }

    /** Number of variables served (assets x signals). */
    public int variableCount() {
        int n = 0;
        synchronized (lock) {
            for (String asset : servedAssets()) {
                n += signalsOf(asset).size();
            }
        }
        return n;
    }

    /** The assets served now: the simulator's, less those removed, then those added at runtime. */
    public List<String> servedAssets() {
        synchronized (lock) {
            List<String> assets = new ArrayList<>();
            for (String a : simulator.assets()) {
                if (!removedAssets.contains(a)) {
                    assets.add(a);
                }
            }
            assets.addAll(addedAssets.keySet());
            return assets;
        }
    }

    /** The signals of a served asset. */
    public List<SignalDef> signalsOf(String asset) {
        synchronized (lock) {
            PlantSimulator added = addedAssets.get(asset);
            return added != null ? added.signals(asset) : simulator.signals(asset);
        }
    }

    /**
     * Called on the ticker thread with each tick's samples of the assets served (dropout samples flagged), once
     * their nodes have them: a second publisher (MQTT, see {@link ServedSamples}) serves the same plant.
     */
    public void onSamples(Consumer<List<SimSample>> listener) {
        this.sampleListener = listener;
    }

    /** Microseconds between ticks. */
    public long periodMicros() {
        return periodMicros;
    }

    /** GeneralModelChangeEvents fired so far (one per {@link #addAsset} / {@link #removeAsset}). */
    public long modelChangeEvents() {
        return modelChangeEvents.get();
    }

    /**
     * Serves another asset under Objects/Plant while running (or from the next start): one of the simulator's that
     * was removed, or a new one ({@code pump-*}, {@code motor-*}, {@code compressor-*}, {@code conveyor-*}) with a
     * simulator of its own at the plant's rate; fires a GeneralModelChangeEvent when running.
     *
     * @return the number of variables added
     * @throws IllegalArgumentException when the asset is served already or its id names no asset kind
     */
    public int addAsset(String asset) {
        String id = Objects.requireNonNull(asset, "asset").strip();
        synchronized (lock) {
            if (servedAssets().contains(id)) {
                throw new IllegalArgumentException("asset '" + id + "' is served already (assets: " + servedAssets()
                        + ")");
            }
            if (simulator.assets().contains(id)) {
                removedAssets.remove(id);
            } else {
                PlantSimulator own = new PlantSimulator(id.hashCode(), simulator.sampleRateHz(), List.of(),
                        List.of(id));
                addedAssets.put(id, own);
                extraSimulators = List.copyOf(addedAssets.values());
            }
            List<SignalDef> signals = signalsOf(id);
            if (namespace != null) {
                NodeId folder = namespace.addAsset(id, signals);
                variables = Map.copyOf(namespace.variables);
                fireModelChange(folder, true);
            }
            LOG.info("OPC UA plant server: asset {} added ({} variables)", id, signals.size());
            return signals.size();
        }
    }

    /**
     * Stops serving an asset while running (or from the next start): its folder and variables are deleted; fires a
     * GeneralModelChangeEvent when running.
     *
     * @return the number of variables removed
     * @throws IllegalArgumentException when the asset is not served
     */
    public int removeAsset(String asset) {
        String id = Objects.requireNonNull(asset, "asset").strip();
        synchronized (lock) {
            if (!servedAssets().contains(id)) {
                throw new IllegalArgumentException("asset '" + id + "' is not served (assets: " + servedAssets() + ")");
            }
            int n = signalsOf(id).size();
            if (addedAssets.remove(id) != null) {
                extraSimulators = List.copyOf(addedAssets.values());
            } else {
                removedAssets.add(id);
            }
            if (namespace != null) {
                NodeId folder = namespace.removeAsset(id);
                variables = Map.copyOf(namespace.variables);
                fireModelChange(folder, false);
            }
            LOG.info("OPC UA plant server: asset {} removed ({} variables)", id, n);
            return n;
        }
    }

    /** Verbs of ModelChangeStructureDataType (OPC UA Part 3, 9.32.4). */
    private static final int NODE_ADDED = 1;
    private static final int NODE_DELETED = 2;
    private static final int REFERENCE_ADDED = 4;
    private static final int REFERENCE_DELETED = 8;

    /** Under {@link #lock}, running: one GeneralModelChangeEvent from the Server object for an asset folder. */
    private void fireModelChange(NodeId assetFolder, boolean added) {
        try {
            BaseEventTypeNode event = server.getEventFactory().createEvent(namespace.eventNodeId(),
                    NodeIds.GeneralModelChangeEventType);
            try {
                event.setEventId(ByteString.of(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)));
                event.setEventType(NodeIds.GeneralModelChangeEventType);
                event.setSourceNode(NodeIds.Server);
                event.setSourceName("Server");
                event.setTime(DateTime.now());
                event.setReceiveTime(DateTime.now());
                event.setMessage(LocalizedText.english("asset " + assetFolder.getIdentifier() + (added ? " added"
                        : " removed")));
                event.setSeverity(ushort(100));
                if (event instanceof GeneralModelChangeEventTypeNode change) {
                    change.setChanges(new ModelChangeStructureDataType[] {
                            new ModelChangeStructureDataType(assetFolder, NodeIds.FolderType,
                                    ubyte(added ? NODE_ADDED | REFERENCE_ADDED : NODE_DELETED | REFERENCE_DELETED)),
                            new ModelChangeStructureDataType(namespace.plantFolder(), NodeIds.FolderType,
                                    ubyte(added ? REFERENCE_ADDED : REFERENCE_DELETED))});
                }
                server.getEventNotifier().fire(event);
                modelChangeEvents.incrementAndGet();
            } finally {
                event.delete();
            }
        } catch (Exception e) {
            LOG.warn("OPC UA plant server: cannot fire the model change event for {}: {}", assetFolder, e.toString());
        }
    }

    /** Monitored items the server currently holds (all sessions). */
    public long monitoredItemCount() {
        OpcUaServer s = server;
        return s == null ? 0 : s.getMonitoredItemCount().get();
    }

    /** One data monitored item as the server revised it: what a client's queue size and sampling interval became. */
    public record ServerItem(String nodeId, int queueSize, double samplingIntervalMs) {
    }

    /** The data monitored items (event items left out) the server holds now, all sessions and subscriptions. */
    public List<ServerItem> dataItems() {
        OpcUaServer s = server;
        if (s == null) {
            return List.of();
        }
        List<ServerItem> out = new ArrayList<>();
        for (var subscription : s.getSubscriptions().values()) {
            for (var item : subscription.getMonitoredItems().values()) {
                if (item instanceof org.eclipse.milo.opcua.sdk.server.items.MonitoredDataItem) {
                    out.add(new ServerItem(item.getReadValueId().getNodeId().toParseableString(), item.getQueueSize(),
                            item.getSamplingInterval()));
                }
            }
        }
        return out;
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
            CertificateManager certificates;
            if (security.secure()) {
                certificates = securePki();
            } else {
                certificates = new DefaultCertificateManager(new MemoryCertificateQuarantine());
            }
            Set<EndpointConfig> endpoints = new LinkedHashSet<>();
            EndpointConfig.Builder base = EndpointConfig.newBuilder()
                    .setBindAddress("0.0.0.0")
                    .setHostname(hostname)
                    .setBindPort(port)
                    .setPath(PATH);
            if (security.allowNone()) {
                EndpointConfig.Builder builder = base.copy()
                        .setSecurityPolicy(SecurityPolicy.None)
                        .setSecurityMode(MessageSecurityMode.None)
                        .addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS);
                if (username != null) {
                    // the password travels in plain text here: a test plant only, on a trusted net
                    builder.addTokenPolicy(new UserTokenPolicy("username-plaintext", UserTokenType.UserName, null,
                            null, SecurityPolicy.None.getUri()));
                }
                endpoints.add(builder.build());
            }
            for (MessageSecurityMode mode : secureModes()) {
                EndpointConfig.Builder builder = base.copy()
                        .setCertificate(certificate)
                        .setSecurityPolicy(SecurityPolicy.Basic256Sha256)
                        .setSecurityMode(mode)
                        .addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_ANONYMOUS);
                if (username != null) {
                    builder.addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_USERNAME);
                }
                if (security.userCertificates() != null) {
                    builder.addTokenPolicy(OpcUaServerConfig.USER_TOKEN_POLICY_X509);
                }
                endpoints.add(builder.build());
            }

            List<IdentityValidator> validators = new ArrayList<>();
            validators.add(AnonymousIdentityValidator.INSTANCE);
            if (username != null) {
                validators.add(new UsernameIdentityValidator(challenge -> username.equals(challenge.getUsername())
                        && Objects.equals(password, challenge.getPassword())));
            }
            if (security.userCertificates() != null) {
                validators.add(new X509IdentityValidator(this::isTrustedUser));
            }
            OpcUaServerConfig config = OpcUaServerConfig.builder()
                    .setApplicationUri(APPLICATION_URI)
                    .setApplicationName(LocalizedText.english("Edge Gateway testbed plant"))
                    .setProductUri("urn:edgegateway:testbed")
                    .setCertificateManager(certificates)
                    .setIdentityValidator(new CompositeValidator(validators))
                    .setEndpoints(endpoints)
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
                closeTrustList();
                throw e;
            }
            // model change events come from the Server object: clients subscribe to its EventNotifier
            s.getAddressSpaceManager().getManagedNode(NodeIds.Server)
                    .filter(UaObjectNode.class::isInstance).map(UaObjectNode.class::cast)
                    .ifPresent(n -> n.setEventNotifier(ubyte(1)));
            server = s;
            namespace = ns;
            variables = Map.copyOf(ns.variables);
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "opcua-plant-ticker");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::tick, 0, periodMicros, TimeUnit.MICROSECONDS);
            LOG.info("OPC UA plant server listening on {} ({} variables, {} Hz, security {}{})", endpointUrl(),
                    variableCount(), simulator.sampleRateHz(), securityText(),
                    security.pkiDir() == null ? "" : ", PKI " + security.pkiDir());
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
                closeTrustList();
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

    /** What the server offers, e.g. {@code None, Basic256Sha256/Sign, Basic256Sha256/SignAndEncrypt}. */
    public String securityText() {
        List<String> parts = new ArrayList<>();
        if (security.allowNone()) {
            parts.add("None");
        }
        for (MessageSecurityMode m : secureModes()) {
            parts.add("Basic256Sha256/" + m);
        }
        if (security.secure()) {
            parts.add(security.trustAllClients() ? "any client certificate trusted"
                    : "client certificates trusted from " + trustedClientsDir());
        }
        if (security.userCertificates() != null) {
            parts.add("X.509 users from " + security.userCertificates());
        }
        return String.join(", ", parts);
    }

    private List<MessageSecurityMode> secureModes() {
        List<MessageSecurityMode> modes = new ArrayList<>();
        if (security.sign()) {
            modes.add(MessageSecurityMode.Sign);
        }
        if (security.signAndEncrypt()) {
            modes.add(MessageSecurityMode.SignAndEncrypt);
        }
        return modes;
    }

    /** The server's key store, trust list and quarantine below the PKI folder; a certificate on first use. */
    private CertificateManager securePki() throws Exception {
        Path pki = security.pkiDir();
        Files.createDirectories(pki.resolve("own"));
        trustList = FileBasedTrustListManager.createAndInitialize(pki);
        CertificateQuarantine quarantine = FileBasedCertificateQuarantine.create(pki.resolve("rejected")
                .resolve("certs"));
        KeyStoreCertificateStore store = KeyStoreCertificateStore.createAndInitialize(
                new KeyStoreCertificateStore.Settings(pki.resolve("own").resolve("server.pfx"),
                        () -> KEYSTORE_PASSWORD, alias -> KEYSTORE_PASSWORD));
        RsaSha256CertificateFactory factory = new RsaSha256CertificateFactory() {
            @Override
            protected X509Certificate[] createRsaSha256CertificateChain(KeyPair keyPair) throws Exception {
                SelfSignedCertificateBuilder builder = new SelfSignedCertificateBuilder(keyPair)
                        .setCommonName("Edge Gateway testbed plant server")
                        .setOrganization("Edge Gateway testbed")
                        .setApplicationUri(APPLICATION_URI)
                        .setValidityPeriod(Period.ofYears(5))
                        .addDnsName(hostname)
                        .addIpAddress("127.0.0.1");
                if (!hostname.equals("localhost")) {
                    builder.addDnsName("localhost");
                }
                return new X509Certificate[] {builder.build()};
            }
        };
        CertificateValidator clients = security.trustAllClients()
                ? (chain, applicationUri, hostNames) -> CertificateValidationUtil.checkValidity(chain.get(0), true)
                : new DefaultServerCertificateValidator(trustList, quarantine);
        DefaultApplicationGroup group = DefaultApplicationGroup.createAndInitialize(trustList, store, factory,
                clients);
        X509Certificate cert = group.getCertificateChain(NodeIds.RsaSha256ApplicationCertificateType)
                .orElseThrow(() -> new IllegalStateException("no server certificate in " + pki))[0];
        Files.write(certificateFile(), cert.getEncoded());
        certificate = cert;
        return new DefaultCertificateManager(quarantine, group);
    }

    private void closeTrustList() {
        if (trustList != null) {
            try {
                trustList.close();
            } catch (IOException e) {
                LOG.debug("closing the trust list: {}", e.toString());
            }
            trustList = null;
        }
    }

    /** An X.509 user identity is accepted when its certificate is one of the files in the user folder. */
    private boolean isTrustedUser(X509Certificate user) {
        Path dir = security.userCertificates();
        boolean trusted = false;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trusted |= c.equals(user);
                    }
                } catch (Exception e) {
                    LOG.debug("skipping {}: {}", f, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read the X.509 user folder {}: {}", dir, e.toString());
        }
        if (!trusted) {
            LOG.warn("OPC UA plant server: X.509 user '{}' rejected: its certificate is not in {}",
                    user.getSubjectX500Principal().getName(), dir);
        }
        return trusted;
    }

    private static final StatusCode NO_COMMUNICATION =
            new StatusCode(org.eclipse.milo.opcua.stack.core.StatusCodes.Bad_NoCommunication);

    private void tick() {
        try {
            Instant now = Instant.now();
            List<SimSample> samples;
            synchronized (simulator) {
                samples = new ArrayList<>(simulator.tick(now));
            }
            for (PlantSimulator extra : extraSimulators) {
                samples.addAll(extra.tick(now));
            }
            Map<String, UaVariableNode> vars = variables;
            List<SimSample> served = new ArrayList<>(samples.size());
            for (SimSample s : samples) {
                UaVariableNode node = vars.get(s.asset() + "/" + s.signal());
                if (node != null) {
                    served.add(s);
                    DateTime time = new DateTime(s.time());
                    // a dropout fault: the node's status goes Bad (no value) for the fault's duration
                    node.setValue(s.dropout() ? new DataValue(Variant.NULL_VALUE, NO_COMMUNICATION, time, DateTime.now())
                            : new DataValue(new Variant(s.value()), StatusCode.GOOD, time, DateTime.now()));
                }
            }
            Consumer<List<SimSample>> listener = sampleListener;
            if (listener != null) {
                listener.accept(served);
            }
        } catch (RuntimeException e) {
            LOG.warn("OPC UA plant server: tick failed", e);
        }
    }

    /** Objects/Plant/<asset>/<signal>. */
    private final class PlantNamespace extends ManagedNamespaceWithLifecycle {

        private final SubscriptionModel subscriptionModel;
        final Map<String, UaVariableNode> variables = new HashMap<>();
        private final Map<String, UaFolderNode> folders = new HashMap<>();
        private UaFolderNode plant;

        PlantNamespace(OpcUaServer server) {
            super(server, NAMESPACE_URI);
            subscriptionModel = new SubscriptionModel(server, this);
            getLifecycleManager().addLifecycle(subscriptionModel);
            createNodes();
        }

        private void createNodes() {
            plant = new UaFolderNode(getNodeContext(), newNodeId("Plant"), newQualifiedName("Plant"),
                    LocalizedText.english("Plant"));
            getNodeManager().addNode(plant);
            plant.addReference(new Reference(plant.getNodeId(), NodeIds.Organizes,
                    NodeIds.ObjectsFolder.expanded(), Reference.Direction.INVERSE));
            for (String asset : servedAssets()) {
                addAsset(asset, signalsOf(asset));
            }
        }

        NodeId plantFolder() {
            return plant.getNodeId();
        }

        NodeId eventNodeId() {
            return newNodeId(UUID.randomUUID());
        }

        /** The asset's folder and variables; returns the folder's NodeId. */
        NodeId addAsset(String asset, List<SignalDef> signals) {
            UaFolderNode folder = new UaFolderNode(getNodeContext(), newNodeId("Plant/" + asset),
                    newQualifiedName(asset), LocalizedText.english(asset));
            getNodeManager().addNode(folder);
            plant.addOrganizes(folder);
            folders.put(asset, folder);
            for (SignalDef signal : signals) {
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
                // a nominal span of 1000 noise sigmas: percent deadbands are then relative to the noise
                node.setProperty(AnalogItemType.EU_RANGE, new Range(0.0, Math.max(1e-6, 1000 * signal.noiseSigma())));
                node.setProperty(AnalogItemType.ENGINEERING_UNITS, new EUInformation(
                        "http://www.opcfoundation.org/UA/units/un/cefact", -1,
                        LocalizedText.english(signal.unit()), LocalizedText.english(signal.unit())));
                folder.addOrganizes(node);
                variables.put(asset + "/" + signal.name(), node);
            }
            return folder.getNodeId();
        }

        /** Deletes the asset's variables (with their properties) and folder; returns the folder's NodeId. */
        NodeId removeAsset(String asset) {
            variables.entrySet().removeIf(e -> {
                if (!e.getKey().startsWith(asset + "/")) {
                    return false;
                }
                e.getValue().delete();
                return true;
            });
            UaFolderNode folder = folders.remove(asset);
            folder.delete();
            return folder.getNodeId();
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

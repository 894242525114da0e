package io.edgegateway.connector.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.sdk.client.SessionActivityListener;
import org.eclipse.milo.opcua.sdk.client.UaSession;
import org.eclipse.milo.opcua.sdk.client.identity.AnonymousProvider;
import org.eclipse.milo.opcua.sdk.client.identity.IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.identity.UsernameProvider;
import org.eclipse.milo.opcua.sdk.client.identity.X509IdentityProvider;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaMonitoredItem;
import org.eclipse.milo.opcua.sdk.client.subscriptions.OpcUaSubscription;
import org.eclipse.milo.opcua.stack.core.AttributeId;
import org.eclipse.milo.opcua.stack.core.NodeIds;
import org.eclipse.milo.opcua.stack.core.Stack;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.builtin.ByteString;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.ExtensionObject;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.QualifiedName;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseDirection;
import org.eclipse.milo.opcua.stack.core.types.enumerated.BrowseResultMask;
import org.eclipse.milo.opcua.stack.core.types.enumerated.DeadbandType;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.types.enumerated.NodeClass;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseNextResponse;
import org.eclipse.milo.opcua.stack.core.types.structured.BrowseResult;
import org.eclipse.milo.opcua.stack.core.types.structured.EUInformation;
import org.eclipse.milo.opcua.stack.core.types.structured.EndpointDescription;
import org.eclipse.milo.opcua.stack.core.types.structured.ReadValueId;
import org.eclipse.milo.opcua.stack.core.types.structured.ReferenceDescription;
import org.eclipse.milo.opcua.stack.core.util.EndpointUtil;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Quality;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.SourceHealth;
import io.edgegateway.api.TelemetryIngest;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.api.TelemetrySource;

/**
 * Subscribes to variables of one OPC UA server (Eclipse Milo 1.1 client) and feeds their values into the pipeline.
 * One instance per factory configuration ({@code io.edgegateway.opcua.source-<alias>.cfg}).
 *
 * <p>Threads: Milo's delivery thread only converts a value and puts it in a bounded hand-off queue (never blocks);
 * the thread {@code opcua-source-<name>-ingest} offers samples to {@link TelemetryIngest} (which may wait under
 * backpressure); the scheduler {@code opcua-source-<name>} connects, browses and (re-)creates the subscription.
 * All stop in {@link #deactivate()}; the last source to stop releases Milo's shared resources.
 *
 * <p>Recovery: Milo reconnects the session by itself. After a server restart it tries to transfer the subscription,
 * which fails ({@code Bad_SubscriptionIdInvalid}) and is not recreated by Milo: {@code onTransferFailed}, a session
 * that becomes active again without a live subscription, or the subscription's watchdog schedule a re-browse and a new
 * subscription on the scheduler thread. A NodeId the server does not know is logged and left out; the others flow.
 *
 * <p>Address-space changes with the session up: a model change event from the Server object (an event monitored
 * item in the same subscription, see {@link ModelChanges}), a value whose status says its node is gone, or the
 * periodic {@code rebrowse.interval.s} re-browse the configured nodes on the scheduler thread; monitored items are
 * added for variables that now match and deleted for those that no longer exist, in the live subscription (no
 * reconnect, no second subscription, no duplicate items).
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.edgegateway.api.TelemetrySource\"",
        uses = TelemetrySource.class)
@Component(configurationPid = OpcUaTelemetrySource.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = OpcUaTelemetrySource.Config.class, factory = true)
public final class OpcUaTelemetrySource implements TelemetrySource {

    static final String PID = "io.edgegateway.opcua.source";

    @ObjectClassDefinition(name = "Edge Gateway OPC UA telemetry source",
            description = "Subscribes to variables of an OPC UA server and turns their values into samples.")
    public @interface Config {

        @AttributeDefinition(name = "Endpoint URL", description = "opc.tcp://host:port/path")
        String endpoint_url();

        @AttributeDefinition(name = "Rewrite endpoint host", description = "connect to the host and port of the "
                + "configured URL even when the server advertises another (often unresolvable) host name")
        boolean endpoint_host_rewrite() default true;

        @AttributeDefinition(name = "Security policy", options = {@Option(label = "None", value = "None"),
                @Option(label = "Basic256Sha256", value = "Basic256Sha256")})
        String security_policy() default "None";

        @AttributeDefinition(name = "Message security mode", required = false, description = "None, Sign or "
                + "SignAndEncrypt; empty: None for security policy None, SignAndEncrypt otherwise",
                options = {@Option(label = "None", value = "None"), @Option(label = "Sign", value = "Sign"),
                        @Option(label = "SignAndEncrypt", value = "SignAndEncrypt")})
        String security_mode() default "";

        @AttributeDefinition(name = "PKI folder", required = false, description = "own certificate (own/), trusted "
                + "server certificates (trusted/), rejected ones (rejected/); relative to the gateway home; "
                + "empty: ${gateway.home}/data/opcua/pki")
        String pki_dir() default "";

        @AttributeDefinition(name = "User name", required = false, description = "empty: anonymous")
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "User certificate", required = false, description = "X.509 user identity: "
                + "certificate file (PEM or DER), with user.key; relative to the gateway home")
        String user_certificate() default "";

        @AttributeDefinition(name = "User key", required = false, description = "the user certificate's private "
                + "key, unencrypted PEM (PRIVATE KEY or RSA PRIVATE KEY)")
        String user_key() default "";

        @AttributeDefinition(name = "User key store", required = false, description = "X.509 user identity from a "
                + "PKCS#12 (or .jks) key store instead of user.certificate/user.key")
        String user_keystore() default "";

        @AttributeDefinition(name = "User key store password", required = false, type = AttributeType.PASSWORD)
        String user_keystore_password() default "";

        @AttributeDefinition(name = "User key store alias", required = false, description = "empty: the first key")
        String user_keystore_alias() default "";

        @AttributeDefinition(name = "Deadband", required = false, description = "data-change filter per variable: "
                + "[<asset>/<signal>=]absolute:<value> or percent:<value> (of the EURange) or none, comma-separated, "
                + "first match wins; empty: every change is reported")
        String[] deadband() default {};

        @AttributeDefinition(name = "Nodes", description = "comma-separated NodeIds (ns=2;s=Plant/pump-1/flow) "
                + "and/or browse-path patterns from the Objects folder (Objects/Plant/*/*: browse names, * any); "
                + "asset = the parent's browse name, signal = the variable's")
        String[] nodes();

        @AttributeDefinition(name = "Sampling interval (ms)")
        double sampling_interval_ms() default 500;

        @AttributeDefinition(name = "Publishing interval (ms)", description = "0: the sampling interval")
        double publishing_interval_ms() default 0;

        @AttributeDefinition(name = "Queue size", description = "server-side queue per monitored item")
        int queue_size() default 10;

        @AttributeDefinition(name = "Hand-off queue", description = "samples buffered between Milo and the pipeline")
        int handoff_capacity() default 10000;

        @AttributeDefinition(name = "Reconnect delay (ms)", description = "first retry of a failed first connect; "
                + "doubles up to 30 s")
        long reconnect_min_ms() default 1000;

        @AttributeDefinition(name = "Re-browse interval (s)", description = "while connected, browse the configured "
                + "nodes again every N seconds: monitored items are added for variables that appeared and dropped for "
                + "those that are gone, without reconnecting (for servers that send no model change events); "
                + "0: only on model change events and after a reconnect")
        long rebrowse_interval_s() default 300;

        @AttributeDefinition(name = "Re-browse on model change events", description = "monitor the Server object's "
                + "events and re-browse at once when it reports a GeneralModelChangeEvent (or BaseModelChangeEvent)")
        boolean rebrowse_on_model_change() default true;

        @AttributeDefinition(name = "Source name", required = false,
                description = "the source id is opcua:<source name>; empty: the endpoint's host:port")
        String source_name() default "";
    }

    /** A validated configuration. */
    record Settings(String endpointUrl, boolean hostRewrite, String username, String password, List<NodeSpec> nodes,
                    double samplingMs, double publishingMs, int queueSize, int handoff, long reconnectMinMs,
                    String sourceName, SecurityPolicy policy, MessageSecurityMode mode, String pkiDir,
                    UserCertificate userCertificate, List<Deadband> deadbands, long rebrowseIntervalS,
                    boolean rebrowseOnModelChange) {
    }

    /** X.509 user identity: certificate and key files, or a key store (paths as configured). */
    record UserCertificate(String certificate, String key, String keystore, String keystorePassword,
                           String keystoreAlias) {

        String describe() {
            return keystore != null ? "key store " + keystore : "certificate " + certificate;
        }
    }

    /** A resolved variable. */
    record Target(NodeId nodeId, String asset, String signal, String unit) {
    }

    /** A variable monitored in the current subscription. */
    private record Live(Target target, OpcUaMonitoredItem item) {
    }

    /** What creating a batch of monitored items gave: accepted, refused by the server, not created at all. */
    private record Created(List<Live> accepted, int refused, int filtered, List<Target> notCreated) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OpcUaTelemetrySource.class);
    private static final AtomicInteger LIVE_CLIENTS = new AtomicInteger();
    private static final long RECONNECT_MAX_MS = 30_000;
    /** Model change events arriving within this time after the first cause one re-browse. */
    private static final long REBROWSE_COALESCE_MS = 200;

    @Reference
    private TelemetryIngest ingest;

    private Settings settings;
    private String sourceId;
    private String name;
    private ServiceRegistration<TelemetrySource> registration;
    private ScheduledExecutorService scheduler;
    private Thread dispatcher;
    private BlockingQueue<TelemetrySample> handoff;
    private volatile boolean closed;
    private volatile OpcUaClient client;
    private volatile OpcUaSubscription subscription;
    private volatile boolean subscriptionLost;
    private volatile boolean sessionActive;
    private volatile String detail = "starting";
    private volatile int monitored;
    private volatile Instant lastMessage;
    private final AtomicLong messages = new AtomicLong();
    private long reconnectDelayMs;
    private boolean counted;
    private Pki pki;
    private Path home;
    private String gatewayId;
    private Pki.Own own;
    private volatile String rejection;
    private volatile Integer subscriptionId;
    private volatile int refused;
    private volatile int deadbandItems;
    private final AtomicLong recreated = new AtomicLong();
    private final AtomicLong notificationsLost = new AtomicLong();
    private volatile Instant lastKeepAlive;
    private GapMarker gaps;
    /** The one pending re-subscription (scheduler thread only): a new failure never starts a second retry chain. */
    private ScheduledFuture<?> pendingSubscribe;
    /** Nodes per Browse / Read call, from the server's operation limits (scheduler thread only). */
    private int browseBatch = Batches.DEFAULT;
    private int readBatch = Batches.DEFAULT;
    /** The current subscription's data items by NodeId (scheduler thread only). */
    private final Map<NodeId, Live> live = new LinkedHashMap<>();
    /** NodeIds the server refused to monitor in the current subscription: a re-browse does not retry them. */
    private final Set<NodeId> refusedIds = new HashSet<>();
    /** Explicit NodeIds already reported missing (a re-browse does not warn about them again). */
    private final Set<NodeId> reportedMissing = new HashSet<>();
    /** "on", "off" or "refused (<status>)": whether the server's model change events reach this source. */
    private volatile String modelChangeEvents = "off";
    private final AtomicBoolean rebrowsePending = new AtomicBoolean();
    private final AtomicLong rebrowses = new AtomicLong();
    private final AtomicLong modelChangesReceived = new AtomicLong();
    private final AtomicLong itemsAdded = new AtomicLong();
    private final AtomicLong itemsRemoved = new AtomicLong();
    private volatile String lastRebrowse;

    static Settings validate(Config c) {
        String url = c.endpoint_url() == null ? "" : c.endpoint_url().strip();
        if (!url.startsWith("opc.tcp://")) {
            throw new IllegalArgumentException(PID + ": endpoint.url '" + url + "' is not an opc.tcp:// URL");
        }
        String policyName = c.security_policy() == null || c.security_policy().isBlank() ? "None"
                : c.security_policy().strip();
        SecurityPolicy policy;
        if (policyName.equalsIgnoreCase("None")) {
            policy = SecurityPolicy.None;
        } else if (policyName.equalsIgnoreCase("Basic256Sha256")) {
            policy = SecurityPolicy.Basic256Sha256;
        } else {
            throw new IllegalArgumentException(PID + ": security.policy '" + policyName + "' is not supported "
                    + "(None or Basic256Sha256)");
        }
        String modeName = c.security_mode() == null ? "" : c.security_mode().strip();
        MessageSecurityMode mode;
        if (modeName.isEmpty()) {
            mode = policy == SecurityPolicy.None ? MessageSecurityMode.None : MessageSecurityMode.SignAndEncrypt;
        } else if (modeName.equalsIgnoreCase("None")) {
            mode = MessageSecurityMode.None;
        } else if (modeName.equalsIgnoreCase("Sign")) {
            mode = MessageSecurityMode.Sign;
        } else if (modeName.equalsIgnoreCase("SignAndEncrypt")) {
            mode = MessageSecurityMode.SignAndEncrypt;
        } else {
            throw new IllegalArgumentException(PID + ": security.mode '" + modeName + "' is not one of None, Sign, "
                    + "SignAndEncrypt");
        }
        if ((policy == SecurityPolicy.None) != (mode == MessageSecurityMode.None)) {
            throw new IllegalArgumentException(PID + ": security.mode " + mode + " does not fit security.policy "
                    + policyName + " (None goes with None; Basic256Sha256 with Sign or SignAndEncrypt)");
        }
        UserCertificate userCert = null;
        String certFile = blankToNull(c.user_certificate());
        String keyFile = blankToNull(c.user_key());
        String keystore = blankToNull(c.user_keystore());
        if (keystore != null) {
            if (certFile != null || keyFile != null) {
                throw new IllegalArgumentException(PID + ": set either user.keystore or user.certificate/user.key, "
                        + "not both");
            }
            userCert = new UserCertificate(null, null, keystore,
                    c.user_keystore_password() == null ? "" : c.user_keystore_password(),
                    blankToNull(c.user_keystore_alias()));
        } else if (certFile != null || keyFile != null) {
            if (certFile == null || keyFile == null) {
                throw new IllegalArgumentException(PID + ": an X.509 user identity needs both user.certificate and "
                        + "user.key (or user.keystore)");
            }
            userCert = new UserCertificate(certFile, keyFile, null, null, null);
        }
        if (userCert != null && blankToNull(c.username()) != null) {
            throw new IllegalArgumentException(PID + ": set either username/password or an X.509 user identity "
                    + "(user.certificate/user.key or user.keystore), not both");
        }
        List<Deadband> deadbands;
        try {
            deadbands = Deadband.parseAll(c.deadband());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": deadband: " + e.getMessage(), e);
        }
        List<NodeSpec> nodes = new ArrayList<>();
        for (String entry : c.nodes() == null ? new String[0] : c.nodes()) {
            for (String part : entry.split(",")) {
                if (!part.isBlank()) {
                    try {
                        nodes.add(NodeSpec.parse(part));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(PID + ": nodes: " + e.getMessage(), e);
                    }
                }
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException(PID + ": nodes is missing (expected NodeIds and/or browse patterns, "
                    + "e.g. Objects/Plant/*/*)");
        }
        if (!(c.sampling_interval_ms() >= 0)) {
            throw new IllegalArgumentException(PID + ": sampling.interval.ms must be >= 0: " + c.sampling_interval_ms());
        }
        double publishing = c.publishing_interval_ms() > 0 ? c.publishing_interval_ms()
                : Math.max(c.sampling_interval_ms(), 50);
        if (c.queue_size() < 1 || c.handoff_capacity() < 1 || c.reconnect_min_ms() < 1) {
            throw new IllegalArgumentException(PID + ": queue.size, handoff.capacity and reconnect.min.ms must be >= 1");
        }
        if (c.rebrowse_interval_s() < 0) {
            throw new IllegalArgumentException(PID + ": rebrowse.interval.s must be >= 0 (0: off): "
                    + c.rebrowse_interval_s());
        }
        String sourceName = c.source_name() == null || c.source_name().isBlank()
                ? EndpointUtil.getHost(url) + ":" + EndpointUtil.getPort(url) : c.source_name().strip();
        String user = c.username() == null || c.username().isBlank() ? null : c.username().strip();
        return new Settings(url, c.endpoint_host_rewrite(), user, c.password() == null ? "" : c.password(),
                List.copyOf(nodes), c.sampling_interval_ms(), publishing, c.queue_size(), c.handoff_capacity(),
                c.reconnect_min_ms(), sourceName, policy, mode, blankToNull(c.pki_dir()), userCert, deadbands,
                c.rebrowse_interval_s(), c.rebrowse_on_model_change());
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    @Activate
    void activate(Config config, BundleContext context) {
        Settings s = validate(config);
        this.settings = s;
        this.name = s.sourceName();
        this.sourceId = "opcua:" + name;
        this.reconnectDelayMs = s.reconnectMinMs();
        this.handoff = new ArrayBlockingQueue<>(s.handoff());
        this.gaps = new GapMarker(sourceId);
        String homeProperty = context.getProperty("gateway.home");
        this.home = homeProperty == null || homeProperty.isBlank() ? null : Path.of(homeProperty);
        this.pki = new Pki(Pki.dir(s.pkiDir(), homeProperty));
        String id = context.getProperty("gateway.id");
        this.gatewayId = id == null || id.isBlank() ? "gateway" : id.strip();
        String threadName = "opcua-source-" + name;
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        dispatcher = new Thread(this::dispatch, threadName + "-ingest");
        dispatcher.setDaemon(true);
        dispatcher.start();

        Hashtable<String, Object> props = new Hashtable<>();
        props.put(TelemetrySource.SOURCE_ID, sourceId);
        props.put("source.name", name);
        props.put("endpoint.url", s.endpointUrl());
        healthProperties(props);
        registration = context.registerService(TelemetrySource.class, this, props);
        LIVE_CLIENTS.incrementAndGet();
        counted = true;
        LOG.info("OPC UA source '{}': subscribing to {} on {} (security {}, identity {}, sampling {} ms, queue {}"
                + "{})", name, s.nodes().stream().map(NodeSpec::text).toList(), s.endpointUrl(), security(),
                identityName(), s.samplingMs(), s.queueSize(), s.deadbands().isEmpty() ? ""
                        : ", deadband " + s.deadbands().stream().map(d -> d.selector() + "=" + d.describe()).toList());
        schedule(this::connect, 0);
        if (s.rebrowseIntervalS() > 0) {
            scheduler.scheduleWithFixedDelay(() -> requestRebrowse("periodic, every " + s.rebrowseIntervalS() + " s"),
                    s.rebrowseIntervalS(), s.rebrowseIntervalS(), TimeUnit.SECONDS);
        }
    }

    @Deactivate
    void deactivate() {
        closed = true;
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        OpcUaClient c = client;
        client = null;
        if (c != null) {
            try {
                c.disconnectAsync().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("OPC UA source '{}': disconnect: {}", name, e.toString());
            }
        }
        if (dispatcher != null) {
            dispatcher.interrupt();
            try {
                dispatcher.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (counted && LIVE_CLIENTS.decrementAndGet() == 0) {
            // the stack's event loop, timers and executors are static: release them with the last client
            Stack.releaseSharedResources();
        }
        counted = false;
        LOG.info("OPC UA source '{}' stopped", name);
    }

    @Override
    public String sourceId() {
        return sourceId;
    }

    /**
     * The source's health: connected, and a detail that says the security, the identity and, per subscription, its
     * id, monitored items (refused ones too), how often it was re-created and notifications the server lost; or the
     * last error (an untrusted server certificate names the file in rejected/ and the folder to move it to). The
     * same figures are service properties ({@code opcua.*}) of the registered {@link TelemetrySource}.
     */
    @Override
    public SourceHealth health() {
        boolean connected = sessionActive;
        String d = detail;
        Instant keepAlive = lastKeepAlive;
        if (connected && subscriptionId != null && keepAlive != null) {
            d = d + ", last keep-alive " + keepAlive;
        }
        GapMarker g = gaps;
        if (g != null) {
            d = d + ", gaps marked " + g.marked() + " (open " + g.open() + ")";
        }
        return new SourceHealth(connected, d, lastMessage, messages.get());
    }

    private String security() {
        return settings.policy() == SecurityPolicy.None ? "None"
                : settings.policy().name() + "/" + settings.mode().name();
    }

    private String identityName() {
        if (settings.userCertificate() != null) {
            return "x509 (" + settings.userCertificate().describe() + ")";
        }
        return settings.username() == null ? "anonymous" : "user " + settings.username();
    }

    private String subscriptionState() {
        Integer id = subscriptionId;
        if (id == null) {
            return "no subscription";
        }
        String browsed = lastRebrowse;
        return "subscription " + id + ": " + monitored + " monitored items"
                + (refused == 0 ? "" : ", " + refused + " refused")
                + (deadbandItems == 0 ? "" : ", " + deadbandItems + " with deadband")
                + ", re-created " + recreated.get() + "x, notifications lost " + notificationsLost.get() + "x"
                + ", model change events " + modelChangeEvents + ", re-browsed " + rebrowses.get() + "x"
                + (browsed == null ? "" : " (last " + browsed + ")");
    }

    /** Sets the detail and publishes the health as service properties. */
    private void setDetail(String d) {
        detail = d;
        ServiceRegistration<TelemetrySource> r = registration;
        if (r == null || settings == null) {
            return;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(TelemetrySource.SOURCE_ID, sourceId);
        props.put("source.name", name);
        props.put("endpoint.url", settings.endpointUrl());
        healthProperties(props);
        try {
            r.setProperties(props);
        } catch (IllegalStateException e) {
            // unregistered meanwhile: stopping
        }
    }

    private void healthProperties(Hashtable<String, Object> props) {
        props.put("opcua.connected", sessionActive);
        props.put("opcua.security", security());
        props.put("opcua.identity", identityName());
        props.put("opcua.detail", detail);
        props.put("opcua.monitored.items", monitored);
        props.put("opcua.monitored.items.refused", refused);
        props.put("opcua.subscription.recreated", recreated.get());
        props.put("opcua.notifications.lost", notificationsLost.get());
        props.put("opcua.model.change.events", modelChangeEvents);
        props.put("opcua.model.changes.received", modelChangesReceived.get());
        props.put("opcua.rebrowse.count", rebrowses.get());
        props.put("opcua.monitored.items.added", itemsAdded.get());
        props.put("opcua.monitored.items.removed", itemsRemoved.get());
        String browsed = lastRebrowse;
        if (browsed != null) {
            props.put("opcua.rebrowse.last", browsed);
        }
        if (gaps != null) {
            props.put("opcua.gaps.marked", gaps.marked());
        }
        Integer id = subscriptionId;
        if (id != null) {
            props.put("opcua.subscription.id", id);
        }
        if (pki != null) {
            props.put("opcua.pki.dir", pki.root().toString());
        }
    }

    /** Monitored items created on the server by the current subscription. */
    int monitoredItems() {
        return monitored;
    }

    private ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        if (closed) {
            return null;
        }
        try {
            return scheduler.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("OPC UA source '{}': {}", name, e.toString(), e);
                }
            }, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopping
            return null;
        }
    }

    /** Scheduler thread: subscribe again after {@code delayMs}, replacing a retry already pending. */
    private void retrySubscribe(long delayMs) {
        if (pendingSubscribe != null) {
            pendingSubscribe.cancel(false);
        }
        pendingSubscribe = schedule(() -> ensureSubscription(true), delayMs);
    }

    /** Scheduler thread: first connect, retried with back-off until it succeeds. */
    private void connect() {
        if (closed) {
            return;
        }
        OpcUaClient c = null;
        rejection = null;
        try {
            if (own == null) {
                own = pki.loadOrCreate("urn:edgegateway:" + gatewayId + ":opcua-client");
                if (own.created()) {
                    LOG.info("OPC UA source '{}': created the gateway's application instance certificate {} "
                            + "(application URI {}); servers that check clients must trust it. Trusted server "
                            + "certificates go in {}", name, pki.certificateFile(), own.applicationUri(), pki.trusted());
                }
            }
            IdentityProvider identity = identity();
            Pki.Own o = own;
            TrustListValidator validator = new TrustListValidator(pki, this::onUntrusted);
            c = OpcUaClient.create(settings.endpointUrl(), this::selectEndpoint, transport -> { },
                    b -> b.setApplicationUri(o.applicationUri())
                            .setApplicationName(LocalizedText.english("Edge Gateway " + gatewayId))
                            .setProductUri("urn:edgegateway:gateway")
                            .setKeyPair(o.keyPair())
                            .setCertificate(o.certificate())
                            .setCertificateChain(new X509Certificate[] {o.certificate()})
                            .setCertificateValidator(validator)
                            .setIdentityProvider(identity)
                            .setRequestTimeout(uint(10_000)));
            c.addSessionActivityListener(new SessionActivityListener() {
                @Override
                public void onSessionActive(UaSession session) {
                    sessionActive = true;
                    // Milo has tried to transfer the subscription by now or will shortly: check off this thread
                    schedule(() -> ensureSubscription(false), 500);
                }

                @Override
                public void onSessionInactive(UaSession session) {
                    sessionActive = false;
                    if (closed) {
                        return; // our own disconnect in deactivate()
                    }
                    markGap("session lost");
                    setDetail("session to " + settings.endpointUrl() + " lost; Milo reconnects");
                    LOG.warn("OPC UA source '{}': session to {} inactive", name, settings.endpointUrl());
                }
            });
            c.connect();
            client = c;
            sessionActive = true;
            reconnectDelayMs = settings.reconnectMinMs();
            LOG.info("OPC UA source '{}': connected to {} (security {}, identity {})", name, settings.endpointUrl(),
                    security(), identityName());
            subscribe();
        } catch (Exception e) {
            String why = rejection != null ? rejection : explain(e);
            setDetail("cannot connect to " + settings.endpointUrl() + ": " + why);
            if (rejection == null) {
                LOG.warn("OPC UA source '{}': cannot connect to {}: {}; retrying in {} ms", name,
                        settings.endpointUrl(), why, reconnectDelayMs);
            } else {
                LOG.info("OPC UA source '{}': retrying {} in {} ms", name, settings.endpointUrl(), reconnectDelayMs);
            }
            if (c != null && client != c) {
                c.disconnectAsync();
            }
            long delay = reconnectDelayMs;
            reconnectDelayMs = Math.min(RECONNECT_MAX_MS, reconnectDelayMs * 2);
            schedule(this::connect, delay);
        }
    }

    /** The validator's report of an untrusted server certificate (on a Milo thread). */
    private void onUntrusted(String message) {
        rejection = message;
        setDetail("cannot connect to " + settings.endpointUrl() + ": " + message);
        LOG.error("OPC UA source '{}': {}", name, message);
    }

    /** The configured user identity; files are read at each connect, so they may be fixed without a restart. */
    private IdentityProvider identity() throws Exception {
        UserCertificate u = settings.userCertificate();
        if (u == null) {
            return settings.username() == null ? new AnonymousProvider()
                    : new UsernameProvider(settings.username(), settings.password());
        }
        try {
            if (u.keystore() != null) {
                Pem.KeyAndChain kc = Pem.readKeyStore(resolve(u.keystore()), u.keystorePassword().toCharArray(),
                        u.keystoreAlias());
                return new X509IdentityProvider(kc.chain(), kc.key());
            }
            List<X509Certificate> chain = Pki.readCertificates(resolve(u.certificate()));
            PrivateKey key = Pem.readPrivateKey(resolve(u.key()));
            return new X509IdentityProvider(chain, key);
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the X.509 user identity (" + u.describe() + "): "
                    + describe(e), e);
        }
    }

    private Path resolve(String file) {
        Path p = Path.of(file);
        return p.isAbsolute() || home == null ? p : home.resolve(p);
    }

    /** A connect error in words: the status code's name, and what it means for the identity. */
    private String explain(Throwable e) {
        String text = describe(e);
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.UnknownHostException && !settings.hostRewrite()) {
                return "the server advertises an endpoint host that does not resolve here (" + t.getMessage()
                        + "); endpoint.host.rewrite=true connects to the host and port of endpoint.url instead";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UaException ua) {
                long code = ua.getStatusCode().getValue();
                if (code == StatusCodes.Bad_IdentityTokenRejected || code == StatusCodes.Bad_IdentityTokenInvalid
                        || code == StatusCodes.Bad_UserAccessDenied) {
                    return "the server rejected the user identity " + identityName() + " ("
                            + Qualities.name(ua.getStatusCode()) + ")";
                }
                if (code == StatusCodes.Bad_SecurityChecksFailed || code == StatusCodes.Bad_CertificateUntrusted) {
                    return "the server did not accept the connection's security (" + Qualities.name(ua.getStatusCode())
                            + "; does it trust the gateway's certificate " + pki.certificateFile() + "?): " + text;
                }
                break;
            }
        }
        return text;
    }

    private Optional<EndpointDescription> selectEndpoint(List<EndpointDescription> endpoints) {
        Optional<EndpointDescription> chosen = endpoints.stream()
                .filter(e -> settings.policy().getUri().equals(e.getSecurityPolicyUri()))
                .filter(e -> e.getSecurityMode() == settings.mode())
                .findFirst();
        if (chosen.isEmpty()) {
            LOG.warn("OPC UA source '{}': {} offers no endpoint with security {} (offered: {})", name,
                    settings.endpointUrl(), security(), endpoints.stream().map(e -> e.getSecurityPolicyUri() + " "
                            + e.getSecurityMode()).toList());
            return chosen;
        }
        if (!settings.hostRewrite()) {
            return chosen;
        }
        String url = settings.endpointUrl();
        return chosen.map(e -> EndpointUtil.updateUrl(e, EndpointUtil.getHost(url), EndpointUtil.getPort(url)));
    }

    /** Scheduler thread: re-create the subscription if the server no longer has it. */
    private void ensureSubscription(boolean force) {
        OpcUaClient c = client;
        if (closed || c == null) {
            return;
        }
        OpcUaSubscription s = subscription;
        if (force || s == null || subscriptionLost || s.getSubscriptionId().isEmpty()) {
            subscribe();
        }
    }

    /** Scheduler thread: browse, then a new subscription with one monitored item per resolved variable. */
    private void subscribe() {
        OpcUaClient c = client;
        if (closed || c == null) {
            return;
        }
        if (pendingSubscribe != null) {
            // this attempt is the retry (or supersedes it)
            pendingSubscribe.cancel(false);
            pendingSubscribe = null;
        }
        OpcUaSubscription old = subscription;
        subscription = null;
        subscriptionId = null;
        if (old != null) {
            recreated.incrementAndGet();
            try {
                old.delete();
            } catch (Exception e) {
                LOG.debug("OPC UA source '{}': deleting the old subscription: {}", name, e.toString());
            }
        }
        long t0 = System.nanoTime();
        live.clear();
        refusedIds.clear();
        modelChangeEvents = "off";
        OpcUaSubscription fresh = null;
        try {
            List<Target> targets = resolve(c, false);
            if (targets.isEmpty()) {
                setDetail("connected to " + settings.endpointUrl() + ", no variable matches the configured nodes");
                LOG.warn("OPC UA source '{}': no variable on {} matches {}; browsing again in 30 s", name,
                        settings.endpointUrl(), settings.nodes().stream().map(NodeSpec::text).toList());
                retrySubscribe(30_000);
                return;
            }
            OpcUaSubscription s = new OpcUaSubscription(c, settings.publishingMs());
            s.setSubscriptionListener(new Listener());
            s.create();
            fresh = s;
            OpcUaMonitoredItem events = null;
            if (settings.rebrowseOnModelChange()) {
                // created in the same call as the data items
                events = OpcUaMonitoredItem.newEventItem(ModelChanges.notifier(), ModelChanges.filter());
                events.setQueueSize(uint(10));
                events.setEventValueListener((item, fields) -> onEvent(fields));
                s.addMonitoredItem(events);
            }
            Created created = createItems(s, targets);
            if (!created.notCreated().isEmpty()) {
                throw new IllegalStateException("CreateMonitoredItems gave no result for "
                        + created.notCreated().size() + " items");
            }
            if (events != null) {
                StatusCode result = events.getCreateResult().orElse(StatusCode.BAD);
                if (result.isGood()) {
                    modelChangeEvents = "on";
                } else {
                    s.removeMonitoredItem(events);
                    modelChangeEvents = "refused (" + Qualities.name(result) + ")";
                    LOG.info("OPC UA source '{}': the server does not report events of its Server object ({}); "
                            + "address-space changes are found by the periodic re-browse{}", name,
                            Qualities.name(result),
                            settings.rebrowseIntervalS() > 0 ? " (every " + settings.rebrowseIntervalS() + " s)"
                                    : ", which is off (rebrowse.interval.s=0): only after a reconnect");
                }
            }
            subscription = s;
            subscriptionLost = false;
            created.accepted().forEach(l -> live.put(l.target().nodeId(), l));
            monitored = live.size();
            refused = created.refused();
            deadbandItems = created.filtered();
            subscriptionId = s.getSubscriptionId().map(id -> id.intValue()).orElse(null);
            setDetail("connected to " + settings.endpointUrl() + " (security " + security() + ", identity "
                    + identityName() + "); " + subscriptionState());
            LOG.info("OPC UA source '{}': subscription {} with {} monitored items{} ({} ms){}", name,
                    s.getSubscriptionId().map(Object::toString).orElse("?"), monitored,
                    created.filtered() == 0 ? "" : ", " + created.filtered() + " with a deadband",
                    (System.nanoTime() - t0) / 1_000_000, "on".equals(modelChangeEvents) ? "; model change events on"
                            : "");
        } catch (Exception e) {
            String why = describe(e);
            if (fresh != null && fresh != subscription) {
                // half made: do not leave it on the server beside the next attempt's
                try {
                    fresh.delete();
                } catch (Exception ignored) {
                    // the server drops it when its lifetime runs out
                }
            }
            live.clear();
            setDetail("connected to " + settings.endpointUrl() + ", subscribing failed: " + why);
            LOG.warn("OPC UA source '{}': subscribing failed: {}; retrying in 2 s", name, why);
            retrySubscribe(2000);
        }
    }

    /**
     * Scheduler thread: one data item per target in {@code s}, created on the server in one call (with any other
     * item added to {@code s} and not yet created); items the server refuses are logged, taken out of {@code s} and
     * remembered in {@link #refusedIds}; items without a result (the call failed) are taken out and returned.
     */
    private Created createItems(OpcUaSubscription s, List<Target> targets) {
        List<OpcUaMonitoredItem> items = new ArrayList<>();
        List<Deadband> deadbands = new ArrayList<>();
        for (Target t : targets) {
            OpcUaMonitoredItem item = OpcUaMonitoredItem.newDataItem(t.nodeId());
            item.setSamplingInterval(settings.samplingMs());
            item.setQueueSize(uint(settings.queueSize()));
            item.setDiscardOldest(true);
            Deadband deadband = Deadband.forVariable(settings.deadbands(), t.asset(), t.signal());
            deadbands.add(deadband);
            if (deadband != null && deadband.filter() != null) {
                item.setFilter(deadband.filter());
            }
            item.setDataValueListener((it, value) -> onValue(t, value));
            items.add(item);
        }
        s.addMonitoredItems(items);
        s.createMonitoredItems();
        List<Live> accepted = new ArrayList<>();
        List<Target> notCreated = new ArrayList<>();
        List<OpcUaMonitoredItem> out = new ArrayList<>();
        int filtered = 0;
        for (int i = 0; i < items.size(); i++) {
            OpcUaMonitoredItem item = items.get(i);
            Target t = targets.get(i);
            Optional<StatusCode> result = item.getCreateResult();
            Deadband deadband = deadbands.get(i);
            boolean hasFilter = deadband != null && deadband.filter() != null;
            if (result.isEmpty()) {
                notCreated.add(t);
                out.add(item);
            } else if (result.get().isGood()) {
                accepted.add(new Live(t, item));
                filtered += hasFilter ? 1 : 0;
            } else {
                out.add(item);
                refusedIds.add(t.nodeId());
                LOG.warn("OPC UA source '{}': cannot monitor {} ({}/{}){}: {}; left out, the others keep flowing",
                        name, t.nodeId().toParseableString(), t.asset(), t.signal(), hasFilter ? " with deadband "
                                + deadband.describe() + (deadband.type() == DeadbandType.Percent ? " (percent needs "
                                + "an EURange on the variable)" : "") : "", Qualities.name(result.get()));
            }
        }
        if (!out.isEmpty()) {
            s.removeMonitoredItems(out);
        }
        return new Created(accepted, items.size() - accepted.size() - notCreated.size(), filtered, notCreated);
    }

    /** Milo's delivery thread: an event of the Server object; a model change asks for a re-browse. */
    private void onEvent(Variant[] fields) {
        try {
            if (!ModelChanges.isModelChange(fields)) {
                return;
            }
            modelChangesReceived.incrementAndGet();
            OpcUaClient c = client;
            List<String> changes = c == null ? List.of() : ModelChanges.describe(fields, c.getStaticEncodingContext());
            requestRebrowse("model change event" + (changes.isEmpty() ? "" : " " + changes));
        } catch (RuntimeException e) {
            LOG.warn("OPC UA source '{}': cannot handle an event: {}", name, e.toString());
        }
    }

    /** Any thread, never blocks: one re-browse soon, however many requests arrive before it starts. */
    private void requestRebrowse(String why) {
        if (!closed && rebrowsePending.compareAndSet(false, true)
                && schedule(() -> rebrowse(why), REBROWSE_COALESCE_MS) == null) {
            rebrowsePending.set(false);
        }
    }

    /**
     * Scheduler thread: browse the configured nodes again and bring the live subscription in line: monitored items
     * for variables that now match (not those the server refused already), deleted items for variables that are
     * gone (their gap marks forgotten). Nothing happens without a live subscription: the next subscribe browses.
     */
    private void rebrowse(String why) {
        rebrowsePending.set(false);
        OpcUaClient c = client;
        OpcUaSubscription s = subscription;
        if (closed || c == null || s == null || !sessionActive || subscriptionLost) {
            return;
        }
        long t0 = System.nanoTime();
        List<Target> targets;
        try {
            targets = resolve(c, true);
        } catch (Exception e) {
            LOG.warn("OPC UA source '{}': re-browse ({}) failed: {}; the monitored items stay as they are", name,
                    why, describe(e));
            return;
        }
        Map<NodeId, Target> wanted = new LinkedHashMap<>();
        targets.forEach(t -> wanted.put(t.nodeId(), t));
        List<Live> gone = live.values().stream().filter(l -> !wanted.containsKey(l.target().nodeId())).toList();
        List<Target> fresh = targets.stream()
                .filter(t -> !live.containsKey(t.nodeId()) && !refusedIds.contains(t.nodeId())).toList();
        int added = 0;
        int refusedNow = 0;
        List<Target> notCreated = List.of();
        if (!gone.isEmpty()) {
            s.removeMonitoredItems(gone.stream().map(Live::item).toList());
            s.deleteMonitoredItems();
            for (Live l : gone) {
                live.remove(l.target().nodeId());
                gaps.forget(l.target().asset(), l.target().signal());
                deadbandItems -= l.item().getFilter() != null ? 1 : 0;
            }
        }
        if (!fresh.isEmpty()) {
            Created created = createItems(s, fresh);
            created.accepted().forEach(l -> live.put(l.target().nodeId(), l));
            added = created.accepted().size();
            refusedNow = created.refused();
            notCreated = created.notCreated();
            refused += refusedNow;
            deadbandItems += created.filtered();
        }
        monitored = live.size();
        rebrowses.incrementAndGet();
        itemsAdded.addAndGet(added);
        itemsRemoved.addAndGet(gone.size());
        lastRebrowse = Instant.now() + " (" + why + "): +" + added + " -" + gone.size();
        if (added > 0 || !gone.isEmpty() || refusedNow > 0 || !notCreated.isEmpty()) {
            LOG.info("OPC UA source '{}': re-browsed ({}): +{}{}, -{}{}{}; {} monitored items now in subscription {}, "
                    + "no reconnect ({} ms)", name, why, added, names(created(fresh, live), added), gone.size(),
                    names(gone.stream().map(Live::target).toList(), gone.size()),
                    refusedNow == 0 ? "" : ", " + refusedNow + " refused", monitored,
                    s.getSubscriptionId().map(Object::toString).orElse("?"), (System.nanoTime() - t0) / 1_000_000);
        } else {
            LOG.debug("OPC UA source '{}': re-browsed ({}): no change ({} monitored items)", name, why, monitored);
        }
        setDetail("connected to " + settings.endpointUrl() + " (security " + security() + ", identity "
                + identityName() + "); " + subscriptionState());
        if (!notCreated.isEmpty()) {
            int n = notCreated.size();
            LOG.warn("OPC UA source '{}': {} new monitored items got no result from the server; trying again in 5 s",
                    name, n);
            schedule(() -> requestRebrowse("retry of " + n + " items"), 5000);
        }
    }

    /** The targets now monitored. */
    private static List<Target> created(List<Target> targets, Map<NodeId, Live> monitoredNow) {
        return targets.stream().filter(t -> monitoredNow.containsKey(t.nodeId())).toList();
    }

    /** {@code  [pump-4/flow, pump-4/current, ...]}, at most 8 names; empty for none. */
    private static String names(List<Target> targets, int count) {
        if (count == 0 || targets.isEmpty()) {
            return "";
        }
        List<String> n = targets.stream().limit(8).map(t -> t.asset() + "/" + t.signal()).toList();
        return " " + n + (targets.size() > 8 ? " and " + (targets.size() - 8) + " more" : "");
    }

    /** Subscription events, on Milo's threads: only schedule work. */
    private final class Listener implements OpcUaSubscription.SubscriptionListener {

        @Override
        public void onTransferFailed(OpcUaSubscription s, StatusCode status) {
            LOG.info("OPC UA source '{}': the server did not keep the subscription ({}); re-creating it", name,
                    status);
            if (s == subscription) {
                subscriptionLost = true;
                markGap("subscription not transferred");
            }
            schedule(() -> ensureSubscription(false), 0);
        }

        @Override
        public void onWatchdogTimerElapsed(OpcUaSubscription s) {
            LOG.info("OPC UA source '{}': no publish response or keep-alive within the watchdog time", name);
            if (s == subscription) {
                markGap("subscription watchdog");
            }
            if (s == subscription && sessionActive) {
                subscriptionLost = true;
                schedule(() -> ensureSubscription(false), 0);
            }
        }

        @Override
        public void onStatusChanged(OpcUaSubscription s, StatusCode status) {
            LOG.info("OPC UA source '{}': subscription status {}", name, status);
            if (s == subscription && status != null && status.isBad()) {
                subscriptionLost = true;
                markGap("subscription status " + status);
                schedule(() -> ensureSubscription(false), 0);
            }
        }

        @Override
        public void onNotificationDataLost(OpcUaSubscription s) {
            notificationsLost.incrementAndGet();
            LOG.info("OPC UA source '{}': the server reports lost notifications", name);
        }

        @Override
        public void onKeepAliveReceived(OpcUaSubscription s) {
            lastKeepAlive = Instant.now();
        }
    }

    /** Milo's delivery thread: convert and hand over, never block, never throw. */
    private void onValue(Target t, DataValue value) {
        try {
            Instant now = Instant.now();
            messages.incrementAndGet();
            lastMessage = now;
            Quality quality = Qualities.of(value.getStatusCode());
            if (quality == Quality.BAD && isNodeGone(value.getStatusCode())) {
                // the node was deleted (a server that sends no model change event): find out what else changed
                requestRebrowse("node " + t.nodeId().toParseableString() + " reports "
                        + Qualities.name(value.getStatusCode()));
            }
            Object v = value.getValue() == null ? null : value.getValue().getValue();
            double d;
            if (v instanceof Number n) {
                d = n.doubleValue();
            } else if (v instanceof Boolean b) {
                d = b ? 1 : 0;
            } else if (v == null && quality == Quality.BAD) {
                d = Double.NaN;
            } else {
                ingest.reject(sourceId, RejectReason.NON_NUMERIC_VALUE, t.nodeId().toParseableString() + ": "
                        + (v == null ? "null" : v.getClass().getSimpleName()) + " with status " + value.getStatusCode());
                return;
            }
            if (!Double.isFinite(d) && quality != Quality.BAD) {
                ingest.reject(sourceId, RejectReason.NON_FINITE_VALUE, t.nodeId().toParseableString() + ": " + d);
                return;
            }
            gaps.onValue(t.asset(), t.signal(), t.unit(), d, quality, sessionActive);
            Instant sourceTime = value.getSourceTime() == null || value.getSourceTime().isNull() ? null
                    : value.getSourceTime().getJavaInstant();
            TelemetrySample sample = new TelemetrySample(t.asset(), t.signal(), d, t.unit(), quality, sourceTime, now,
                    sourceId);
            if (!handoff.offer(sample)) {
                ingest.reject(sourceId, RejectReason.QUEUE_FULL, "OPC UA hand-off queue full ("
                        + settings.handoff() + "); dropped " + t.asset() + "/" + t.signal());
            }
        } catch (RuntimeException e) {
            LOG.warn("OPC UA source '{}': cannot handle a value of {}: {}", name, t.nodeId(), e.toString());
        }
    }

    private static boolean isNodeGone(StatusCode status) {
        long code = status == null ? 0 : status.getValue();
        return code == StatusCodes.Bad_NodeIdUnknown || code == StatusCodes.Bad_NodeIdInvalid;
    }

    /**
     * The session or the subscription is lost (any thread, never blocks): each monitored item not yet in a gap gets
     * one BAD sample through the hand-off queue, behind the values already received, so the gap is visible
     * downstream instead of silent; the item's next value that is not BAD ends it.
     */
    private void markGap(String why) {
        GapMarker g = gaps;
        if (g == null || closed) {
            return;
        }
        try {
            List<TelemetrySample> marks = g.open(Instant.now());
            if (marks.isEmpty()) {
                return;
            }
            int dropped = 0;
            for (TelemetrySample m : marks) {
                if (!handoff.offer(m)) {
                    dropped++;
                }
            }
            if (dropped > 0) {
                ingest.reject(sourceId, RejectReason.QUEUE_FULL, "OPC UA hand-off queue full (" + settings.handoff()
                        + "); dropped " + dropped + " gap marks");
            }
            LOG.info("OPC UA source '{}': {}; marked the gap with a BAD sample for {} items", name, why, marks.size());
        } catch (RuntimeException e) {
            LOG.warn("OPC UA source '{}': cannot mark the gap: {}", name, e.toString());
        }
    }

    /** The ingest thread: the only one that may wait for the pipeline. */
    private void dispatch() {
        try {
            while (!closed) {
                TelemetrySample s = handoff.take();
                ingest.offer(s);
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.error("OPC UA source '{}': ingest thread failed", name, e);
            }
        }
    }

    // ---- browsing ----------------------------------------------------------------------------------------------

    private record Found(NodeId nodeId, String name, String parent) {
    }

    /** The configured nodes as variables now; {@code again}: a re-browse, which does not repeat warnings. */
    private List<Target> resolve(OpcUaClient c, boolean again) throws Exception {
        try {
            var limits = c.getOperationLimits();
            browseBatch = Batches.limit(limits.maxNodesPerBrowse());
            readBatch = Batches.limit(limits.maxNodesPerRead());
        } catch (UaException | RuntimeException e) {
            browseBatch = Batches.DEFAULT;
            readBatch = Batches.DEFAULT;
            LOG.debug("OPC UA source '{}': operation limits not readable ({}); {} nodes per call", name,
                    e.toString(), Batches.DEFAULT);
        }
        Map<NodeId, Found> found = new LinkedHashMap<>();
        for (NodeSpec spec : settings.nodes()) {
            if (spec.isPattern()) {
                List<Found> matches = browsePattern(c, spec.path());
                if (matches.isEmpty() && !again) {
                    LOG.warn("OPC UA source '{}': no variable matches '{}'", name, spec.text());
                }
                for (Found f : matches) {
                    found.putIfAbsent(f.nodeId(), f);
                }
            } else {
                Found f = describeNode(c, spec.nodeId());
                if (f == null) {
                    if (reportedMissing.add(spec.nodeId())) {
                        LOG.warn("OPC UA source '{}': node {} does not exist on {}; left out, the others keep flowing",
                                name, spec.text(), settings.endpointUrl());
                    }
                } else {
                    reportedMissing.remove(spec.nodeId());
                    found.putIfAbsent(f.nodeId(), f);
                }
            }
        }
        List<Found> list = new ArrayList<>(found.values());
        List<String> units = units(c, list);
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Found f = list.get(i);
            targets.add(new Target(f.nodeId(), f.parent(), f.name(), units.get(i)));
        }
        return targets;
    }

    private List<Found> browsePattern(OpcUaClient c, List<String> levels) throws Exception {
        List<Found> current = List.of(new Found(NodeIds.ObjectsFolder, "Objects", "Root"));
        for (int level = 0; level < levels.size() && !current.isEmpty(); level++) {
            boolean last = level == levels.size() - 1;
            int mask = last ? NodeClass.Variable.getValue() : NodeClass.Object.getValue() | NodeClass.Variable.getValue();
            List<BrowseDescription> requests = new ArrayList<>();
            for (Found f : current) {
                requests.add(forward(f.nodeId(), NodeIds.HierarchicalReferences, mask));
            }
            List<BrowseResult> results = browseAll(c, requests);
            List<Found> next = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                BrowseResult r = results.get(i);
                if (r.getStatusCode() == null || !r.getStatusCode().isGood() || r.getReferences() == null) {
                    continue;
                }
                for (ReferenceDescription ref : r.getReferences()) {
                    String browseName = ref.getBrowseName() == null ? null : ref.getBrowseName().getName();
                    if (browseName == null || !NodeSpec.matches(levels.get(level), browseName)) {
                        continue;
                    }
                    Optional<NodeId> id = ref.getNodeId().toNodeId(c.getNamespaceTable());
                    if (id.isPresent()) {
                        next.add(new Found(id.get(), browseName, current.get(i).name()));
                    }
                }
            }
            current = next;
        }
        return current;
    }

    /** The browse name of a node and of its hierarchical parent; null when the server does not know the node. */
    private Found describeNode(OpcUaClient c, NodeId nodeId) throws Exception {
        DataValue[] read = c.read(0, TimestampsToReturn.Neither, List.of(
                new ReadValueId(nodeId, AttributeId.BrowseName.uid(), null, QualifiedName.NULL_VALUE))).getResults();
        List<DataValue> names = read == null ? List.of() : List.of(read);
        if (names.isEmpty() || names.get(0).getStatusCode() == null || !names.get(0).getStatusCode().isGood()) {
            return null;
        }
        Object v = names.get(0).getValue().getValue();
        String signal = v instanceof QualifiedName q ? q.getName() : String.valueOf(v);
        BrowseDescription up = new BrowseDescription(nodeId, BrowseDirection.Inverse, NodeIds.HierarchicalReferences,
                true, uint(0), uint(BrowseResultMask.All.getValue()));
        BrowseResult r = c.browse(up);
        String parent = "";
        if (r.getStatusCode() != null && r.getStatusCode().isGood() && r.getReferences() != null
                && r.getReferences().length > 0 && r.getReferences()[0].getBrowseName() != null) {
            parent = r.getReferences()[0].getBrowseName().getName();
        }
        if (parent == null || parent.isBlank()) {
            parent = nodeId.getNamespaceIndex() + "";
        }
        return new Found(nodeId, signal, parent);
    }

    /** Each variable's EngineeringUnits display name ("" when it has none). */
    private List<String> units(OpcUaClient c, List<Found> variables) throws Exception {
        List<String> units = new ArrayList<>();
        if (variables.isEmpty()) {
            return units;
        }
        List<BrowseDescription> requests = new ArrayList<>();
        for (Found f : variables) {
            requests.add(forward(f.nodeId(), NodeIds.HasProperty, NodeClass.Variable.getValue()));
        }
        List<BrowseResult> results = browseAll(c, requests);
        List<NodeId> euNodes = new ArrayList<>();
        for (BrowseResult r : results) {
            NodeId eu = null;
            if (r.getStatusCode() != null && r.getStatusCode().isGood() && r.getReferences() != null) {
                for (ReferenceDescription ref : r.getReferences()) {
                    if (ref.getBrowseName() != null && "EngineeringUnits".equals(ref.getBrowseName().getName())) {
                        eu = ref.getNodeId().toNodeId(c.getNamespaceTable()).orElse(null);
                        break;
                    }
                }
            }
            euNodes.add(eu);
        }
        List<NodeId> toRead = euNodes.stream().filter(n -> n != null).toList();
        List<DataValue> values = toRead.isEmpty() ? List.of()
                : readAll(c, toRead);
        int j = 0;
        for (NodeId eu : euNodes) {
            String unit = "";
            if (eu != null) {
                DataValue dv = values.get(j++);
                Object v = dv.getValue() == null ? null : dv.getValue().getValue();
                try {
                    if (v instanceof ExtensionObject xo) {
                        v = xo.decode(c.getStaticEncodingContext());
                    }
                    if (v instanceof EUInformation info && info.getDisplayName() != null
                            && info.getDisplayName().getText() != null) {
                        unit = info.getDisplayName().getText();
                    }
                } catch (RuntimeException e) {
                    LOG.debug("OPC UA source '{}': cannot decode EngineeringUnits of {}: {}", name, eu, e.toString());
                }
            }
            units.add(unit);
        }
        return units;
    }

    /**
     * Browses in calls of at most the server's MaxNodesPerBrowse and follows continuation points, so a server that
     * limits operations or references per call still gives every reference; one result per request, in order.
     */
    private List<BrowseResult> browseAll(OpcUaClient c, List<BrowseDescription> requests) throws Exception {
        List<BrowseResult> all = new ArrayList<>(requests.size());
        for (List<BrowseDescription> batch : Batches.of(requests, browseBatch)) {
            for (BrowseResult r : c.browse(batch)) {
                List<ReferenceDescription> refs = r.getReferences() == null ? new ArrayList<>()
                        : new ArrayList<>(List.of(r.getReferences()));
                ByteString cp = r.getContinuationPoint();
                while (cp != null && cp.isNotNull() && cp.length() > 0) {
                    BrowseNextResponse next = c.browseNext(false, List.of(cp));
                    BrowseResult more = next.getResults() == null || next.getResults().length == 0 ? null
                            : next.getResults()[0];
                    if (more == null || more.getStatusCode() == null || !more.getStatusCode().isGood()) {
                        break;
                    }
                    if (more.getReferences() != null) {
                        refs.addAll(List.of(more.getReferences()));
                    }
                    cp = more.getContinuationPoint();
                }
                all.add(new BrowseResult(r.getStatusCode(), null, refs.toArray(new ReferenceDescription[0])));
            }
        }
        return all;
    }

    /** Reads values in calls of at most the server's MaxNodesPerRead; one value per node, in order. */
    private List<DataValue> readAll(OpcUaClient c, List<NodeId> nodes) throws Exception {
        List<DataValue> all = new ArrayList<>(nodes.size());
        for (List<NodeId> batch : Batches.of(nodes, readBatch)) {
            all.addAll(c.readValues(0, TimestampsToReturn.Neither, batch));
        }
        return all;
    }

    private static BrowseDescription forward(NodeId node, NodeId referenceType, int nodeClassMask) {
        return new BrowseDescription(node, BrowseDirection.Forward, referenceType, true, uint(nodeClassMask),
                uint(BrowseResultMask.All.getValue()));
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}

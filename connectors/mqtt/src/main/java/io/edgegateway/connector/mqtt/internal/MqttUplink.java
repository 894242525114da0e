package io.edgegateway.connector.mqtt.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.CollectionType;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertSink;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationSink;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.MaintenanceEstimate;
import io.edgegateway.api.MaintenanceSink;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.api.SourceHealth;
import io.edgegateway.api.TelemetrySource;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox;
import io.edgegateway.mqtt.support.BrokerTls;

/**
 * The gateway's publishing connection: alerts, explanations, maintenance estimates, status (retained, with a Last
 * Will) and metrics.
 * Topics and payloads are documented on {@link MessageJson}.
 *
 * <p>Nothing lost: {@link #onAlert}, {@link #onExplanation} and {@link #onMaintenance} encode the message and append it to the durable
 * {@link Outbox} ({@code outbox.dir}, default {@code ${gateway.home}/data/outbox}), and return only once it is stored
 * as {@code outbox.fsync} says (so they block for an fsync: a fraction of a millisecond to a few milliseconds; with
 * {@code batch}, concurrent pipeline workers share one). A message leaves the outbox only when the broker
 * acknowledged it (PUBACK for QoS 1), when it is older than {@code outbox.max.age.s}, or when the overflow policy
 * ({@code outbox.overflow}, bounded by {@code queue.capacity} messages and {@code outbox.max.bytes}) evicts it;
 * every case is counted (metrics {@code outbox_*}). Messages waiting when the gateway stops or is killed are sent
 * after the next start. The payload is stored as published, so a message sent again is byte-identical; consumers
 * deduplicate by {@code alertId} (one alert, and at most one explanation, per alert id). Status and metrics are not
 * data and do not go through the outbox.
 *
 * <p>Threads: the {@code mqtt-uplink-publisher} thread reads the outbox in order: while disconnected it waits; it
 * keeps at most {@code max.inflight} publishes unacknowledged; after each (re)connect it starts again from the
 * oldest unacknowledged message and sends the backlog at {@code outbox.drain.rate} messages/s until it has caught
 * up (then new messages go out as they come). A publish that fails (connection lost before the acknowledgement)
 * makes it go back to that message: delivery is at least once. Paho's callback thread acknowledges messages in the
 * outbox (a small append to its ack log). The {@code mqtt-uplink-reconnect} thread connects, reconnects and takes
 * metrics.
 *
 * <p>Health: every {@link TelemetrySource} and every {@link HealthReporter} service is tracked (whiteboard). On each
 * metrics tick (or every {@value #HEALTH_CHECK_S} s when metrics are off) their health is read once: it goes into the
 * metrics message ({@code sources}, {@code health}), and when the summary (ok or degraded, and the problems) differs
 * from the one in the retained status, the status is published again with the new summary (and logged). A new
 * connection publishes the current summary.
 */
@Component(configurationPid = MqttUplink.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {AlertSink.class, ExplanationSink.class, MaintenanceSink.class}, immediate = true)
@Designate(ocd = MqttUplink.Config.class)
public final class MqttUplink implements AlertSink, ExplanationSink, MaintenanceSink {

    static final String PID = "io.edgegateway.mqtt.uplink";
    /** Framework property naming this gateway in topics and messages. */
    static final String GATEWAY_ID_PROPERTY = "gateway.id";
    static final String DEFAULT_GATEWAY_ID = "gateway";
    static final String PUBLISHER_THREAD = "mqtt-uplink-publisher";
    static final String SCHEDULER_THREAD = "mqtt-uplink-reconnect";

    @ObjectClassDefinition(name = "Edge Gateway MQTT uplink",
            description = "Publishes alerts, explanations, maintenance estimates, gateway status and metrics to an "
                    + "MQTT broker.")
    public @interface Config {

        @AttributeDefinition(name = "Broker URL", description = "tcp://host:port, or ssl://host:port (also "
                + "mqtts://) for TLS")
        String broker_url();

        @AttributeDefinition(name = "TLS: CA certificates", required = false, description = "PEM file with the CA "
                + "certificate(s) that sign the broker's certificate (ssl:// or mqtts:// URLs); empty: the JVM's CA "
                + "certificates. Relative paths are below the gateway home")
        String tls_ca_file() default "";

        @AttributeDefinition(name = "TLS: client certificate", required = false, description = "PEM file with this "
                + "gateway's certificate (and intermediate CAs) for mutual TLS; needs tls.key.file")
        String tls_cert_file() default "";

        @AttributeDefinition(name = "TLS: client key", required = false, description = "PEM file with the "
                + "unencrypted private key of tls.cert.file (PKCS#8, PKCS#1 RSA or SEC1 EC)")
        String tls_key_file() default "";

        @AttributeDefinition(name = "TLS: verify host name", description = "the broker's certificate must name the "
                + "host of broker.url (DNS name or IP address)")
        boolean tls_hostname_verification() default true;

        @AttributeDefinition(name = "Client id", required = false,
                description = "MQTT client id; empty: edgegw-<gateway.id>")
        String client_id() default "";

        @AttributeDefinition(name = "User name", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "Alert QoS",
                description = "QoS of alerts, explanations and maintenance estimates (0..2)",
                options = {@Option(label = "0", value = "0"), @Option(label = "1", value = "1"),
                        @Option(label = "2", value = "2")})
        int alert_qos() default 1;

        @AttributeDefinition(name = "Outbox capacity (messages)", description = "alerts, explanations and "
                + "maintenance estimates waiting for the broker's acknowledgement, in the durable outbox; beyond it "
                + "the overflow policy applies")
        int queue_capacity() default 100000;

        @AttributeDefinition(name = "Outbox directory", required = false, description = "where waiting messages "
                + "are stored; relative to the gateway home; empty: ${gateway.home}/data/outbox")
        String outbox_dir() default "";

        @AttributeDefinition(name = "Outbox fsync", description = "always: fsync each message before accepting it "
                + "(survives power loss); batch: the same, but concurrent messages share one fsync, at most one per "
                + "outbox.fsync.interval.ms (survives power loss); never: written to the OS only (survives a "
                + "gateway crash or kill -9, not a power loss)",
                options = {@Option(label = "always", value = "always"), @Option(label = "batch", value = "batch"),
                        @Option(label = "never", value = "never")})
        String outbox_fsync() default "batch";

        @AttributeDefinition(name = "Outbox fsync interval (ms)", description = "batch: at most one fsync per "
                + "interval; each accepted message waits for the fsync that covers it. 0: fsync as soon as a message "
                + "waits (messages arriving meanwhile share the next one)")
        int outbox_fsync_interval_ms() default 0;

        @AttributeDefinition(name = "Outbox size limit (bytes)", description = "bytes of waiting messages (with "
                + "their topics and 27 bytes of header each); beyond it the overflow policy applies")
        long outbox_max_bytes() default 64L * 1024 * 1024;

        @AttributeDefinition(name = "Outbox age limit (s)", description = "waiting messages older than this are "
                + "removed and counted as expired")
        long outbox_max_age_s() default 7L * 24 * 3600;

        @AttributeDefinition(name = "Outbox overflow policy", description = "when the outbox is full: drop-oldest "
                + "evicts the oldest waiting message of the lowest priority (explanations and maintenance estimates "
                + "before alerts; never one of higher priority than the new one); reject-new rejects the new message "
                + "unless lower-priority messages can be evicted (an alert still evicts explanations and estimates). "
                + "Both are counted as outbox_dropped",
                options = {@Option(label = "drop-oldest", value = "drop-oldest"),
                        @Option(label = "reject-new", value = "reject-new")})
        String outbox_overflow() default "drop-oldest";

        @AttributeDefinition(name = "Outbox segment size (bytes)", description = "the log is kept in files of "
                + "about this size; a file is deleted when none of its messages is waiting any more")
        int outbox_segment_bytes() default 4 * 1024 * 1024;

        @AttributeDefinition(name = "Drain rate (messages/s)", description = "after each (re)connect the waiting "
                + "messages are published at most this fast until the backlog is gone, so a returning broker is not "
                + "flooded; 0: as fast as the in-flight window allows")
        int outbox_drain_rate() default 500;

        @AttributeDefinition(name = "Metrics interval (s)", description = "0 disables metrics publishing")
        int metrics_interval_s() default 10;

        @AttributeDefinition(name = "Max in-flight messages", description = "unacknowledged QoS 1/2 publishes")
        int max_inflight() default 1000;

        @AttributeDefinition(name = "Min reconnect delay (ms)")
        long reconnect_min_ms() default 500;

        @AttributeDefinition(name = "Max reconnect delay (ms)")
        long reconnect_max_ms() default 30000;
    }

    /** A status or metrics message (not data: never stored). */
    record Outgoing(String topic, byte[] payload, int qos, boolean retained, String what) {
    }

    /** The context of a publish from the outbox; {@code permits} is the in-flight window it was counted in. */
    private record Sent(long seq, Semaphore permits) {
    }

    /** The context of a status/metrics publish. */
    private record Control(Outgoing message, Semaphore permits) {
    }

    static final int PRIORITY_ALERT = 1;
    static final int PRIORITY_EXPLANATION = 0;
    /**
     * Maintenance estimates share the lowest priority with explanations: on overflow they go, oldest first, before
     * any alert (each estimate is superseded by the asset's next one, so an old one costs little to lose), and they
     * never evict an alert. Priorities are stored in the outbox records, so the existing values must not change.
     */
    static final int PRIORITY_MAINTENANCE = 0;

    private static final Logger LOG = LoggerFactory.getLogger(MqttUplink.class);
    private static final long DRAIN_MS = 2000;
    private static final long EXPIRE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final String OUTBOX_DIR = "data/outbox";
    private static final long DISCONNECT_TIMEOUT_MS = 2000;
    /** The DS property {@code ComponentConstants.COMPONENT_NAME} (that API is not on our compile path). */
    private static final String COMPONENT_NAME = "component.name";
    /** How often the health summary is checked when metrics are off. */
    static final int HEALTH_CHECK_S = 10;
    /** Paho's own in-flight window is ours plus room for status and metrics. */
    private static final int PAHO_EXTRA_INFLIGHT = 8;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile PipelineMetrics pipelineMetrics;

    /** Every telemetry source, with its service properties (SCR replaces the list on each change). */
    @Reference(service = TelemetrySource.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            collectionType = CollectionType.TUPLE)
    private volatile List<Map.Entry<Map<String, Object>, TelemetrySource>> sources = List.of();

    /** Every health reporter, with its service properties. */
    @Reference(service = HealthReporter.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            collectionType = CollectionType.TUPLE)
    private volatile List<Map.Entry<Map<String, Object>, HealthReporter>> reporters = List.of();

    private String gatewayId;
    private String statusTopic;
    private String version;
    private int alertQos;
    private int maxInflight;
    private long drainIntervalNanos;
    private volatile Outbox outbox;
    private final AtomicReference<Outgoing> status = new AtomicReference<>();
    /** Guards {@link #since} and {@link #statusSummary}. */
    private final Object statusLock = new Object();
    /** When the current connection was made; null before the first. */
    private Instant since;
    /** The health summary of the latest online status handed to the publisher. */
    private GatewayHealth.Summary statusSummary;
    private final AtomicReference<Outgoing> metrics = new AtomicReference<>();
    private volatile Semaphore inflight;
    /** Where the publisher must start again (the smallest failed seq; 0 after a connect); MAX_VALUE: nowhere. */
    private final AtomicLong rewindTo = new AtomicLong(Long.MAX_VALUE);
    private volatile boolean catchingUp = true;
    private final AtomicLong published = new AtomicLong();
    /** Messages that could not be stored at all (encoding or disk errors); the outbox counts its own drops. */
    private final AtomicLong failed = new AtomicLong();
    private final RateLimitedLog dropLog = new RateLimitedLog(10_000);
    private final RateLimitedLog errorLog = new RateLimitedLog(10_000);
    private final Object wakeup = new Object();
    private final PublishListener listener = new PublishListener();

    private MqttConnection connection;
    private Thread publisher;
    private volatile boolean stopping;
    private volatile long drainDeadlineNanos;

    /** A validated configuration. */
    record Settings(ConfigCheck.BrokerUrl broker, String clientId, String username, char[] password, int alertQos,
                    int queueCapacity, int metricsIntervalS, int maxInflight, long reconnectMinMs,
                    long reconnectMaxMs, String outboxDir, Outbox.Fsync fsync, int fsyncIntervalMs,
                    long outboxMaxBytes, long outboxMaxAgeS, Outbox.Overflow overflow, int segmentBytes,
                    int drainRate, TlsSettings tls) {
    }

    static Settings validate(Config c, String gatewayId) {
        ConfigCheck s = new ConfigCheck(PID);
        ConfigCheck.BrokerUrl broker = s.brokerUrl("broker.url", c.broker_url());
        TlsSettings tls = TlsSettings.validate(s, broker, c.tls_ca_file(), c.tls_cert_file(), c.tls_key_file(),
                c.tls_hostname_verification());
        int qos = s.range("alert.qos", c.alert_qos(), 0, 2);
        int capacity = s.range("queue.capacity", c.queue_capacity(), 1, 10_000_000);
        int interval = s.range("metrics.interval.s", c.metrics_interval_s(), 0, 86_400);
        int maxInflight = s.range("max.inflight", c.max_inflight(), 1, 65535 - PAHO_EXTRA_INFLIGHT);
        long min = c.reconnect_min_ms();
        long max = c.reconnect_max_ms();
        s.reconnectDelays(min, max);
        String clientId = ConfigCheck.optional(c.client_id());
        String password = ConfigCheck.optional(c.password());
        Outbox.Fsync fsync = choice(s, "outbox.fsync", c.outbox_fsync(), Outbox.Fsync.class);
        int fsyncInterval = s.range("outbox.fsync.interval.ms", c.outbox_fsync_interval_ms(), 0, 10_000);
        long maxBytes = c.outbox_max_bytes();
        if (maxBytes < 4096 || maxBytes > (1L << 40)) {
            throw s.invalid("outbox.max.bytes", maxBytes, "is out of range (4096..1099511627776)");
        }
        long maxAge = c.outbox_max_age_s();
        if (maxAge < 1 || maxAge > 10L * 365 * 86_400) {
            throw s.invalid("outbox.max.age.s", maxAge, "is out of range (1..315360000)");
        }
        Outbox.Overflow overflow = choice(s, "outbox.overflow", c.outbox_overflow(), Outbox.Overflow.class);
        int segment = s.range("outbox.segment.bytes", c.outbox_segment_bytes(), 65_536, 1 << 30);
        int drainRate = s.range("outbox.drain.rate", c.outbox_drain_rate(), 0, 1_000_000);
        return new Settings(broker, clientId == null ? "edgegw-" + gatewayId : clientId,
                ConfigCheck.optional(c.username()), password == null ? null : password.toCharArray(), qos, capacity,
                interval, maxInflight, min, max, ConfigCheck.optional(c.outbox_dir()), fsync, fsyncInterval,
                maxBytes, maxAge, overflow, segment, drainRate, tls);
    }

    /** {@code drop-oldest} -> DROP_OLDEST (case and '-'/'_' do not matter). */
    private static <E extends Enum<E>> E choice(ConfigCheck s, String key, String value, Class<E> type) {
        String v = value == null ? "" : value.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(v)) {
                return e;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw s.invalid(key, value, "is not one of " + allowed);
    }

    /** The outbox directory: the setting (relative to the gateway home), else {@code <home>/data/outbox}. */
    static Path outboxDir(String setting, String gatewayHome, Path bundleData) {
        Path home = gatewayHome == null || gatewayHome.isBlank() ? null : Path.of(gatewayHome);
        if (setting != null) {
            Path p = Path.of(setting);
            return p.isAbsolute() || home == null ? p : home.resolve(p);
        }
        if (home != null) {
            return home.resolve(OUTBOX_DIR);
        }
        if (bundleData != null) {
            return bundleData;
        }
        return Path.of(OUTBOX_DIR);
    }

    /** The gateway id from the framework property; must be usable as one topic level. */
    static String gatewayId(String property) {
        String id = ConfigCheck.optional(property);
        if (id == null) {
            return DEFAULT_GATEWAY_ID;
        }
        if (!isTopicLevel(id)) {
            throw new IllegalArgumentException(PID + ": framework property '" + GATEWAY_ID_PROPERTY + "' = '" + property
                    + "' is not usable in MQTT topics (no '/', '+', '#' or control characters)");
        }
        return id;
    }

    static boolean isTopicLevel(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '+' || c == '#' || c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** An asset id as one topic level: '/', '+', '#' and control characters become '_'. */
    static String topicLevel(String s) {
        if (s == null || s.isEmpty()) {
            return "_";
        }
        if (isTopicLevel(s)) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c == '/' || c == '+' || c == '#' || c < 0x20 || c == 0x7f ? '_' : c);
        }
        return b.toString();
    }

    @Activate
    void activate(Config config, BundleContext context) throws MqttException {
        gatewayId = gatewayId(context.getProperty(GATEWAY_ID_PROPERTY));
        Settings s = validate(config, gatewayId);
        version = context.getBundle().getVersion().toString();
        statusTopic = "gateway/" + gatewayId + "/status";
        alertQos = s.alertQos();
        maxInflight = s.maxInflight();
        inflight = new Semaphore(maxInflight);
        drainIntervalNanos = s.drainRate() == 0 ? 0 : 1_000_000_000L / s.drainRate();
        java.io.File data = context.getDataFile("outbox");
        Path dir = outboxDir(s.outboxDir(), context.getProperty("gateway.home"), data == null ? null : data.toPath());
        try {
            outbox = Outbox.open(new Outbox.Options(dir, s.fsync(), s.fsyncIntervalMs(), s.queueCapacity(),
                    s.outboxMaxBytes(), TimeUnit.SECONDS.toMillis(s.outboxMaxAgeS()), s.overflow(),
                    s.segmentBytes()));
        } catch (IOException e) {
            throw new IllegalStateException(PID + ": cannot open the outbox in " + dir + ": " + e, e);
        }
        reportRecovery(outbox);

        MqttConnectOptions options = new MqttConnectOptions();
        // Clean session: we subscribe to nothing, and unacknowledged publishes are ours to retry (Paho's in-memory
        // state would not survive a restart anyway); a clean session fails them back to us on a connection loss.
        options.setCleanSession(true);
        options.setMaxInflight(maxInflight + PAHO_EXTRA_INFLIGHT);
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        options.setWill(statusTopic, MessageJson.offline(gatewayId, "connection lost"), 1, true);
        if (s.username() != null) {
            options.setUserName(s.username());
        }
        if (s.password() != null) {
            options.setPassword(s.password());
        }
        BrokerTls tls = s.tls() == null ? null : s.tls().create(context.getProperty("gateway.home"));
        connection = new MqttConnection("MQTT uplink", s.broker().url(), s.clientId(), options, tls,
                new Backoff(s.reconnectMinMs(), s.reconnectMaxMs()), SCHEDULER_THREAD, new Handler());

        stopping = false;
        publisher = new Thread(this::runPublisher, PUBLISHER_THREAD);
        publisher.setDaemon(true);
        publisher.start();
        if (s.metricsIntervalS() > 0) {
            connection.scheduler().scheduleAtFixedRate(() -> tick(true), s.metricsIntervalS(),
                    s.metricsIntervalS(), TimeUnit.SECONDS);
        } else {
            connection.scheduler().scheduleAtFixedRate(() -> tick(false), HEALTH_CHECK_S, HEALTH_CHECK_S,
                    TimeUnit.SECONDS);
        }
        LOG.info("MQTT uplink: publishing for gateway '{}' to {} as client '{}' (alert qos {}, outbox {} messages / "
                + "{} bytes / {} s, fsync {}, overflow {}, drain {} msgs/s, metrics every {} s)", gatewayId,
                s.broker().url(), s.clientId(), alertQos, s.queueCapacity(), s.outboxMaxBytes(), s.outboxMaxAgeS(),
                s.fsync().name().toLowerCase(Locale.ROOT), s.overflow().name().toLowerCase(Locale.ROOT),
                s.drainRate(), s.metricsIntervalS());
        if (tls != null) {
            LOG.info("MQTT uplink: {}", tls.describe());
        }
        connection.start();
    }

    @Deactivate
    void deactivate() {
        // 1. Let the publisher send what is queued, for a short while, then stop it.
        drainDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS);
        stopping = true;
        wake();
        Thread t = publisher;
        if (t != null) {
            try {
                t.join(DRAIN_MS + 1000);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("MQTT uplink: the publisher thread did not stop");
            }
            publisher = null;
        }
        MqttConnection c = connection;
        if (c == null) {
            Outbox o = outbox;
            outbox = null;
            if (o != null) {
                o.close();
            }
            return;
        }
        // 2. Say goodbye (retained), so subscribers do not wait for the Last Will.
        if (c.isConnected()) {
            try {
                c.client().publish(statusTopic, MessageJson.offline(gatewayId, "stopped"), 1, true)
                        .waitForCompletion(DISCONNECT_TIMEOUT_MS);
            } catch (MqttException | RuntimeException e) {
                LOG.debug("MQTT uplink: could not publish the offline status: {}", MqttConnection.describe(e));
            }
        }
        // 3. Disconnect, close; stops the scheduler (reconnects and metrics) too.
        c.close(DISCONNECT_TIMEOUT_MS, null);
        connection = null;
        Outbox o = outbox;
        outbox = null;
        if (o != null) {
            Outbox.Counters n = o.counters();
            o.close();
            LOG.info("MQTT uplink: outbox closed: {} messages kept for the next start (this run: {} stored, {} "
                    + "delivered, {} expired, {} dropped)", n.pending(), n.stored(), n.delivered(), n.expired(),
                    n.dropped());
        }
    }

    private static void reportRecovery(Outbox o) {
        Outbox.Recovery r = o.recovery();
        Path dir = o.options().dir();
        if (!r.problems().isEmpty()) {
            LOG.warn("MQTT uplink: outbox {}: could not recover everything: {} bytes unreadable, {} messages lost; "
                    + "continuing with what was recovered", dir, r.unrecoverableBytes(), r.lostRecords());
            for (String p : r.problems()) {
                LOG.warn("MQTT uplink: outbox {}: {}", dir, p);
            }
        }
        LOG.info("MQTT uplink: outbox {}: {} messages waiting from before ({} bytes, {} segment files read)", dir,
                r.pending(), o.counters().bytes(), r.segments());
    }

    @Override
    public void onAlert(Alert alert) {
        byte[] json;
        try {
            json = MessageJson.alert(alert, gatewayId);
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            logError("cannot encode alert " + alert.alertId(), e);
            return;
        }
        store(PRIORITY_ALERT, "gateway/" + gatewayId + "/alerts/" + topicLevel(alert.assetId()), json,
                "alert " + alert.alertId());
    }

    @Override
    public void onExplanation(Explanation explanation) {
        byte[] json;
        try {
            json = MessageJson.explanation(explanation, gatewayId);
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            logError("cannot encode the explanation of alert " + explanation.alertId(), e);
            return;
        }
        store(PRIORITY_EXPLANATION, "gateway/" + gatewayId + "/explanations/" + topicLevel(explanation.assetId()),
                json, "explanation of alert " + explanation.alertId());
    }

    @Override
    public void onMaintenance(MaintenanceEstimate estimate) {
        byte[] json;
        try {
            json = MessageJson.maintenance(estimate);
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            logError("cannot encode the maintenance estimate of " + estimate.assetId(), e);
            return;
        }
        store(PRIORITY_MAINTENANCE, "gateway/" + gatewayId + "/maintenance/" + topicLevel(estimate.assetId()), json,
                "maintenance estimate of " + estimate.assetId());
    }

    /** Appends to the outbox; returns once it is stored as the fsync policy says. */
    private void store(int priority, String topic, byte[] payload, String what) {
        Outbox o = outbox;
        if (o == null) {
            failed.incrementAndGet();
            logError("not active: " + what + " not stored", null);
            return;
        }
        try {
            if (o.append(priority, topic, payload) < 0) {
                long held = dropLog.tryLog();
                if (held >= 0) {
                    Outbox.Counters c = o.counters();
                    LOG.warn("MQTT uplink: outbox full ({} messages, {} bytes{}): {} rejected by the overflow policy "
                            + "({} dropped in all)", c.pending(), c.bytes(),
                            isConnected() ? "" : ", broker not connected", what, c.dropped());
                }
                return;
            }
        } catch (IOException | RuntimeException e) {
            failed.incrementAndGet();
            logError("cannot store " + what + " in the outbox", e);
            return;
        }
        wake();
    }

    private boolean isConnected() {
        MqttConnection c = connection;
        return c != null && c.isConnected();
    }

    /** Counters for the metrics message and tests. */
    MessageJson.UplinkCounters counters() {
        Outbox o = outbox;
        Outbox.Counters c = o == null ? new Outbox.Counters(0, 0, 0, 0, 0, 0, 0, 0) : o.counters();
        MqttConnection conn = connection;
        return new MessageJson.UplinkCounters(published.get(), c.dropped() + failed.get(), c.pending(),
                c.recovered(), c.stored(), c.delivered(), c.expired(), c.dropped(), c.bytes(),
                conn == null ? 0 : conn.connectFailures(), conn == null ? 0 : conn.tlsFailures());
    }

    /**
     * On the scheduler thread: reads the health once; with {@code withMetrics} snapshots the counters (the publisher
     * sends the latest one); re-publishes the status when the health summary changed.
     */
    private void tick(boolean withMetrics) {
        try {
            if (!isConnected()) {
                return; // stale metrics are worthless; do not queue them; the next connect publishes the status
            }
            GatewayHealth health = health();
            if (withMetrics) {
                PipelineMetrics pm = pipelineMetrics;
                MetricsSnapshot snapshot = pm == null ? null : pm.snapshot();
                byte[] json = MessageJson.metrics(gatewayId, Instant.now(), snapshot, counters(), health);
                metrics.set(new Outgoing("gateway/" + gatewayId + "/metrics", json, 0, false, "metrics"));
            }
            updateStatus(health.summary());
            wake();
        } catch (RuntimeException | LinkageError e) {
            logError("cannot take metrics", e); // never let it escape: that would cancel the schedule
        }
    }

    /** Publishes the online status again when {@code summary} differs from the one it carries. */
    private void updateStatus(GatewayHealth.Summary summary) {
        synchronized (statusLock) {
            GatewayHealth.Summary before = statusSummary;
            if (since == null || summary.equals(before)) {
                return;
            }
            if (summary.ok()) {
                LOG.info("MQTT uplink: gateway health ok again (was: {})", before == null ? "" : before.problems());
            } else {
                LOG.warn("MQTT uplink: gateway health degraded: {}", summary.problems());
            }
            queueStatus(summary);
        }
    }

    /** Hands the online status with {@code summary} to the publisher (a newer one replaces one not yet sent). */
    private void queueStatus(GatewayHealth.Summary summary) {
        synchronized (statusLock) {
            statusSummary = summary;
            status.set(new Outgoing(statusTopic, MessageJson.online(gatewayId, since, version, summary), 1, true,
                    "online status"));
        }
    }

    /** The health of every source and reporter bound now. */
    private GatewayHealth health() {
        return health(sources, reporters);
    }

    /**
     * The health of these sources and reporters (service properties and service), read once each; a service that
     * fails to answer (throws, returns null) is reported as disconnected / not ok with the reason as detail.
     */
    static GatewayHealth health(List<Map.Entry<Map<String, Object>, TelemetrySource>> sources,
                                List<Map.Entry<Map<String, Object>, HealthReporter>> reporters) {
        TreeMap<String, SourceHealth> sourceHealth = new TreeMap<>();
        for (Map.Entry<Map<String, Object>, TelemetrySource> e : byServiceId(sources)) {
            Map<String, Object> props = e.getKey();
            TelemetrySource source = e.getValue();
            String id;
            try {
                id = source.sourceId();
            } catch (RuntimeException | LinkageError x) {
                id = null;
            }
            if (id == null || id.isBlank()) {
                id = name(props, TelemetrySource.SOURCE_ID);
            }
            SourceHealth h;
            try {
                h = source.health();
                if (h == null) {
                    h = new SourceHealth(false, "health() returned null", null, 0);
                }
            } catch (RuntimeException | LinkageError x) {
                h = new SourceHealth(false, "health() failed: " + x, null, 0);
            }
            sourceHealth.put(GatewayHealth.unique(sourceHealth, id), h);
        }
        TreeMap<String, HealthReport> reports = new TreeMap<>();
        for (Map.Entry<Map<String, Object>, HealthReporter> e : byServiceId(reporters)) {
            HealthReport r;
            try {
                r = e.getValue().health();
                if (r == null) {
                    r = HealthReport.failed("health() returned null");
                }
            } catch (RuntimeException | LinkageError x) {
                r = HealthReport.failed("health() failed: " + x);
            }
            String name = name(e.getKey(), HealthReporter.NAME);
            reports.put(GatewayHealth.unique(reports, name), r);
        }
        return new GatewayHealth(sourceHealth, reports);
    }

    /** Oldest service first, so that a name two services share is resolved the same way every time. */
    private static <S> List<Map.Entry<Map<String, Object>, S>> byServiceId(
            List<Map.Entry<Map<String, Object>, S>> services) {
        List<Map.Entry<Map<String, Object>, S>> sorted = new ArrayList<>(services);
        sorted.sort(Comparator.comparingLong(e -> e.getKey().get(Constants.SERVICE_ID) instanceof Number n
                ? n.longValue() : Long.MAX_VALUE));
        return sorted;
    }

    /** The service's name property; else its component name; else {@code service.<id>}. */
    private static String name(Map<String, Object> props, String key) {
        for (String k : new String[] {key, COMPONENT_NAME}) {
            Object v = props.get(k);
            if (v != null && !v.toString().isBlank()) {
                return v.toString().strip();
            }
        }
        return "service." + props.get(Constants.SERVICE_ID);
    }

    /** Connection events, on Paho's callback thread. */
    private final class Handler implements MqttConnection.Handler {
        @Override
        public void connected(boolean first) {
            GatewayHealth.Summary summary;
            try {
                summary = health().summary();
            } catch (RuntimeException | LinkageError e) {
                logError("cannot read the health", e);
                summary = GatewayHealth.Summary.OK;
            }
            synchronized (statusLock) {
                since = Instant.now();
                queueStatus(summary);
            }
            // a fresh window (publishes of the old connection fail back to their own), from the oldest message on,
            // paced until the backlog is gone
            inflight = new Semaphore(maxInflight);
            rewindTo.set(0);
            catchingUp = true;
            wake();
        }
    }

    private void wake() {
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    private void sleep(long millis) throws InterruptedException {
        synchronized (wakeup) {
            wakeup.wait(millis);
        }
    }

    // ---------------------------------------------------------------- publisher thread

    private void runPublisher() {
        LOG.debug("MQTT uplink: publisher started");
        long cursor = -1; // the last outbox seq handed to Paho on this connection
        long nextExpiry = System.nanoTime();
        long nextSlot = System.nanoTime();
        try {
            while (true) {
                boolean up = isConnected();
                if (stopping && (!up || System.nanoTime() - drainDeadlineNanos > 0 || drained(cursor))) {
                    break;
                }
                Outbox o = outbox;
                if (o == null) {
                    break;
                }
                if (System.nanoTime() - nextExpiry >= 0) {
                    nextExpiry = System.nanoTime() + EXPIRE_EVERY_NANOS;
                    int n = o.expire();
                    if (n > 0) {
                        LOG.warn("MQTT uplink: {} messages older than the outbox age limit expired ({} in all)", n,
                                o.counters().expired());
                    }
                }
                if (!up) {
                    sleep(200);
                    continue;
                }
                Outgoing control = status.getAndSet(null);
                if (control == null) {
                    control = metrics.getAndSet(null);
                }
                if (control != null) {
                    publishControl(control);
                    continue;
                }
                long rewind = rewindTo.getAndSet(Long.MAX_VALUE);
                if (rewind <= cursor) {
                    cursor = rewind - 1;
                }
                Outbox.Message m = o.next(cursor);
                if (m == null) {
                    catchingUp = false;
                    sleep(stopping ? 20 : 100);
                    continue;
                }
                if (catchingUp && drainIntervalNanos > 0) {
                    long now = System.nanoTime();
                    if (nextSlot - now > 0) {
                        LockSupport.parkNanos(nextSlot - now);
                    } else {
                        nextSlot = now; // no credit for idle time: the rate holds from the first message on
                    }
                    nextSlot += drainIntervalNanos;
                }
                Semaphore permits = inflight;
                if (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                if (publish(m, permits)) {
                    cursor = m.seq();
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException | Error e) {
            LOG.error("MQTT uplink: publisher thread failed; nothing more will be published until restart", e);
        }
        LOG.debug("MQTT uplink: publisher stopped");
    }

    private boolean drained(long cursor) {
        Outbox o = outbox;
        return status.get() == null && inflight.availablePermits() == maxInflight
                && (o == null || o.next(Math.min(cursor, rewindTo.get() - 1)) == null);
    }

    /** Status and metrics: outside the outbox; a failed one is not retried (a newer one comes). */
    private void publishControl(Outgoing m) throws InterruptedException {
        Semaphore permits = inflight;
        if (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
            if (m.retained()) {
                status.compareAndSet(null, m);
            }
            return;
        }
        try {
            connection.client().publish(m.topic(), m.payload(), m.qos(), m.retained(), new Control(m, permits),
                    listener);
        } catch (MqttException | RuntimeException e) {
            permits.release();
            if (m.retained()) {
                status.compareAndSet(null, m); // the online status matters: again after the reconnect
            }
            LOG.debug("MQTT uplink: {} not published: {}", m.what(), MqttConnection.describe(e));
            sleep(100);
        }
    }

    /** Hands one outbox message to Paho; true when it is on its way. */
    private boolean publish(Outbox.Message m, Semaphore permits) throws InterruptedException {
        MqttConnection c = connection;
        try {
            c.client().publish(m.topic(), m.payload(), alertQos, false, new Sent(m.seq(), permits), listener);
            return true;
        } catch (MqttException e) {
            permits.release();
            int code = e.getReasonCode();
            if (code == MqttException.REASON_CODE_MAX_INFLIGHT) {
                sleep(20);
            } else if (code == MqttException.REASON_CODE_CLIENT_NOT_CONNECTED
                    || code == MqttException.REASON_CODE_CLIENT_DISCONNECTING
                    || code == MqttException.REASON_CODE_CONNECTION_LOST) {
                sleep(100);
            } else {
                logError("publishing message " + m.seq() + " to " + m.topic() + " failed", e);
                sleep(100);
            }
            return false;
        } catch (RuntimeException e) {
            // e.g. a topic Paho refuses: it will never succeed
            permits.release();
            outbox.discard(m.seq());
            logError("cannot publish message " + m.seq() + " to " + m.topic() + ", dropped", e);
            return true;
        }
    }

    /** Paho completions (callback thread, or the thread that shuts the connection down). Quick. */
    private final class PublishListener implements IMqttActionListener {
        @Override
        public void onSuccess(IMqttToken token) {
            Object ctx = token.getUserContext();
            if (ctx instanceof Sent s) {
                s.permits().release();
                Outbox o = outbox;
                if (o != null && o.ack(s.seq())) {
                    published.incrementAndGet();
                }
            } else if (ctx instanceof Control c) {
                c.permits().release();
            }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
            Object ctx = token.getUserContext();
            if (ctx instanceof Sent s) {
                s.permits().release();
                rewindTo.accumulateAndGet(s.seq(), Math::min); // sent again after the reconnect
                LOG.debug("MQTT uplink: message {} not acknowledged ({}); will retry", s.seq(),
                        MqttConnection.describe(e));
            } else if (ctx instanceof Control c) {
                c.permits().release(); // a lost online status is published afresh on the next connect
            }
            wake();
        }
    }

    private void logError(String what, Throwable e) {
        long held = errorLog.tryLog();
        if (held >= 0) {
            LOG.warn("MQTT uplink: {}: {} ({} similar messages not logged)", what, MqttConnection.describe(e), held);
        }
    }
}

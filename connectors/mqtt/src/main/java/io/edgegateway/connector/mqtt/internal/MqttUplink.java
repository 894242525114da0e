package io.edgegateway.connector.mqtt.internal;

import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
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
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;

/**
 * The gateway's publishing connection: alerts, explanations, status (retained, with a Last Will) and metrics.
 * Topics and payloads are documented on {@link MessageJson}.
 *
 * <p>Threads: {@link #onAlert} and {@link #onExplanation} run on pipeline threads and never block: they encode and
 * put the message on a bounded queue ({@code queue.capacity}; when full the message is dropped, counted as
 * {@code uplink_dropped} and logged at a limited rate). The {@code mqtt-uplink-publisher} thread drains the queue:
 * while disconnected it waits (messages stay queued); it keeps at most {@code max.inflight} publishes
 * unacknowledged, and a publish that fails (connection lost before the acknowledgement) is queued again and sent
 * after the reconnect, ahead of newer messages: delivery is at least once while the gateway runs, consumers
 * deduplicate by {@code alertId}. The {@code mqtt-uplink-reconnect} thread connects, reconnects and takes metrics.
 *
 * <p>Messages still queued when the gateway stops are lost (counted in the log); a durable outbox that keeps them
 * across restarts comes later.
 */
@Component(configurationPid = MqttUplink.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {AlertSink.class, ExplanationSink.class}, immediate = true)
@Designate(ocd = MqttUplink.Config.class)
public final class MqttUplink implements AlertSink, ExplanationSink {

    static final String PID = "io.edgegateway.mqtt.uplink";
    /** Framework property naming this gateway in topics and messages. */
    static final String GATEWAY_ID_PROPERTY = "gateway.id";
    static final String DEFAULT_GATEWAY_ID = "gateway";
    static final String PUBLISHER_THREAD = "mqtt-uplink-publisher";
    static final String SCHEDULER_THREAD = "mqtt-uplink-reconnect";

    @ObjectClassDefinition(name = "Edge Gateway MQTT uplink",
            description = "Publishes alerts, explanations, gateway status and metrics to an MQTT broker.")
    public @interface Config {

        @AttributeDefinition(name = "Broker URL", description = "tcp://host:port or ssl://host:port")
        String broker_url();

        @AttributeDefinition(name = "Client id", required = false,
                description = "MQTT client id; empty: edgegw-<gateway.id>")
        String client_id() default "";

        @AttributeDefinition(name = "User name", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "Alert QoS", description = "QoS of alerts and explanations (0..2)",
                options = {@Option(label = "0", value = "0"), @Option(label = "1", value = "1"),
                        @Option(label = "2", value = "2")})
        int alert_qos() default 1;

        @AttributeDefinition(name = "Queue capacity", description = "messages waiting to be published; "
                + "when full, new alerts/explanations are dropped and counted")
        int queue_capacity() default 10000;

        @AttributeDefinition(name = "Metrics interval (s)", description = "0 disables metrics publishing")
        int metrics_interval_s() default 10;

        @AttributeDefinition(name = "Max in-flight messages", description = "unacknowledged QoS 1/2 publishes")
        int max_inflight() default 1000;

        @AttributeDefinition(name = "Min reconnect delay (ms)")
        long reconnect_min_ms() default 500;

        @AttributeDefinition(name = "Max reconnect delay (ms)")
        long reconnect_max_ms() default 30000;
    }

    /** One message to publish. {@code retry}: queue it again when its publish fails. */
    record Outgoing(String topic, byte[] payload, int qos, boolean retained, boolean retry, String what) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(MqttUplink.class);
    private static final long DRAIN_MS = 2000;
    private static final long DISCONNECT_TIMEOUT_MS = 2000;
    /** Paho's own in-flight window is ours plus room for status and metrics. */
    private static final int PAHO_EXTRA_INFLIGHT = 8;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile PipelineMetrics pipelineMetrics;

    private String gatewayId;
    private String statusTopic;
    private String version;
    private int alertQos;
    private int maxInflight;
    private ArrayBlockingQueue<Outgoing> queue;
    private final ConcurrentLinkedDeque<Outgoing> retry = new ConcurrentLinkedDeque<>();
    private final AtomicReference<Outgoing> status = new AtomicReference<>();
    private final AtomicReference<Outgoing> metrics = new AtomicReference<>();
    private Semaphore inflight;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
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
                    long reconnectMaxMs) {
    }

    static Settings validate(Config c, String gatewayId) {
        ConfigCheck s = new ConfigCheck(PID);
        ConfigCheck.BrokerUrl broker = s.brokerUrl("broker.url", c.broker_url());
        int qos = s.range("alert.qos", c.alert_qos(), 0, 2);
        int capacity = s.range("queue.capacity", c.queue_capacity(), 1, 10_000_000);
        int interval = s.range("metrics.interval.s", c.metrics_interval_s(), 0, 86_400);
        int maxInflight = s.range("max.inflight", c.max_inflight(), 1, 65535 - PAHO_EXTRA_INFLIGHT);
        long min = c.reconnect_min_ms();
        long max = c.reconnect_max_ms();
        if (min < 1 || min > 3_600_000) {
            throw s.invalid("reconnect.min.ms", min, "is out of range (1..3600000)");
        }
        if (max < min || max > 3_600_000) {
            throw s.invalid("reconnect.max.ms", max, "must be between reconnect.min.ms (" + min + ") and 3600000");
        }
        String clientId = ConfigCheck.optional(c.client_id());
        String password = ConfigCheck.optional(c.password());
        return new Settings(broker, clientId == null ? "edgegw-" + gatewayId : clientId,
                ConfigCheck.optional(c.username()), password == null ? null : password.toCharArray(), qos, capacity,
                interval, maxInflight, min, max);
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

    private static boolean isTopicLevel(String s) {
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
        queue = new ArrayBlockingQueue<>(s.queueCapacity());
        inflight = new Semaphore(maxInflight);

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
        connection = new MqttConnection("MQTT uplink", s.broker().url(), s.clientId(), options,
                new Backoff(s.reconnectMinMs(), s.reconnectMaxMs()), SCHEDULER_THREAD, new Handler());

        stopping = false;
        publisher = new Thread(this::runPublisher, PUBLISHER_THREAD);
        publisher.setDaemon(true);
        publisher.start();
        if (s.metricsIntervalS() > 0) {
            connection.scheduler().scheduleAtFixedRate(this::takeMetrics, s.metricsIntervalS(),
                    s.metricsIntervalS(), TimeUnit.SECONDS);
        }
        LOG.info("MQTT uplink: publishing for gateway '{}' to {} as client '{}' (alert qos {}, queue {}, metrics "
                + "every {} s)", gatewayId, s.broker().url(), s.clientId(), alertQos, s.queueCapacity(),
                s.metricsIntervalS());
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
        int lost = queue.size() + retry.size();
        if (lost > 0) {
            LOG.warn("MQTT uplink: {} alerts/explanations were not published before the stop (no durable outbox yet)",
                    lost);
        }
        queue.clear();
        retry.clear();
    }

    @Override
    public void onAlert(Alert alert) {
        try {
            enqueue(new Outgoing("gateway/" + gatewayId + "/alerts/" + topicLevel(alert.assetId()),
                    MessageJson.alert(alert, gatewayId), alertQos, false, true, "alert " + alert.alertId()));
        } catch (RuntimeException e) {
            logError("cannot encode alert " + alert.alertId(), e);
        }
    }

    @Override
    public void onExplanation(Explanation explanation) {
        try {
            enqueue(new Outgoing("gateway/" + gatewayId + "/explanations/" + topicLevel(explanation.assetId()),
                    MessageJson.explanation(explanation, gatewayId), alertQos, false, true,
                    "explanation of alert " + explanation.alertId()));
        } catch (RuntimeException e) {
            logError("cannot encode the explanation of alert " + explanation.alertId(), e);
        }
    }

    private void enqueue(Outgoing m) {
        ArrayBlockingQueue<Outgoing> q = queue;
        if (q == null || !q.offer(m)) {
            long total = dropped.incrementAndGet();
            long held = dropLog.tryLog();
            if (held >= 0) {
                LOG.warn("MQTT uplink: queue full ({} messages{}): dropped {} ({} dropped in all)",
                        q == null ? 0 : q.size(), isConnected() ? "" : ", broker not connected", m.what(), total);
            }
        }
    }

    private boolean isConnected() {
        MqttConnection c = connection;
        return c != null && c.isConnected();
    }

    /** Counters for the metrics message and tests. */
    MessageJson.UplinkCounters counters() {
        ArrayBlockingQueue<Outgoing> q = queue;
        return new MessageJson.UplinkCounters(published.get(), dropped.get(),
                (q == null ? 0 : q.size()) + retry.size());
    }

    /** On the scheduler thread: snapshot the counters; the publisher sends the latest one. */
    private void takeMetrics() {
        try {
            if (!isConnected()) {
                return; // stale metrics are worthless; do not queue them
            }
            PipelineMetrics pm = pipelineMetrics;
            MetricsSnapshot snapshot = pm == null ? null : pm.snapshot();
            byte[] json = MessageJson.metrics(gatewayId, Instant.now(), snapshot, counters());
            metrics.set(new Outgoing("gateway/" + gatewayId + "/metrics", json, 0, false, false, "metrics"));
            wake();
        } catch (RuntimeException e) {
            logError("cannot take metrics", e); // never let it escape: that would cancel the schedule
        }
    }

    /** Connection events, on Paho's callback thread. */
    private final class Handler implements MqttConnection.Handler {
        @Override
        public void connected(boolean first) {
            status.set(new Outgoing(statusTopic, MessageJson.online(gatewayId, Instant.now(), version), 1, true,
                    false, "online status"));
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
        try {
            while (true) {
                boolean up = isConnected();
                if (stopping && (!up || System.nanoTime() - drainDeadlineNanos > 0 || drained())) {
                    break;
                }
                if (!up) {
                    sleep(200);
                    continue;
                }
                Outgoing m = next();
                if (m == null) {
                    continue;
                }
                if (!inflight.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    putBack(m);
                    continue;
                }
                publish(m);
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException | Error e) {
            LOG.error("MQTT uplink: publisher thread failed; nothing more will be published until restart", e);
        }
        LOG.debug("MQTT uplink: publisher stopped");
    }

    private boolean drained() {
        return queue.isEmpty() && retry.isEmpty() && status.get() == null
                && inflight.availablePermits() == maxInflight;
    }

    /** Status first, then retries, then metrics, then new messages (waiting briefly for one). */
    private Outgoing next() throws InterruptedException {
        Outgoing m = status.getAndSet(null);
        if (m == null) {
            m = retry.pollFirst();
        }
        if (m == null) {
            m = metrics.getAndSet(null);
        }
        if (m == null) {
            m = queue.poll(stopping ? 20 : 100, TimeUnit.MILLISECONDS);
        }
        return m;
    }

    private void putBack(Outgoing m) {
        if (m.retry()) {
            retry.addFirst(m);
        } else if (m.retained()) {
            status.compareAndSet(null, m);
        } // metrics: a newer snapshot comes
    }

    private void publish(Outgoing m) throws InterruptedException {
        MqttConnection c = connection;
        try {
            c.client().publish(m.topic(), m.payload(), m.qos(), m.retained(), m, listener);
        } catch (MqttException e) {
            inflight.release();
            putBack(m);
            int code = e.getReasonCode();
            if (code == MqttException.REASON_CODE_MAX_INFLIGHT) {
                sleep(20);
            } else if (code == MqttException.REASON_CODE_CLIENT_NOT_CONNECTED
                    || code == MqttException.REASON_CODE_CLIENT_DISCONNECTING
                    || code == MqttException.REASON_CODE_CONNECTION_LOST) {
                sleep(100);
            } else {
                logError("publishing " + m.what() + " to " + m.topic() + " failed", e);
                sleep(100);
            }
        } catch (RuntimeException e) {
            // e.g. a topic Paho refuses: it will never succeed
            inflight.release();
            if (m.retry()) {
                dropped.incrementAndGet();
            }
            logError("cannot publish " + m.what() + " to " + m.topic() + ", dropped", e);
        }
    }

    /** Paho completions (callback thread, or the thread that shuts the connection down). Quick. */
    private final class PublishListener implements IMqttActionListener {
        @Override
        public void onSuccess(IMqttToken token) {
            inflight.release();
            Object m = token.getUserContext();
            if (m instanceof Outgoing o && o.retry()) {
                published.incrementAndGet();
            }
        }

        @Override
        public void onFailure(IMqttToken token, Throwable e) {
            inflight.release();
            Object m = token.getUserContext();
            if (m instanceof Outgoing o) {
                if (o.retry()) {
                    retry.addLast(o); // sent again after the reconnect
                } else if (o.retained()) {
                    // the online status is published afresh on the next connect
                }
                LOG.debug("MQTT uplink: {} not acknowledged ({}); will retry", o.what(), MqttConnection.describe(e));
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

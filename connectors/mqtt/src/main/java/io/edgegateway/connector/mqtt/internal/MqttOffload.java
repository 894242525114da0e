package io.edgegateway.connector.mqtt.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationOffload;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.OffloadExplainer;
import io.edgegateway.api.OffloadRequest;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec;
import io.edgegateway.connector.mqtt.internal.offload.OffloadTopics;
import io.edgegateway.connector.mqtt.internal.offload.PendingRequests;
import io.edgegateway.connector.mqtt.internal.offload.ServeGate;
import io.edgegateway.mqtt.support.BrokerTls;

/**
 * Inference offload over MQTT (configuration {@code io.edgegateway.mqtt.offload}): the broker the site already
 * runs spreads explanation requests over the gateways that have a model.
 *
 * <p>Requester: {@link #offload} publishes the request (QoS 1) on {@code request.topic} with a correlation id and
 * this gateway's reply topic, and waits for the reply there until the request's deadline ({@link PendingRequests}).
 *
 * <p>Server: while the local {@link OffloadExplainer} is {@link OffloadExplainer#serving() serving} (a model in
 * service), this gateway is subscribed to {@code $share/<group>/<request.topic>}, so the broker hands each request
 * to one of the gateways subscribed ({@link ServeGate}, checked every {@code check.interval.ms}). A request that
 * arrives while the explainer cannot take it (its queue too long, or the model just went away) is answered
 * {@code busy} at once: its requester sends it again, up to {@code busy.retries} times, and the broker hands the
 * copy to the group's next gateway; when every try was busy it falls back at once, without waiting for its
 * deadline. A saturated server stays in the group: leaving it would make requests vanish (a shared subscription
 * without members drops them) and their requesters wait the whole deadline.
 *
 * <p>Threads: Paho's callback thread only hands messages to the {@code mqtt-offload} thread (bounded; beyond
 * {@value #MAX_QUEUED} waiting messages they are dropped and counted), which decodes them, matches replies with
 * waiting requests, runs the deadlines and the serve checks; a request's stage completes on one of
 * {@value #COMPLETION_THREADS} {@code mqtt-offload-complete-N} threads (the explainer and the sinks continue there).
 * Routing is by topic in the client callback: Paho's per-subscription listeners match topics against the filter,
 * which never matches for a {@code $share/...} filter. Its own connection (clean session), so that requests never
 * queue behind the uplink's outbox backlog.
 */
@Component(configurationPid = MqttOffload.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {ExplanationOffload.class, HealthReporter.class},
        property = {HealthReporter.NAME + "=" + MqttOffload.HEALTH_NAME}, immediate = true)
@Designate(ocd = MqttOffload.Config.class)
public final class MqttOffload implements ExplanationOffload, HealthReporter {

    static final String PID = "io.edgegateway.mqtt.offload";
    static final String HEALTH_NAME = "mqtt-offload";
    static final String THREAD = "mqtt-offload";
    /** Messages waiting for the offload thread at most. */
    static final int MAX_QUEUED = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(MqttOffload.class);
    private static final long DISCONNECT_TIMEOUT_MS = 2000;
    /** Threads the requesters' stages complete on. */
    static final int COMPLETION_THREADS = 2;

    @ObjectClassDefinition(name = "Edge Gateway MQTT inference offload",
            description = "Sends explanation requests this gateway cannot serve to the gateways with a model "
                    + "(MQTT shared subscription), and serves theirs while its own model is in service.")
    public @interface Config {

        @AttributeDefinition(name = "Broker URL", description = "tcp://host:port, or ssl://host:port (also "
                + "mqtts://) for TLS; every gateway of the group uses the same broker (cluster)")
        String broker_url();

        @AttributeDefinition(name = "TLS: CA certificates", required = false)
        String tls_ca_file() default "";

        @AttributeDefinition(name = "TLS: client certificate", required = false)
        String tls_cert_file() default "";

        @AttributeDefinition(name = "TLS: client key", required = false)
        String tls_key_file() default "";

        @AttributeDefinition(name = "TLS: verify host name")
        boolean tls_hostname_verification() default true;

        @AttributeDefinition(name = "Client id", required = false,
                description = "MQTT client id; empty: edgegw-offload-<gateway.id>")
        String client_id() default "";

        @AttributeDefinition(name = "User name", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "Request topic", description = "where requests go; the gateways with a model "
                + "consume it as $share/<group>/<request.topic> (no wildcards, not starting with '$')")
        String request_topic() default "edgegateway/offload/explain";

        @AttributeDefinition(name = "Shared subscription group", description = "the group name of the shared "
                + "subscription: all gateways that serve one another use the same")
        String group() default "explainers";

        @AttributeDefinition(name = "Reply topic", description = "where a requester gets its replies; "
                + "{gatewayId} is the requester's gateway.id; the same on every gateway (a server answers only a "
                + "reply topic of this form)")
        String reply_topic() default "gateway/{gatewayId}/offload/reply";

        @AttributeDefinition(name = "Serve", description = "join the group (serve other gateways' requests) "
                + "while the local explainer has a model in service and room in its queue")
        boolean serve() default true;

        @AttributeDefinition(name = "Max pending requests", description = "requests of this gateway waiting "
                + "for replies at most; beyond it a request fails at once (the explainer's template)")
        int max_pending() default 256;

        @AttributeDefinition(name = "Retries when busy", description = "how often a request answered 'busy' is "
                + "sent again within its deadline (the broker hands each copy to the group's next gateway); then "
                + "the explainer's template")
        int busy_retries() default 2;

        @AttributeDefinition(name = "Serve check interval (ms)", description = "how often the explainer's "
                + "availability is checked to join or leave the group")
        int check_interval_ms() default 200;

        @AttributeDefinition(name = "Max payload (bytes)", description = "larger requests and replies are "
                + "refused (counted as bad_messages)")
        int max_payload_bytes() default 65536;

        @AttributeDefinition(name = "Max in-flight messages")
        int max_inflight() default 1000;

        @AttributeDefinition(name = "Min reconnect delay (ms)")
        long reconnect_min_ms() default 500;

        @AttributeDefinition(name = "Max reconnect delay (ms)")
        long reconnect_max_ms() default 30000;
    }

    /** A validated configuration. */
    record Settings(ConfigCheck.BrokerUrl broker, TlsSettings tls, String clientId, String username,
                    char[] password, OffloadTopics topics, boolean serve, int maxPending, int busyRetries,
                    int checkIntervalMs,
                    int maxPayloadBytes, int maxInflight, long reconnectMinMs, long reconnectMaxMs) {
    }

    static Settings validate(Config c, String gatewayId) {
        ConfigCheck s = new ConfigCheck(PID);
        ConfigCheck.BrokerUrl broker = s.brokerUrl("broker.url", c.broker_url());
        TlsSettings tls = TlsSettings.validate(s, broker, c.tls_ca_file(), c.tls_cert_file(), c.tls_key_file(),
                c.tls_hostname_verification());
        String request = topic(s, "request.topic", c.request_topic());
        String group = s.nonBlank("group", c.group(), "the shared subscription's group name");
        if (!MqttUplink.isTopicLevel(group)) {
            throw s.invalid("group", group, "must be one topic level (no '/', '+', '#')");
        }
        String reply = topic(s, "reply.topic", c.reply_topic().replace(OffloadTopics.GATEWAY_ID, "x"));
        if (!c.reply_topic().contains(OffloadTopics.GATEWAY_ID)) {
            throw s.invalid("reply.topic", c.reply_topic(), "must contain " + OffloadTopics.GATEWAY_ID
                    + " (each requester has its own)");
        }
        if (reply.equals(request)) {
            throw s.invalid("reply.topic", c.reply_topic(), "must differ from request.topic");
        }
        int maxPending = s.range("max.pending", c.max_pending(), 1, 1_000_000);
        int retries = s.range("busy.retries", c.busy_retries(), 0, 100);
        int check = s.range("check.interval.ms", c.check_interval_ms(), 10, 60_000);
        int maxPayload = s.range("max.payload.bytes", c.max_payload_bytes(), 1024, 16 * 1024 * 1024);
        int maxInflight = s.range("max.inflight", c.max_inflight(), 1, 65535);
        long min = c.reconnect_min_ms();
        long max = c.reconnect_max_ms();
        s.reconnectDelays(min, max);
        String clientId = ConfigCheck.optional(c.client_id());
        String password = ConfigCheck.optional(c.password());
        return new Settings(broker, tls, clientId == null ? "edgegw-offload-" + gatewayId : clientId,
                ConfigCheck.optional(c.username()), password == null ? null : password.toCharArray(),
                new OffloadTopics(request, group, c.reply_topic().strip()), c.serve(), maxPending, retries, check,
                maxPayload, maxInflight, min, max);
    }

    /** A topic to publish on: not empty, no wildcards, not a '$' (broker) topic. */
    private static String topic(ConfigCheck s, String key, String value) {
        String t = s.nonBlank(key, value, "an MQTT topic");
        if (t.contains("+") || t.contains("#") || t.startsWith("$") || t.startsWith("/") || t.endsWith("/")
                || t.contains("//")) {
            throw s.invalid(key, value, "must be a topic without wildcards, not starting with '$' or '/', "
                    + "without empty levels");
        }
        return t;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile OffloadExplainer explainer;

    private String gatewayId;
    private Settings settings;
    private String replyTopic;
    private MqttConnection connection;
    private ScheduledThreadPoolExecutor worker;
    /** Where the requesters' stages complete: the explainer and the sinks (an fsync each) continue there. */
    private ExecutorService completions;
    private PendingRequests pending;
    private final ServeGate gate = new ServeGate();
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean replyReady;
    private final LongAdder served = new LongAdder();
    private final LongAdder servedBusy = new LongAdder();
    private final LongAdder servedErrors = new LongAdder();
    private final LongAdder replyFailures = new LongAdder();
    private final LongAdder badMessages = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final RateLimitedLog badLog = new RateLimitedLog(10_000);

    @Activate
    void activate(Config config, BundleContext context) throws MqttException {
        String id = ConfigCheck.optional(context.getProperty(MqttUplink.GATEWAY_ID_PROPERTY));
        if (id != null && !MqttUplink.isTopicLevel(id)) {
            throw new IllegalArgumentException(PID + ": framework property '" + MqttUplink.GATEWAY_ID_PROPERTY
                    + "' = '" + id + "' is not usable in MQTT topics (no '/', '+', '#' or control characters)");
        }
        gatewayId = id == null ? MqttUplink.DEFAULT_GATEWAY_ID : id;
        settings = validate(config, gatewayId);
        replyTopic = settings.topics().replyTopic(gatewayId);
        MqttConnectOptions options = new MqttConnectOptions();
        // clean session: a request is worth its deadline only, and a server that goes away must leave the group
        options.setCleanSession(true);
        options.setMaxInflight(settings.maxInflight());
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        if (settings.username() != null) {
            options.setUserName(settings.username());
        }
        if (settings.password() != null) {
            options.setPassword(settings.password());
        }
        BrokerTls tls = settings.tls() == null ? null : settings.tls().create(context.getProperty("gateway.home"));
        connection = new MqttConnection("MQTT offload", settings.broker().url(), settings.clientId(), options, tls,
                new Backoff(settings.reconnectMinMs(), settings.reconnectMaxMs()), THREAD + "-reconnect",
                new Handler());
        // threads only once nothing can fail any more
        worker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, THREAD);
            t.setDaemon(true);
            return t;
        });
        worker.setRemoveOnCancelPolicy(true); // most deadlines are cancelled by their reply
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // deactivate fails what still waits
        AtomicInteger n = new AtomicInteger();
        completions = Executors.newFixedThreadPool(COMPLETION_THREADS, r -> {
            Thread t = new Thread(r, THREAD + "-complete-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pending = new PendingRequests(settings.maxPending(), settings.busyRetries(), worker,
                System::currentTimeMillis);
        worker.scheduleWithFixedDelay(this::check, settings.checkIntervalMs(), settings.checkIntervalMs(),
                TimeUnit.MILLISECONDS);
        LOG.info("MQTT offload: gateway '{}' sends explanation requests it cannot serve to '{}' (replies on '{}'); "
                        + "{} via {} at {} as client '{}'", gatewayId, settings.topics().requestTopic(), replyTopic,
                settings.serve() ? "serves others while its model is in service" : "serves no one",
                settings.topics().sharedFilter(), settings.broker().url(), settings.clientId());
        connection.start();
    }

    @Deactivate
    void deactivate() {
        connection.close(DISCONNECT_TIMEOUT_MS, null);
        stop(worker);
        pending.failAll("stopped"); // what still waits falls back to templates now
        stop(completions);
    }

    private static void stop(ExecutorService executor) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }

    // ---- requester ----

    @Override
    public CompletionStage<Explanation> offload(OffloadRequest request) {
        if (!replyReady || !connection.isConnected()) {
            return CompletableFuture.failedFuture(new IllegalStateException("offload: not connected to "
                    + settings.broker().url()));
        }
        String requestId = UUID.randomUUID().toString();
        long deadline = Math.max(1, request.deadline().toMillis());
        byte[] payload;
        try {
            payload = OffloadCodec.request(new OffloadCodec.Request(requestId, gatewayId, replyTopic, deadline,
                    request.alert(), request.context()));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Explanation> f = pending.register(requestId, request.alert(), deadline, payload);
        if (f.isDone()) {
            return f; // refused: too many waiting
        }
        // the caller continues on a completion thread, not on the offload thread that reads the replies:
        // concurrent sinks share the outbox's fsyncs, and a slow sink never holds up replies or deadlines
        CompletableFuture<Explanation> out = new CompletableFuture<>();
        f.whenCompleteAsync((e, failure) -> {
            if (failure != null) {
                out.completeExceptionally(failure);
            } else {
                out.complete(e);
            }
        }, completions);
        send(requestId, payload);
        return out;
    }

    /** Publishes a request (QoS 1); a request that cannot be sent fails now. */
    private void send(String requestId, byte[] payload) {
        try {
            connection.client().publish(settings.topics().requestTopic(), payload, 1, false, null,
                    new IMqttActionListener() {
                        @Override
                        public void onSuccess(IMqttToken token) {
                            // the reply completes it
                        }

                        @Override
                        public void onFailure(IMqttToken token, Throwable e) {
                            execute(() -> pending.failed(requestId, new IllegalStateException("offload: request not "
                                    + "sent: " + MqttConnection.describe(e))));
                        }
                    });
        } catch (MqttException | RuntimeException e) {
            pending.failed(requestId, new IllegalStateException("offload: request not sent: "
                    + MqttConnection.describe(e), e));
        }
    }

    // ---- server ----

    /** Joins or leaves the group as the explainer's availability says; on the offload thread. */
    private void check() {
        long epoch = gate.epoch();
        ServeGate.Action action = gate.decide(serving(explainer));
        if (action == ServeGate.Action.NONE) {
            return;
        }
        IMqttActionListener done = new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] granted = token.getGrantedQos();
                boolean ok = action == ServeGate.Action.UNSUBSCRIBE || granted == null || granted.length == 0
                        || granted[0] != 0x80;
                gate.done(epoch, action, ok);
                if (!ok) {
                    logBad("the broker refused the shared subscription " + settings.topics().sharedFilter());
                } else { // only when a model comes or goes: rare
                    LOG.info("MQTT offload: {} ({} joins, {} leaves so far)", action == ServeGate.Action.SUBSCRIBE
                                    ? "serving other gateways' explanation requests: subscribed to "
                                    + settings.topics().sharedFilter()
                                    : "not serving other gateways now (no model in service): unsubscribed",
                            gate.joins(), gate.leaves());
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
                gate.done(epoch, action, false);
                logBad((action == ServeGate.Action.SUBSCRIBE ? "subscribe to " : "unsubscribe from ")
                        + settings.topics().sharedFilter() + " failed: " + MqttConnection.describe(e));
            }
        };
        try {
            if (action == ServeGate.Action.SUBSCRIBE) {
                connection.client().subscribe(settings.topics().sharedFilter(), 1, null, done);
            } else {
                connection.client().unsubscribe(settings.topics().sharedFilter(), null, done);
            }
        } catch (MqttException | RuntimeException e) {
            gate.done(epoch, action, false);
            logBad(action + " " + settings.topics().sharedFilter() + ": " + MqttConnection.describe(e));
        }
    }

    private boolean serving(OffloadExplainer x) {
        if (!settings.serve() || x == null) {
            return false;
        }
        try {
            return x.serving();
        } catch (RuntimeException e) {
            logBad("the explainer's serving() failed: " + e);
            return false;
        }
    }

    private void onRequest(byte[] payload) {
        OffloadCodec.Request r;
        try {
            r = OffloadCodec.parseRequest(payload);
            if (!settings.topics().validReplyTo(r.requester(), r.replyTo())) {
                // never publish where a request says unless it is that requester's reply topic
                throw new IllegalArgumentException("offload request " + r.requestId() + ": replyTo '" + r.replyTo()
                        + "' is not the reply topic of gateway '" + r.requester() + "' (reply.topic "
                        + settings.topics().replyPattern() + ")");
            }
        } catch (OffloadCodec.BadMessage e) {
            badMessages.increment();
            logBad(e.getMessage());
            if (e.requestId() != null && e.replyTo() != null && settings.topics().isReplyTopic(e.replyTo())) {
                reply(e.replyTo(), OffloadCodec.refusal(e.requestId(), gatewayId, OffloadCodec.Status.ERROR,
                        e.getMessage()));
            }
            return;
        } catch (IllegalArgumentException e) {
            badMessages.increment();
            logBad(e.getMessage());
            return;
        }
        OffloadExplainer x = explainer;
        if (!serving(x)) {
            refuse(r, OffloadCodec.Status.BUSY, x == null ? "no explainer" : "not serving (no model in service)");
            execute(this::check); // leave the group now rather than at the next check
            return;
        }
        CompletionStage<Explanation> stage;
        try {
            stage = x.explainOffloaded(new OffloadRequest(r.alert(), r.context(),
                    Duration.ofMillis(r.deadlineMillis())));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((e, failure) -> {
            if (failure == null && e != null) {
                served.increment();
                reply(r.replyTo(), OffloadCodec.answer(r.requestId(), gatewayId, e));
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof RejectedExecutionException) {
                refuse(r, OffloadCodec.Status.BUSY, cause.getMessage());
            } else {
                servedErrors.increment();
                refuse(r, OffloadCodec.Status.ERROR, cause == null ? "no explanation" : String.valueOf(
                        cause.getMessage() == null ? cause : cause.getMessage()));
            }
        });
    }

    private void refuse(OffloadCodec.Request r, OffloadCodec.Status status, String reason) {
        if (status == OffloadCodec.Status.BUSY) {
            servedBusy.increment();
        }
        reply(r.replyTo(), OffloadCodec.refusal(r.requestId(), gatewayId, status, reason));
    }

    /** Publishes a reply (QoS 1); never blocks. */
    private void reply(String topic, byte[] payload) {
        try {
            connection.client().publish(topic, payload, 1, false, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    replyFailures.increment();
                }
            });
        } catch (MqttException | RuntimeException e) {
            replyFailures.increment();
            logBad("reply on " + topic + " not sent: " + MqttConnection.describe(e));
        }
    }

    // ---- both ----

    private void route(String topic, byte[] payload) {
        if (payload.length > settings.maxPayloadBytes()) {
            badMessages.increment();
            logBad("message on '" + topic + "' of " + payload.length + " bytes refused (max.payload.bytes "
                    + settings.maxPayloadBytes() + ")");
            return;
        }
        switch (settings.topics().route(topic, gatewayId)) {
            case REPLY -> {
                try {
                    OffloadCodec.Reply reply = OffloadCodec.parseReply(payload);
                    if (pending.onReply(reply) == PendingRequests.Outcome.RETRY) {
                        byte[] again = pending.payload(reply.requestId());
                        if (again != null) {
                            send(reply.requestId(), again);
                        }
                    }
                } catch (IllegalArgumentException e) {
                    badMessages.increment();
                    logBad(e.getMessage());
                }
            }
            case REQUEST -> onRequest(payload);
            default -> {
                badMessages.increment();
                logBad("message on unexpected topic '" + topic + "' ignored");
            }
        }
    }

    private void execute(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException stopping) {
            // deactivating: deactivate() fails what still waits
        }
    }

    private void logBad(String what) {
        long held = badLog.tryLog();
        if (held >= 0) {
            LOG.warn("MQTT offload: {}{}", what, held > 0 ? " (" + held + " similar problems not logged)" : "");
        }
    }

    private final class Handler implements MqttConnection.Handler {
        @Override
        public void connected(boolean first) {
            long epoch = gate.connected();
            replyReady = false;
            try {
                connection.client().subscribe(replyTopic, 1, null, new IMqttActionListener() {
                    @Override
                    public void onSuccess(IMqttToken token) {
                        if (gate.epoch() == epoch) {
                            replyReady = true;
                        }
                        execute(MqttOffload.this::check);
                    }

                    @Override
                    public void onFailure(IMqttToken token, Throwable e) {
                        logBad("subscribe to the reply topic " + replyTopic + " failed: "
                                + MqttConnection.describe(e));
                    }
                });
            } catch (MqttException e) {
                logBad("subscribe to the reply topic " + replyTopic + " failed: " + MqttConnection.describe(e));
            }
        }

        @Override
        public void connectionLost() {
            gate.connectionLost();
            replyReady = false;
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            if (queued.incrementAndGet() > MAX_QUEUED) {
                queued.decrementAndGet();
                dropped.increment();
                return;
            }
            byte[] payload = message.getPayload();
            try {
                worker.execute(() -> {
                    queued.decrementAndGet();
                    route(topic, payload);
                });
            } catch (RejectedExecutionException stopping) {
                queued.decrementAndGet();
            }
        }
    }

    /** Ok while connected with the reply topic subscribed; counters of both sides. */
    @Override
    public HealthReport health() {
        Map<String, Number> c = new LinkedHashMap<>();
        c.put("sent", pending.sent());
        c.put("answered", pending.answered());
        c.put("retried", pending.retried());
        c.put("busy", pending.busy());
        c.put("errors", pending.errors());
        c.put("timed_out", pending.timedOut());
        c.put("late", pending.late());
        c.put("refused", pending.refused());
        c.put("send_failed", pending.failed());
        c.put("pending", pending.pending());
        c.put("serving", gate.subscribed() ? 1 : 0);
        c.put("joins", gate.joins());
        c.put("leaves", gate.leaves());
        c.put("served", served.sum());
        c.put("served_busy", servedBusy.sum());
        c.put("served_errors", servedErrors.sum());
        c.put("reply_failures", replyFailures.sum());
        c.put("bad_messages", badMessages.sum());
        c.put("dropped", dropped.sum());
        boolean up = connection.isConnected() && replyReady;
        String serves = settings.serve() ? "; serves through " + settings.topics().sharedFilter()
                + " while a model is in service" : "; serves no one";
        return new HealthReport(up, up ? "requests to " + settings.topics().requestTopic() + ", replies on "
                + replyTopic + serves : "not connected to " + settings.broker().url(), c);
    }
}

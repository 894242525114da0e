package io.edgegateway.connector.mqtt.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.annotation.bundle.Capability;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.MqttTopic;
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

import io.edgegateway.api.SourceHealth;
import io.edgegateway.api.TelemetryIngest;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.api.TelemetrySource;
import io.edgegateway.mqtt.support.BrokerTls;

/**
 * Subscribes to an MQTT broker and feeds what arrives into the pipeline. One instance per factory configuration
 * ({@code io.edgegateway.mqtt.source-<alias>.cfg}).
 *
 * <p>Threads: Paho's callback thread decodes each message and calls {@link TelemetryIngest#offer} (which may wait
 * when the pipeline applies backpressure: QoS 1 acknowledgements are then withheld and the broker keeps the data);
 * the scheduler thread {@code mqtt-source-<name>-reconnect} connects, reconnects and subscribes. Both stop in
 * {@link #deactivate()}.
 *
 * <p>The {@link TelemetrySource} service is registered by hand in {@link #activate} (the component itself declares
 * no service) because its {@link TelemetrySource#SOURCE_ID} property is computed from the configuration, which a
 * DS-declared service cannot do; the component is immediate so it connects without waiting for a consumer.
 */
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"io.edgegateway.api.TelemetrySource\"",
        uses = TelemetrySource.class)
@Component(configurationPid = MqttTelemetrySource.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = MqttTelemetrySource.Config.class, factory = true)
public final class MqttTelemetrySource implements TelemetrySource {

    static final String PID = "io.edgegateway.mqtt.source";

    @ObjectClassDefinition(name = "Edge Gateway MQTT telemetry source",
            description = "Subscribes to MQTT topics and turns JSON or plain-number payloads into samples.")
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

        @AttributeDefinition(name = "Client id", required = false, description = "MQTT client id; empty: "
                + "edgegw-src-<random>, generated once and kept in the bundle's data area (stable across reconnects "
                + "and restarts, so a persistent session survives)")
        String client_id() default "";

        @AttributeDefinition(name = "User name", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "Topics", description = "MQTT topic filters (+ and # wildcards), "
                + "comma-separated, e.g. plant/+/+,plant/+/batch")
        String[] topics();

        @AttributeDefinition(name = "QoS", description = "Subscription QoS 0..2",
                options = {@Option(label = "0", value = "0"), @Option(label = "1", value = "1"),
                        @Option(label = "2", value = "2")})
        int qos() default 1;

        @AttributeDefinition(name = "Clean session", description = "false: the broker keeps QoS 1/2 messages "
                + "for this client while it is away")
        boolean clean_session() default false;

        @AttributeDefinition(name = "Payload format", options = {@Option(label = "JSON", value = "json"),
                @Option(label = "Plain number", value = "number")})
        String payload_format() default "json";

        @AttributeDefinition(name = "Topic pattern", required = false, description = "e.g. plant/{asset}/{signal}: "
                + "{asset} and {signal} levels name the asset and signal (required for number payloads, defaults "
                + "for JSON); + matches any level, # the rest, other text must match literally")
        String topic_pattern() default "";

        @AttributeDefinition(name = "JSON asset field")
        String json_asset() default "asset";

        @AttributeDefinition(name = "JSON signal field")
        String json_signal() default "signal";

        @AttributeDefinition(name = "JSON value field")
        String json_value() default "value";

        @AttributeDefinition(name = "JSON unit field")
        String json_unit() default "unit";

        @AttributeDefinition(name = "JSON timestamp field", description = "epoch milliseconds or ISO-8601 text")
        String json_timestamp() default "ts";

        @AttributeDefinition(name = "JSON quality field", description = "GOOD, UNCERTAIN or BAD (default GOOD)")
        String json_quality() default "quality";

        @AttributeDefinition(name = "Max payload bytes")
        int max_payload_bytes() default 65536;

        @AttributeDefinition(name = "Min reconnect delay (ms)")
        long reconnect_min_ms() default 500;

        @AttributeDefinition(name = "Max reconnect delay (ms)")
        long reconnect_max_ms() default 30000;

        @AttributeDefinition(name = "Max in-flight messages")
        int max_inflight() default 1000;

        @AttributeDefinition(name = "Source name", required = false,
                description = "the source id is mqtt:<source name>; empty: the broker's host:port")
        String source_name() default "";
    }

    /** A validated configuration. */
    record Settings(ConfigCheck.BrokerUrl broker, String clientId, String username, char[] password,
                    List<String> topics, int qos, boolean cleanSession, PayloadDecoder.Format format,
                    TopicPattern topicPattern, PayloadDecoder.Fields fields, int maxPayloadBytes,
                    long reconnectMinMs, long reconnectMaxMs, int maxInflight, String sourceName,
                    TlsSettings tls) {

        String sourceId() {
            return "mqtt:" + sourceName;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(MqttTelemetrySource.class);
    private static final long DISCONNECT_TIMEOUT_MS = 2000;

    @Reference
    private TelemetryIngest ingest;

    private Settings settings;
    private String sourceId;
    private PayloadDecoder decoder;
    private MqttConnection connection;
    private ServiceRegistration<TelemetrySource> registration;
    private String[] filters;
    private int[] qos;

    private final AtomicLong messages = new AtomicLong();
    private volatile Instant lastMessage;
    private volatile Thread offeringThread;
    private final RateLimitedLog errorLog = new RateLimitedLog(10_000);

    /** Validates a configuration; the message of the exception names the configuration and the setting. */
    static Settings validate(Config c) {
        ConfigCheck s = new ConfigCheck(PID);
        ConfigCheck.BrokerUrl broker = s.brokerUrl("broker.url", c.broker_url());
        TlsSettings tls = TlsSettings.validate(s, broker, c.tls_ca_file(), c.tls_cert_file(), c.tls_key_file(),
                c.tls_hostname_verification());
        List<String> topics = ConfigCheck.list(c.topics());
        if (topics.isEmpty()) {
            throw s.missing("topics", "expected comma-separated MQTT topic filters, e.g. plant/+/+");
        }
        for (String t : topics) {
            try {
                MqttTopic.validate(t, true);
            } catch (IllegalArgumentException e) {
                throw s.invalid("topics", String.join(",", topics), "contains an invalid topic filter '" + t + "': "
                        + e.getMessage());
            }
        }
        int qos = s.range("qos", c.qos(), 0, 2);
        String fmt = ConfigCheck.optional(c.payload_format());
        PayloadDecoder.Format format;
        if (fmt == null || fmt.equalsIgnoreCase("json")) {
            format = PayloadDecoder.Format.JSON;
        } else if (fmt.equalsIgnoreCase("number")) {
            format = PayloadDecoder.Format.NUMBER;
        } else {
            throw s.invalid("payload.format", c.payload_format(), "is not a payload format (expected json or number)");
        }
        TopicPattern pattern = null;
        String p = ConfigCheck.optional(c.topic_pattern());
        if (p != null) {
            try {
                pattern = TopicPattern.parse(p);
            } catch (IllegalArgumentException e) {
                throw s.invalid("topic.pattern", p, "is not a valid topic pattern: " + e.getMessage());
            }
        }
        if (format == PayloadDecoder.Format.NUMBER) {
            if (pattern == null) {
                throw s.missing("topic.pattern", "payload.format=number takes the asset and signal from the topic, "
                        + "e.g. plant/{asset}/{signal}");
            }
            if (!pattern.capturesAsset() || !pattern.capturesSignal()) {
                throw s.invalid("topic.pattern", p, "needs both {asset} and {signal} levels for payload.format=number");
            }
        }
        PayloadDecoder.Fields fields = new PayloadDecoder.Fields(
                s.nonBlank("json.asset", c.json_asset(), "name of the JSON asset field"),
                s.nonBlank("json.signal", c.json_signal(), "name of the JSON signal field"),
                s.nonBlank("json.value", c.json_value(), "name of the JSON value field"),
                s.nonBlank("json.unit", c.json_unit(), "name of the JSON unit field"),
                s.nonBlank("json.timestamp", c.json_timestamp(), "name of the JSON timestamp field"),
                s.nonBlank("json.quality", c.json_quality(), "name of the JSON quality field"));
        int maxPayload = s.range("max.payload.bytes", c.max_payload_bytes(), 1, 256 * 1024 * 1024);
        long min = c.reconnect_min_ms();
        long max = c.reconnect_max_ms();
        s.reconnectDelays(min, max);
        int maxInflight = s.range("max.inflight", c.max_inflight(), 1, 65535);
        String name = ConfigCheck.optional(c.source_name());
        if (name == null) {
            name = broker.hostPort();
        }
        String password = ConfigCheck.optional(c.password());
        return new Settings(broker, ConfigCheck.optional(c.client_id()), ConfigCheck.optional(c.username()),
                password == null ? null : password.toCharArray(), List.copyOf(topics), qos, c.clean_session(),
                format, pattern, fields, maxPayload, min, max, maxInflight, name, tls);
    }

    @Activate
    void activate(Config config, BundleContext context) throws MqttException {
        Settings s = validate(config);
        this.settings = s;
        this.sourceId = s.sourceId();
        this.decoder = new PayloadDecoder(s.format(), s.topicPattern(), s.fields(), s.maxPayloadBytes(), sourceId);
        this.filters = s.topics().toArray(new String[0]);
        this.qos = new int[filters.length];
        java.util.Arrays.fill(qos, s.qos());
        String clientId = s.clientId() != null ? s.clientId() : stableClientId(context, s.sourceName());

        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(s.cleanSession());
        options.setMaxInflight(s.maxInflight());
        options.setKeepAliveInterval(30);
        options.setConnectionTimeout(10);
        if (s.username() != null) {
            options.setUserName(s.username());
        }
        if (s.password() != null) {
            options.setPassword(s.password());
        }
        String name = "MQTT source '" + s.sourceName() + "'";
        BrokerTls tls = s.tls() == null ? null : s.tls().create(context.getProperty("gateway.home"));
        connection = new MqttConnection(name, s.broker().url(), clientId, options, tls,
                new Backoff(s.reconnectMinMs(), s.reconnectMaxMs()),
                "mqtt-source-" + s.sourceName() + "-reconnect", new Handler());

        Hashtable<String, Object> props = new Hashtable<>();
        props.put(TelemetrySource.SOURCE_ID, sourceId);
        props.put("source.name", s.sourceName());
        props.put("broker.url", s.broker().url());
        props.put("topics", filters.clone());
        registration = context.registerService(TelemetrySource.class, this, props);
        LOG.info("{}: subscribing to {} on {} as client '{}' (payload {}, qos {}, clean session {})", name,
                s.topics(), s.broker().url(), clientId, s.format().name().toLowerCase(Locale.ROOT), s.qos(),
                s.cleanSession());
        if (tls != null) {
            LOG.info("{}: {}", name, tls.describe());
        }
        connection.start();
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
        if (connection != null) {
            // A callback thread blocked in ingest.offer (backpressure) would keep Paho's shutdown waiting: wake it.
            connection.close(DISCONNECT_TIMEOUT_MS, () -> {
                Thread t = offeringThread;
                if (t != null) {
                    t.interrupt();
                }
            });
            connection = null;
        }
    }

    @Override
    public String sourceId() {
        return sourceId;
    }

    @Override
    public SourceHealth health() {
        MqttConnection c = connection;
        return new SourceHealth(c != null && c.isConnected(), c == null ? "stopped" : c.detail(), lastMessage,
                messages.get());
    }

    /** Connection events and messages, on Paho's callback thread. */
    private final class Handler implements MqttConnection.Handler {

        @Override
        public void connected(boolean first) {
            // Always resubscribe: harmless with a persistent session, necessary with a clean one. Not on this
            // (callback) thread: the scheduler does it.
            MqttConnection c = connection;
            if (c != null) {
                try {
                    c.scheduler().execute(MqttTelemetrySource.this::subscribe);
                } catch (RejectedExecutionException e) {
                    // stopping
                }
            }
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            onMessage(topic, message);
        }
    }

    private void subscribe() {
        MqttConnection c = connection;
        if (c == null || !c.isConnected()) {
            return;
        }
        String list = String.join(",", filters);
        try {
            c.client().subscribe(filters, qos, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    int[] granted = token.getGrantedQos();
                    StringBuilder refused = new StringBuilder();
                    for (int i = 0; granted != null && i < granted.length && i < filters.length; i++) {
                        if (granted[i] == 0x80) {
                            refused.append(refused.length() == 0 ? "" : ",").append(filters[i]);
                        }
                    }
                    if (refused.length() > 0) {
                        LOG.warn("MQTT source '{}': the broker refused the subscription to {}",
                                settings.sourceName(), refused);
                        c.setDetail("connected to " + c.url() + ", subscribed to " + list + ", refused: " + refused);
                    } else {
                        LOG.info("MQTT source '{}': subscribed to {}", settings.sourceName(), list);
                        if (c.isConnected()) {
                            c.setDetail("connected to " + c.url() + ", subscribed to " + list);
                        }
                    }
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    subscribeFailed(c, e);
                }
            });
        } catch (MqttException | RuntimeException e) {
            subscribeFailed(c, e);
        }
    }

    private void subscribeFailed(MqttConnection c, Throwable e) {
        String why = MqttConnection.describe(e);
        if (!c.isConnected()) {
            return; // the next connect subscribes again
        }
        LOG.warn("MQTT source '{}': subscribing to {} failed: {}; retrying in {} ms", settings.sourceName(),
                String.join(",", filters), why, settings.reconnectMaxMs());
        c.setDetail("connected to " + c.url() + ", subscribe failed: " + why);
        try {
            c.scheduler().schedule(this::subscribe, settings.reconnectMaxMs(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ex) {
            // stopping
        }
    }

    /** On Paho's callback thread: decode, hand over, never throw. */
    void onMessage(String topic, MqttMessage message) {
        try {
            Instant now = Instant.now();
            messages.incrementAndGet();
            lastMessage = now;
            PayloadDecoder.Result r = decoder.decode(topic, message.getPayload(), now);
            for (PayloadDecoder.Reject reject : r.rejects()) {
                ingest.reject(sourceId, reject.reason(), reject.detail());
            }
            List<TelemetrySample> samples = r.samples();
            if (!samples.isEmpty()) {
                offeringThread = Thread.currentThread();
                try {
                    for (int i = 0; i < samples.size(); i++) {
                        ingest.offer(samples.get(i));
                    }
                } finally {
                    offeringThread = null;
                }
            }
        } catch (RuntimeException | LinkageError | AssertionError e) {
            long held = errorLog.tryLog();
            if (held >= 0) {
                LOG.error("MQTT source '{}': error handling a message on '{}' ({} similar errors not logged)",
                        settings == null ? "?" : settings.sourceName(), topic, held, e);
            }
        }
    }

    /**
     * The default client id: {@code edgegw-src-<random>}, made once per source name and kept in the bundle's data
     * area, so it stays the same across reconnects and restarts (a persistent session, clean.session=false, is
     * found again) and differs between installations.
     */
    static String stableClientId(BundleContext context, String sourceName) {
        String fresh = "edgegw-src-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        java.io.File f = context == null ? null
                : context.getDataFile("client-id-" + sourceName.replaceAll("[^A-Za-z0-9._-]", "_") + ".txt");
        if (f == null) {
            return fresh;
        }
        Path path = f.toPath();
        try {
            if (Files.isRegularFile(path)) {
                String id = Files.readString(path, StandardCharsets.UTF_8).strip();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            Files.createDirectories(path.getParent());
            Files.writeString(path, fresh + "\n", StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            LOG.warn("MQTT source '{}': cannot keep the client id in {}: {}; using {} for this run", sourceName,
                    path, e.toString(), fresh);
        }
        return fresh;
    }
}

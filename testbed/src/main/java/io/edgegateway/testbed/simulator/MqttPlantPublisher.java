package io.edgegateway.testbed.simulator;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a {@link SampleSource}'s samples (the {@link PlantSimulator}, a {@link CmapssReplay}) to an MQTT broker,
 * one message per sample on {@code plant/<asset>/<signal>}, paced at the source's period by one scheduled thread.
 *
 * <p>The simulation starts with the first successful connection (so the fault times count from the first published
 * sample); the first connection is retried every second until it succeeds (Paho's automatic reconnect does not
 * cover a failed first connect). After that, Paho reconnects by itself and
 * the simulation keeps its pace: samples produced while disconnected are counted as dropped, not queued.
 *
 * <p>{@link #close()} stops the thread, disconnects and closes the client.
 */
public final class MqttPlantPublisher implements AutoCloseable {

    /** Topic prefix: samples go to {@code plant/<asset>/<signal>}. */
    public static final String TOPIC_PREFIX = "plant";

    private static final Logger LOG = LoggerFactory.getLogger(MqttPlantPublisher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long RETRY_MILLIS = 1000;

    private final String brokerUrl;
    private final SampleSource source;
    private final int qos;
    private final PayloadFormat format;
    private final Clock clock;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private ScheduledExecutorService scheduler;
    private volatile boolean everConnected;
    private volatile String lastError = "";
    private volatile ScheduledFuture<?> connecting;
    private boolean closed;

    /**
     * @param brokerUrl e.g. {@code tcp://localhost:1883}
     * @param clientId  MQTT client id; null or empty for a generated one
     * @param source    the simulator or replay to tick; only this publisher's thread touches it once started
     * @param qos       0, 1 or 2
     * @param format    payload format
     * @throws IllegalArgumentException for a bad URL or QoS
     */
    public MqttPlantPublisher(String brokerUrl, String clientId, SampleSource source, int qos,
                              PayloadFormat format) {
        this(brokerUrl, clientId, source, qos, format, Clock.systemUTC());
    }

    /** As the other constructor, with the clock that stamps the samples. */
    public MqttPlantPublisher(String brokerUrl, String clientId, SampleSource source, int qos,
                              PayloadFormat format, Clock clock) {
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("QoS " + qos + " must be 0, 1 or 2");
        }
        this.brokerUrl = brokerUrl;
        this.source = source;
        this.qos = qos;
        this.format = format;
        this.clock = clock;
        String id = clientId == null || clientId.isBlank() ? "testbed-sim-" + Long.toHexString(System.nanoTime())
                : clientId;
        try {
            this.client = new MqttAsyncClient(brokerUrl, id, new MemoryPersistence());
        } catch (MqttException | IllegalArgumentException e) {
            throw new IllegalArgumentException("broker URL '" + brokerUrl + "': " + e.getMessage(), e);
        }
        options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(true);
        options.setConnectionTimeout(5);
        options.setKeepAliveInterval(30);
        options.setMaxInflight(Math.max(1000, 4 * source.samplesPerTick()));
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverUri) {
                if (reconnect) {
                    LOG.info("reconnected to {}", serverUri);
                }
            }

            @Override
            public void connectionLost(Throwable cause) {
                LOG.warn("connection to {} lost: {}", brokerUrl, cause == null ? "" : cause.toString());
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                // publish only
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
                delivered.incrementAndGet();
            }
        });
    }

    /** Starts connecting and, once connected, publishing at the source's rate. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "testbed-simulator");
            thread.setDaemon(true);
            return thread;
        });
        // connect first (retried once a second), then tick at a fixed rate; both on the one thread
        connecting = scheduler.scheduleWithFixedDelay(this::firstConnect, 0, RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void firstConnect() {
        if (everConnected) {
            return;
        }
        if (connect()) {
            ScheduledFuture<?> task = connecting;
            if (task != null) {
                task.cancel(false); // when still null (connected at once), the task stays a no-op
            }
            scheduler.scheduleAtFixedRate(this::tick, 0, source.periodMicros(), TimeUnit.MICROSECONDS);
        }
    }

    private void tick() {
        try {
            List<SimSample> samples = source.tick(clock.instant());
            for (SimSample sample : samples) {
                if (!sample.dropout()) { // a dropout fault: the signal publishes nothing
                    publish(sample);
                }
            }
        } catch (RuntimeException e) {
            // never let an exception cancel the periodic task
            LOG.warn("simulator tick failed", e);
        }
    }

    /** One attempt at the first connection; true once connected. */
    private boolean connect() {
        try {
            client.connect(options).waitForCompletion(options.getConnectionTimeout() * 1000L + 1000);
            everConnected = true;
            LOG.info("connected to {}, publishing {} signals every {} ms to {}/<asset>/<signal> ({}, QoS {})",
                    brokerUrl, source.samplesPerTick(), source.periodMicros() / 1000.0, TOPIC_PREFIX, format.id(), qos);
            return true;
        } catch (MqttException e) {
            String error = e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause());
            if (!error.equals(lastError)) {
                LOG.warn("cannot connect to {} ({}); retrying every second", brokerUrl, error);
            }
            lastError = error;
            return false;
        }
    }

    private void publish(SimSample sample) {
        if (!client.isConnected()) {
            dropped.incrementAndGet();
            return;
        }
        try {
            MqttMessage message = new MqttMessage(payload(sample, format));
            message.setQos(qos);
            client.publish(topic(sample.asset(), sample.signal()), message);
            published.incrementAndGet();
        } catch (MqttException e) {
            dropped.incrementAndGet();
            lastError = e.getMessage();
        }
    }

    /** {@code plant/<asset>/<signal>}. */
    public static String topic(String asset, String signal) {
        return TOPIC_PREFIX + "/" + asset + "/" + signal;
    }

    /** The payload of a sample in a format. */
    public static byte[] payload(SimSample sample, PayloadFormat format) {
        if (format == PayloadFormat.NUMBER) {
            return number(sample.value()).getBytes(StandardCharsets.UTF_8);
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("asset", sample.asset());
        node.put("signal", sample.signal());
        node.put("value", sample.value());
        node.put("unit", sample.unit());
        node.put("ts", sample.time().toEpochMilli());
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** Messages handed to the client. */
    public long published() {
        return published.get();
    }

    /** Samples not published (not connected, or the client refused them). */
    public long dropped() {
        return dropped.get();
    }

    /** QoS 1/2 messages the broker acknowledged (0 at QoS 0). */
    public long delivered() {
        return qos == 0 ? 0 : delivered.get();
    }

    /** True while connected. */
    public boolean connected() {
        return client.isConnected();
    }

    /** The last connection or publish error, empty if none. */
    public String lastError() {
        return lastError;
    }

    public SampleSource source() {
        return source;
    }

    /** Stops publishing, disconnects and closes the client. Safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                    LOG.warn("simulator thread did not stop within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (client.isConnected()) {
                client.disconnect(2000).waitForCompletion(3000);
            }
        } catch (MqttException e) {
            try {
                client.disconnectForcibly(0, 1000);
            } catch (MqttException ignored) {
                // closing anyway
            }
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("closing the MQTT client: {}", e.toString());
        }
    }
}

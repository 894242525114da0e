package io.edgegateway.llm.internal;

import io.edgegateway.mqtt.support.NoDelaySocketFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RUL estimator's own small MQTT connection (the uplink's client is not a service). Same rules as the
 * connector: TCP_NODELAY, Paho's automatic reconnect plus our own retry of a failed first connect, and always
 * {@code close()} after {@code disconnect()}. Estimates are periodic and superseded by the next one, so while
 * disconnected they are dropped (counted), not queued.
 */
final class MaintenancePublisher {

    private static final Logger LOG = LoggerFactory.getLogger(MaintenancePublisher.class);

    private final String url;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options = new MqttConnectOptions();
    private final ScheduledExecutorService scheduler;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;
    private long retryMillis = 500;

    MaintenancePublisher(String url, String clientId, ScheduledExecutorService scheduler) throws MqttException {
        this.url = url;
        this.scheduler = scheduler;
        this.client = new MqttAsyncClient(url, clientId, new MemoryPersistence());
        options.setCleanSession(true);
        options.setAutomaticReconnect(true);
        options.setMaxInflight(1000);
        options.setConnectionTimeout(10);
        if (url.startsWith("tcp://")) {
            options.setSocketFactory(new NoDelaySocketFactory());
        }
    }

    void connect() {
        if (closed) {
            return;
        }
        try {
            client.connect(options, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    LOG.info("RUL publisher connected to {}", url);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    retry(e);
                }
            });
        } catch (MqttException e) {
            retry(e);
        }
    }

    private void retry(Throwable e) {
        if (closed) {
            return;
        }
        LOG.warn("RUL publisher: connect to {} failed ({}); retrying in {} ms", url, e.getMessage(), retryMillis);
        try {
            scheduler.schedule(this::connect, retryMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            return;
        }
        retryMillis = Math.min(30_000, retryMillis * 2);
    }

    /** Publishes or, when not connected, drops (returns false). */
    boolean publish(String topic, String json, int qos) {
        if (!client.isConnected()) {
            dropped.incrementAndGet();
            return false;
        }
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        try {
            client.publish(topic, m);
            return true;
        } catch (MqttException e) {
            dropped.incrementAndGet();
            LOG.debug("RUL publish to {} failed: {}", topic, e.getMessage());
            return false;
        }
    }

    long dropped() {
        return dropped.get();
    }

    void close() {
        closed = true;
        try {
            if (client.isConnected()) {
                client.disconnect(500).waitForCompletion(2000);
            }
        } catch (MqttException e) {
            try {
                client.disconnectForcibly(0, 500, false);
            } catch (MqttException ignored) {
                // closing anyway
            }
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("RUL publisher close: {}", e.getMessage());
        }
    }
}

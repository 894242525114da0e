package io.edgegateway.testbed.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An independent MQTT client that records what the gateway publishes, the way a plant's SCADA or historian would
 * see it. Each message is kept with its arrival time.
 */
public final class MqttRecorder implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received message. */
    public record Received(String topic, String payload, long arrivalNanos, boolean retained) {
        public JsonNode json() {
            try {
                return JSON.readTree(payload);
            } catch (Exception e) {
                throw new IllegalStateException("not JSON on " + topic + ": " + payload, e);
            }
        }
    }

    private final MqttClient client;
    private final BlockingQueue<Received> queue = new LinkedBlockingQueue<>();
    private final List<Received> all = new ArrayList<>();

    public MqttRecorder(String brokerUrl, String... filters) throws MqttException {
        this(brokerUrl, null, filters);
    }

    /** {@code socketFactory}: e.g. TLS with a client certificate (null: Paho's default for the URL). */
    public MqttRecorder(String brokerUrl, javax.net.SocketFactory socketFactory, String... filters)
            throws MqttException {
        client = new MqttClient(brokerUrl, "recorder-" + System.nanoTime(), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                queue.add(new Received(topic, new String(message.getPayload(), java.nio.charset.StandardCharsets.UTF_8),
                        System.nanoTime(), message.isRetained()));
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(1000);
        if (socketFactory != null) {
            options.setSocketFactory(socketFactory);
        }
        int[] qos = new int[filters.length];
        java.util.Arrays.fill(qos, 1);
        connectAndSubscribe(client, options, filters, qos);
    }

    /**
     * Connects and subscribes; connects again (up to 3 times) when the broker drops the connection on the SUBSCRIBE.
     * Moquette 0.17, the demo's embedded broker, marks a connection usable only once its CONNACK write completed, and
     * drops one whose SUBSCRIBE comes before that ("SUBSCRIBE received on already closed connection", as in
     * FraunhoferIOSB/FROST-Server#2433): the demo died of it once in a few starts, and 2 of 400 bare connect-and-subscribe
     * rounds against it failed with reason 32109 here.
     */
    public static void connectAndSubscribe(MqttClient client, MqttConnectOptions options, String[] filters,
                                           int[] qos) throws MqttException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.connect(options);
                client.subscribe(filters, qos);
                return;
            } catch (MqttException e) {
                int reason = e.getReasonCode();
                boolean dropped = reason == MqttException.REASON_CODE_CONNECTION_LOST
                        || reason == MqttException.REASON_CODE_CLIENT_DISCONNECTING
                        || reason == MqttException.REASON_CODE_CONNECT_IN_PROGRESS; // Paho still winding it down
                if (attempt == 3 || !dropped) {
                    throw e;
                }
                if (client.isConnected()) {
                    client.disconnectForcibly(1000);
                }
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** The next message matching {@code filter}, waiting up to {@code timeoutMillis}; null on timeout. */
    public synchronized Received next(Predicate<Received> filter, long timeoutMillis) throws InterruptedException {
        for (Received r : all) {
            if (filter.test(r)) {
                all.remove(r);
                return r;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            long left = deadline - System.nanoTime();
            Received r = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
            if (r == null) {
                return null;
            }
            if (filter.test(r)) {
                return r;
            }
            all.add(r);
        }
    }

    /** Takes every message received so far (and not yet taken). */
    public synchronized List<Received> drain() {
        List<Received> out = new ArrayList<>(all);
        all.clear();
        queue.drainTo(out);
        return out;
    }

    public static Predicate<Received> topicStartsWith(String prefix) {
        return r -> r.topic().startsWith(prefix);
    }

    @Override
    public void close() throws MqttException {
        try {
            if (client.isConnected()) {
                client.disconnect(1000);
            }
        } finally {
            client.close();
        }
    }
}

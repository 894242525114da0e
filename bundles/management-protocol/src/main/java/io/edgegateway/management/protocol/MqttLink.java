package io.edgegateway.management.protocol;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.mqtt.support.BrokerTls;
import io.edgegateway.mqtt.support.NoDelaySocketFactory;
import io.edgegateway.mqtt.support.TlsSetupException;

/**
 * One Paho client that connects and reconnects by itself, for remote management on the gateway and for the
 * operator CLI. Reconnects run on our own single-thread scheduler with exponential back-off, the first connect
 * included (Paho 1.2.5's automatic reconnect does not retry a failed first connect, and its timer thread outlives
 * {@code close()}). TLS comes from {@link BrokerTls} (PEM files, re-read when they change), plain TCP sockets have
 * {@code TCP_NODELAY}.
 *
 * <p>Threads: {@link Listener} methods run on Paho's callback thread: they must return quickly and never block.
 */
public final class MqttLink implements MqttCallbackExtended {

    /** What the owner hears, on Paho's callback thread. */
    public interface Listener {
        /** Connected (again); subscribe here (the session is clean). {@code first}: the first connection. */
        void connected(boolean first);

        /** Lost; reconnecting. */
        default void connectionLost(String cause) {
        }

        /** Must not block or throw. */
        void messageArrived(String topic, MqttMessage message);
    }

    /**
     * @param url            tcp://, ssl:// or mqtts:// (see {@link #normalizeUrl})
     * @param tls            for ssl:// URLs; null: the JVM's trust store, no client certificate
     * @param reconnectMinMs first delay after a failed attempt, doubled up to {@code reconnectMaxMs}
     */
    public record Settings(String url, String clientId, String username, String password, BrokerTls tls,
                           int maxInflight, long reconnectMinMs, long reconnectMaxMs, int keepAliveS) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(MqttLink.class);
    private static final long LOG_EVERY_MS = 60_000;

    private final String name;
    private final String url;
    private final Settings settings;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options;
    private final BrokerTls tls;
    private final Listener listener;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger failures = new AtomicInteger();
    private volatile CountDownLatch connectedLatch = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile boolean everConnected;
    private volatile String detail;
    private volatile long lastLogMs;

    public MqttLink(String name, Settings s, String threadName, Listener listener) throws MqttException {
        this.name = name;
        this.settings = s;
        this.url = normalizeUrl(s.url());
        this.listener = listener;
        this.options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(false);
        options.setMaxInflight(Math.max(1, s.maxInflight()));
        options.setKeepAliveInterval(s.keepAliveS());
        options.setConnectionTimeout(10);
        if (s.username() != null && !s.username().isEmpty()) {
            options.setUserName(s.username());
            options.setPassword(s.password() == null ? new char[0] : s.password().toCharArray());
        }
        if (url.startsWith("ssl://")) {
            tls = s.tls() != null ? s.tls() : new BrokerTls(null, null, null, true);
            options.setHttpsHostnameVerificationEnabled(tls.hostnameVerification());
        } else {
            tls = null;
            options.setSocketFactory(new NoDelaySocketFactory());
        }
        this.client = new MqttAsyncClient(url, s.clientId(), new MemoryPersistence());
        client.setCallback(this);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        this.detail = "connecting to " + url;
    }

    /**
     * The URL as Paho takes it: {@code mqtts://} becomes {@code ssl://}; without a port, 1883 (tcp) or 8883 (ssl).
     *
     * @throws IllegalArgumentException with a sentence saying what is wrong
     */
    public static String normalizeUrl(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("no broker URL: expected tcp://host:port, ssl://host:port or "
                    + "mqtts://host:port");
        }
        URI u;
        try {
            u = new URI(raw.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a valid MQTT URL: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("mqtts") || scheme.equals("tls")) {
            scheme = "ssl";
        } else if (scheme.equals("mqtt")) {
            scheme = "tcp";
        }
        if (!scheme.equals("tcp") && !scheme.equals("ssl") || u.getHost() == null) {
            throw new IllegalArgumentException("'" + raw + "' is not a valid MQTT URL (expected tcp://host:port, "
                    + "ssl://host:port or mqtts://host:port)");
        }
        int port = u.getPort() > 0 ? u.getPort() : scheme.equals("ssl") ? 8883 : 1883;
        return scheme + "://" + u.getHost() + ":" + port;
    }

    public String url() {
        return url;
    }

    public void start() {
        schedule(this::attempt, 0);
    }

    public boolean isConnected() {
        return client.isConnected();
    }

    /** e.g. "connected to tcp://...", "reconnecting: Connection refused (attempt 3)". */
    public String detail() {
        return detail;
    }

    /** Waits until connected; false on timeout. */
    public boolean awaitConnected(long timeoutMs) throws InterruptedException {
        return isConnected() || connectedLatch.await(timeoutMs, TimeUnit.MILLISECONDS) && isConnected();
    }

    /** Asynchronous publish; fails at once when not connected. */
    public IMqttDeliveryToken publish(String topic, byte[] payload, int qos, boolean retained) throws MqttException {
        MqttMessage m = new MqttMessage(payload);
        m.setQos(qos);
        m.setRetained(retained);
        return client.publish(topic, m);
    }

    /** Asynchronous subscribe; may be called from {@link Listener#connected}. */
    public void subscribe(String[] filters, int qos) {
        int[] q = new int[filters.length];
        java.util.Arrays.fill(q, qos);
        try {
            client.subscribe(filters, q, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    LOG.debug("{}: subscribed to {}", name, String.join(", ", filters));
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    LOG.warn("{}: subscribing to {} failed: {}", name, String.join(", ", filters), describe(e));
                }
            });
        } catch (MqttException e) {
            LOG.warn("{}: subscribing to {} failed: {}", name, String.join(", ", filters), describe(e));
        }
    }

    /** Subscribes and waits for the broker's acknowledgement; not from a Paho thread. */
    public void subscribeAndWait(String[] filters, int qos, long timeoutMs) throws MqttException {
        int[] q = new int[filters.length];
        java.util.Arrays.fill(q, qos);
        client.subscribe(filters, q).waitForCompletion(timeoutMs);
    }

    public void unsubscribe(String filter) {
        try {
            client.unsubscribe(filter);
        } catch (MqttException e) {
            LOG.debug("{}: unsubscribing from {} failed: {}", name, filter, describe(e));
        }
    }

    private void attempt() {
        if (closed) {
            return;
        }
        try {
            if (tls != null) {
                options.setSocketFactory(tls.socketFactory());
            }
            client.connect(options, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    // connectComplete does the rest
                }

                @Override
                public void onFailure(IMqttToken token, Throwable e) {
                    failed(e);
                }
            });
        } catch (MqttException e) {
            if (e.getReasonCode() != MqttException.REASON_CODE_CLIENT_CONNECTED
                    && e.getReasonCode() != MqttException.REASON_CODE_CONNECT_IN_PROGRESS) {
                failed(e);
            }
        } catch (TlsSetupException | RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Throwable e) {
        if (closed) {
            return;
        }
        int n = failures.incrementAndGet();
        String tlsCause = tls == null ? null : tls.explain(e);
        String cause = tlsCause != null ? "TLS: " + tlsCause : describe(e);
        detail = "reconnecting: " + cause + " (attempt " + n + ")";
        long now = System.currentTimeMillis();
        if (n == 1 || now - lastLogMs >= LOG_EVERY_MS) {
            lastLogMs = now;
            if (tlsCause != null) {
                LOG.error("{}: cannot connect to {}: {}; retrying", name, url, cause);
            } else {
                LOG.warn("{}: cannot connect to {}: {}; retrying (attempt {})", name, url, cause, n);
            }
        }
        schedule(this::attempt, delayMs(n));
    }

    private long delayMs(int attempt) {
        long min = Math.max(1, settings.reconnectMinMs());
        long max = Math.max(min, settings.reconnectMaxMs());
        double base = Math.min((double) max, min * Math.pow(2, Math.min(30, attempt - 1)));
        long d = Math.round(base * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
        return Math.max(min, Math.min(max, d));
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        int attempts = failures.getAndSet(0);
        boolean first = !everConnected;
        everConnected = true;
        detail = "connected to " + url;
        if (first && attempts == 0) {
            LOG.info("{}: connected to {}", name, url);
        } else {
            LOG.info("{}: connected to {} again ({} failed attempts)", name, url, attempts);
        }
        connectedLatch.countDown();
        try {
            listener.connected(first);
        } catch (RuntimeException e) {
            LOG.error("{}: error handling the new connection", name, e);
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        if (closed) {
            return;
        }
        connectedLatch = new CountDownLatch(1);
        String why = describe(cause);
        detail = "reconnecting: connection lost: " + why;
        LOG.warn("{}: connection to {} lost: {}; reconnecting", name, url, why);
        try {
            listener.connectionLost(why);
        } catch (RuntimeException e) {
            LOG.error("{}: error handling the connection loss", name, e);
        }
        schedule(this::attempt, delayMs(1));
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        try {
            listener.messageArrived(topic, message);
        } catch (RuntimeException e) {
            LOG.error("{}: error handling a message on '{}'", name, topic, e);
        }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
        // publishers wait on their tokens
    }

    private void schedule(Runnable task, long delayMs) {
        try {
            scheduler.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Stops reconnecting, disconnects and closes the client: no Paho thread is left. Not from a Paho thread. */
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean clean = false;
        if (client.isConnected()) {
            try {
                client.disconnect(500).waitForCompletion(2000);
                clean = true;
            } catch (MqttException e) {
                LOG.debug("{}: clean disconnect failed: {}", name, describe(e));
            }
        }
        if (!clean) {
            try {
                client.disconnectForcibly(0, 500, false);
            } catch (MqttException | RuntimeException e) {
                LOG.debug("{}: forcible disconnect: {}", name, describe(e));
            }
        }
        try {
            client.close();
        } catch (MqttException e) {
            try {
                client.close(true);
            } catch (MqttException e2) {
                LOG.warn("{}: could not close the MQTT client: {}", name, describe(e2));
            }
        }
        detail = "stopped";
    }

    /** The most telling message of an exception chain. */
    public static String describe(Throwable e) {
        if (e == null) {
            return "unknown cause";
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getMessage();
        }
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        if (e instanceof MqttException me && t == e) {
            m = m + " (reason " + me.getReasonCode() + ")";
        }
        return m;
    }
}

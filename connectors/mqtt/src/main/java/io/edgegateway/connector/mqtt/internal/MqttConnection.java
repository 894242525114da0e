package io.edgegateway.connector.mqtt.internal;

import io.edgegateway.mqtt.support.BrokerTls;
import io.edgegateway.mqtt.support.NoDelaySocketFactory;
import io.edgegateway.mqtt.support.TlsSetupException;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

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

/**
 * One Paho client and its life cycle: first connect, reconnects with exponential backoff, rate-limited logging,
 * and a shutdown that leaves no thread behind.
 *
 * <p>Reconnecting is done here, on our own single-thread scheduler, for the first connect and after a loss alike,
 * rather than with Paho's {@code automaticReconnect}: in Paho 1.2.5 the automatic reconnect does not cover the first
 * connect, starts at a fixed 1 s, and runs on a {@code java.util.Timer} ("MQTT Reconnect: ...") that neither
 * {@code disconnect()} nor {@code close()} cancels, so it could outlive the bundle when the broker is down while
 * the component stops.
 *
 * <p>Threads: the scheduler (named by the caller) runs connect attempts and whatever the owner schedules on
 * {@link #scheduler()}; Paho's callback thread runs {@link Handler} methods, which must not block or do I/O.
 */
final class MqttConnection implements MqttCallbackExtended {

    /** What the owner hears. Called on Paho's callback thread: quick, no blocking, no network I/O. */
    interface Handler {
        /** Connected (again). {@code first}: the first connection of this client. */
        void connected(boolean first);

        /** The connection was lost; reconnects are under way. */
        default void connectionLost() {
        }

        /** A message arrived; must not throw (an exception makes Paho drop the connection). */
        default void messageArrived(String topic, MqttMessage message) {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
    private static final long LOG_INTERVAL_MS = 60_000;

    private final String name;
    private final String url;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options;
    private final Backoff backoff;
    private final Handler handler;
    private final ScheduledExecutorService scheduler;
    private final RateLimitedLog retryLog = new RateLimitedLog(LOG_INTERVAL_MS);
    private final AtomicInteger failedAttempts = new AtomicInteger();
    private final AtomicLong connectFailures = new AtomicLong();
    private final AtomicLong tlsFailures = new AtomicLong();
    private final BrokerTls tls;
    private volatile String lastCause;

    private volatile boolean closed;
    private volatile boolean connected;
    private volatile boolean everConnected;
    private volatile boolean outageReported;
    private volatile long downSinceMillis = System.currentTimeMillis();
    private volatile String detail;

    /**
     * @param name       who we are, for logs, e.g. {@code MQTT source 'plant'}
     * @param url        validated broker URL
     * @param clientId   MQTT client id
     * @param options    connect options (automatic reconnect is forced off, see the class comment)
     * @param tls        TLS set-up for ssl:// URLs (null: the JVM's defaults); its files are read at each attempt
     *                   that finds them changed, and a file that cannot be used fails that attempt, like a broker
     *                   that cannot be reached
     * @param backoff    delays between attempts
     * @param threadName name of the scheduler thread
     * @param handler    the owner's callbacks
     */
    MqttConnection(String name, String url, String clientId, MqttConnectOptions options, BrokerTls tls,
                   Backoff backoff, String threadName, Handler handler) throws MqttException {
        this.name = name;
        this.url = url;
        this.options = options;
        this.backoff = backoff;
        this.handler = handler;
        options.setAutomaticReconnect(false);
        if (url.startsWith("tcp://") && options.getSocketFactory() == null) {
            options.setSocketFactory(new NoDelaySocketFactory()); // see there: Nagle cost 20-30 ms per alert
        }
        this.tls = url.startsWith("ssl://") && tls == null ? new BrokerTls(null, null, null, true) : tls;
        if (this.tls != null) {
            options.setHttpsHostnameVerificationEnabled(this.tls.hostnameVerification());
        }
        this.client = new MqttAsyncClient(url, clientId, new MemoryPersistence());
        this.client.setCallback(this);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        this.detail = "connecting to " + url;
    }

    /** Starts connecting (in the background). */
    void start() {
        submit(this::attempt, 0);
    }

    MqttAsyncClient client() {
        return client;
    }

    /** The single-thread scheduler that also runs connect attempts: short tasks only. */
    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    boolean isConnected() {
        return connected && client.isConnected();
    }

    /** Human-readable state, e.g. "connected to tcp://...", "reconnecting: Connection refused (attempt 7)". */
    String detail() {
        return detail;
    }

    void setDetail(String detail) {
        this.detail = detail;
    }

    String url() {
        return url;
    }

    /** Failed connect attempts since the start, all causes. */
    long connectFailures() {
        return connectFailures.get();
    }

    /** Failed connect attempts whose cause was TLS: a file, the broker's or the client's certificate. */
    long tlsFailures() {
        return tlsFailures.get();
    }

    private void attempt() {
        if (closed) {
            return;
        }
        if (tls != null) {
            try {
                options.setSocketFactory(tls.socketFactory()); // the same one unless a file changed
            } catch (TlsSetupException e) {
                failed(e);
                return;
            }
        }
        try {
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
            if (e.getReasonCode() == MqttException.REASON_CODE_CLIENT_CONNECTED) {
                return;
            }
            failed(e);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Throwable e) {
        if (closed) {
            return;
        }
        int n = failedAttempts.incrementAndGet();
        connectFailures.incrementAndGet();
        String tlsCause = tls == null ? null : tls.explain(e);
        String cause = tlsCause != null ? "TLS: " + tlsCause : describe(e);
        if (tlsCause != null) {
            tlsFailures.incrementAndGet();
        }
        boolean newCause = !cause.equals(lastCause);
        lastCause = cause;
        detail = "reconnecting: " + cause + " (attempt " + n + ")";
        long delay = backoff.delayMillis(n);
        if (tlsCause != null && newCause) {
            // an operator has to act: say it at once, and again whenever the cause changes
            outageReported = true;
            retryLog.reset();
            retryLog.tryLog();
            LOG.error("{}: cannot connect to {}: {}; retrying with backoff ({} TLS failures so far)", name, url,
                    cause, tlsFailures.get());
        } else if (!outageReported) {
            outageReported = true;
            retryLog.reset();
            retryLog.tryLog();
            LOG.warn("{}: cannot connect to {}: {}; retrying with backoff", name, url, cause);
        } else {
            long held = retryLog.tryLog();
            if (held >= 0) {
                LOG.info("{}: still cannot connect to {} ({} attempts, {} s): {}", name, url, n,
                        (System.currentTimeMillis() - downSinceMillis) / 1000, cause);
            } else {
                LOG.debug("{}: connect attempt {} to {} failed: {}; next in {} ms", name, n, url, cause, delay);
            }
        }
        submit(this::attempt, delay);
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        int attempts = failedAttempts.getAndSet(0);
        boolean first = !everConnected;
        everConnected = true;
        connected = true;
        outageReported = false;
        lastCause = null;
        detail = "connected to " + url;
        if (attempts == 0 && first) {
            LOG.info("{}: connected to {}", name, url);
        } else {
            LOG.info("{}: connected to {} after {} s without connection ({} failed attempts)", name, url,
                    (System.currentTimeMillis() - downSinceMillis) / 1000, attempts);
        }
        try {
            handler.connected(first);
        } catch (RuntimeException e) {
            LOG.error("{}: error handling the new connection", name, e);
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        connected = false;
        if (closed) {
            return;
        }
        downSinceMillis = System.currentTimeMillis();
        outageReported = true;
        retryLog.reset();
        retryLog.tryLog();
        String why = describe(cause);
        detail = "reconnecting: connection lost: " + why;
        LOG.warn("{}: connection to {} lost: {}; reconnecting", name, url, why);
        try {
            handler.connectionLost();
        } catch (RuntimeException e) {
            LOG.error("{}: error handling the connection loss", name, e);
        }
        submit(this::attempt, backoff.delayMillis(1));
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        try {
            handler.messageArrived(topic, message);
        } catch (RuntimeException e) {
            LOG.error("{}: error handling a message on '{}'", name, topic, e);
        }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
        // publishers use per-message listeners
    }

    private void submit(Runnable task, long delayMillis) {
        try {
            scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /**
     * Stops reconnecting, disconnects (cleanly within {@code disconnectTimeoutMillis}, otherwise forcibly) and always
     * closes the client, so no Paho thread outlives the owner. Call once, not from a Paho thread.
     *
     * @param beforeForce runs before a forcible disconnect (e.g. to wake a callback thread that is waiting)
     */
    void close(long disconnectTimeoutMillis, Runnable beforeForce) {
        closed = true;
        connected = false;
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(2, TimeUnit.SECONDS)) {
                LOG.warn("{}: scheduler thread did not stop within 2 s", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean clean = false;
        if (client.isConnected()) {
            try {
                client.disconnect(Math.min(500, disconnectTimeoutMillis)).waitForCompletion(disconnectTimeoutMillis);
                clean = true;
            } catch (MqttException e) {
                LOG.debug("{}: clean disconnect failed: {}", name, describe(e));
            }
        }
        if (!clean) {
            if (beforeForce != null) {
                beforeForce.run();
            }
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
        LOG.info("{}: disconnected from {}", name, url);
    }

    /** The most telling message of an exception chain, e.g. "Connection refused". */
    static String describe(Throwable e) {
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

package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real mosquitto (Debian package) on a free loopback port, started and stopped by tests and benchmarks.
 * It can be stopped, killed with SIGKILL and restarted on the same port to test recovery.
 */
public final class MosquittoBroker implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final boolean persistent;
    private final TlsListener tls;
    private Process process;

    /**
     * A TLS listener: the broker's certificate and key, the CA file clients' certificates are checked against, and
     * whether a client certificate is required (mutual TLS; then an MQTT client without one, or with one from
     * another CA, cannot connect).
     */
    public record TlsListener(Path caFile, Path certFile, Path keyFile, boolean requireCertificate) {
    }

    private MosquittoBroker(Path dir, int port) {
        this(dir, port, false, null);
    }

    private MosquittoBroker(Path dir, int port, boolean persistent, TlsListener tls) {
        this.dir = dir;
        this.port = port;
        this.persistent = persistent;
        this.tls = tls;
    }

    /** Like {@link #start}, with a TLS listener only ({@link #url()} is then {@code ssl://127.0.0.1:<port>}). */
    public static MosquittoBroker startTls(Path dir, TlsListener tls) throws IOException, InterruptedException {
        MosquittoBroker broker = new MosquittoBroker(dir, Ports.freePort(), false, tls);
        broker.restart();
        return broker;
    }

    /**
     * Like {@link #start}, with {@code persistence true} in {@code dir}: sessions, subscriptions and queued messages
     * of persistent (clean session false) clients are saved after every change ({@code autosave_on_changes}, interval 1) and
     * at a clean stop, and restored by {@link #restart}. After {@link #kill} whatever changed since the last save is
     * lost: mosquitto acknowledges a QoS 1 publish before it saves it.
     */
    public static MosquittoBroker startPersistent(Path dir) throws IOException, InterruptedException {
        MosquittoBroker broker = new MosquittoBroker(dir, Ports.freePort(), true, null);
        broker.restart();
        return broker;
    }

    /** Starts mosquitto in {@code dir} (config and log are written there) on a free port. */
    public static MosquittoBroker start(Path dir) throws IOException, InterruptedException {
        MosquittoBroker broker = new MosquittoBroker(dir, Ports.freePort());
        broker.restart();
        return broker;
    }

    public static String binary() {
        for (String candidate : List.of("/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("mosquitto is not installed: run ./gateway test (it installs the Debian "
                + "package mosquitto) or apt-get install mosquitto");
    }

    /** (Re)starts the broker on the same port; a no-op while it runs. */
    public synchronized void restart() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Files.createDirectories(dir);
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, String.join("\n",
                "listener " + port + " 127.0.0.1",
                tls == null ? "" : "cafile " + tls.caFile().toAbsolutePath(),
                tls == null ? "" : "certfile " + tls.certFile().toAbsolutePath(),
                tls == null ? "" : "keyfile " + tls.keyFile().toAbsolutePath(),
                tls == null ? "" : "require_certificate " + tls.requireCertificate(),
                "allow_anonymous true",
                // started as root, mosquitto drops to the 'mosquitto' user, which cannot write its log or its
                // persistence file into the test's folder: stay the user that started it
                "user " + System.getProperty("user.name"),
                persistent ? "persistence true" : "persistence false",
                persistent ? "persistence_location " + dir.toAbsolutePath() + "/" : "",
                // save after every change (queued message, subscription): a kill loses at most what is in flight
                persistent ? "autosave_on_changes true" : "",
                persistent ? "autosave_interval 1" : "",
                // persistent sessions (clean session false) may queue many QoS 1 messages while a client is away
                "max_queued_messages 1000000",
                "max_inflight_messages 1000",
                "message_size_limit 0",
                "log_dest file " + dir.resolve("mosquitto.log"),
                "log_type error", "log_type warning", "log_type notice", ""));
        process = new ProcessBuilder(binary(), "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.out").toFile()))
                .start();
        if (!Ports.awaitListening(port, Duration.ofSeconds(10))) {
            process.destroyForcibly();
            throw new IOException("mosquitto did not listen on port " + port + " within 10 s; see "
                    + dir.resolve("mosquitto.log"));
        }
    }

    /** SIGKILL: the broker vanishes without closing connections politely. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    public String url() {
        return (tls == null ? "tcp" : "ssl") + "://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}

package io.edgegateway.management.internal.remote;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.CollectionType;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.management.internal.deploy.DeploymentAgent;
import io.edgegateway.management.protocol.Json;
import io.edgegateway.management.protocol.MqttLink;
import io.edgegateway.management.protocol.Protocol;
import io.edgegateway.mqtt.support.BrokerTls;

/**
 * Remote management over MQTT: answers requests on {@code gateway/<gatewayId>/cmd/<verb>} on
 * {@code gateway/<gatewayId>/cmd/<verb>/response} (QoS 1), with its own Paho client (see {@link Protocol}, README
 * "Remote management").
 *
 * <p>Threads: Paho's callback thread only hands each message to a bounded queue: requests to the
 * {@code remote-mgmt-request} threads (two, so a slow {@code config-set} does not hold a {@code status}), chunks to
 * the {@code remote-mgmt-transfer} thread (in order, to disk). When a queue is full the message is dropped and
 * counted; the CLI repeats requests it got no answer to and re-sends chunks the gateway says it lacks. The
 * {@code remote-mgmt-housekeeping} thread sends responses that waited for the broker, answers requests journaled
 * before a restart and expires abandoned transfers. All of them start in {@link #activate} and stop in
 * {@link #deactivate}.
 *
 * <p>Health: registered as the {@code remote-management} {@link HealthReporter}: its connection, and counters for
 * requests, errors, chunks and transfers.
 */
@Component(configurationPid = RemoteManagement.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = HealthReporter.class,
        property = HealthReporter.NAME + "=" + RemoteManagement.HEALTH_NAME)
@Designate(ocd = RemoteManagement.Config.class)
public final class RemoteManagement implements HealthReporter {

    static final String PID = "io.edgegateway.management.remote";
    static final String HEALTH_NAME = "remote-management";
    private static final Logger LOG = LoggerFactory.getLogger(RemoteManagement.class);
    /** Verbs whose answers are not kept for repeats: reading twice does no harm and status answers are large. */
    private static final List<String> READS = List.of(Protocol.STATUS, Protocol.CONFIG_GET, Protocol.UPLOAD);

    @ObjectClassDefinition(name = "Edge Gateway remote management",
            description = "Answers management requests (status, configuration, bundle and model deployment) on "
                    + "gateway/<gateway.id>/cmd/<verb> over MQTT.")
    public @interface Config {

        @AttributeDefinition(name = "Broker URL", description = "tcp://host:port, or ssl://host:port (also "
                + "mqtts://) for TLS")
        String broker_url();

        @AttributeDefinition(name = "Client id", required = false,
                description = "MQTT client id; empty: edgegw-mgmt-<gateway.id>")
        String client_id() default "";

        @AttributeDefinition(name = "User name", required = false)
        String username() default "";

        @AttributeDefinition(name = "Password", required = false, type = AttributeType.PASSWORD)
        String password() default "";

        @AttributeDefinition(name = "TLS: CA certificates", required = false, description = "PEM file with the CA "
                + "certificate(s) that sign the broker's certificate; empty: the JVM's. Relative paths are below "
                + "the gateway home")
        String tls_ca_file() default "";

        @AttributeDefinition(name = "TLS: client certificate", required = false, description = "PEM client "
                + "certificate (chain) for mutual TLS; needs tls.key.file")
        String tls_cert_file() default "";

        @AttributeDefinition(name = "TLS: client key", required = false, description = "PEM unencrypted private "
                + "key of tls.cert.file")
        String tls_key_file() default "";

        @AttributeDefinition(name = "TLS: verify host name")
        boolean tls_hostname_verification() default true;

        @AttributeDefinition(name = "Min reconnect delay (ms)")
        long reconnect_min_ms() default 500;

        @AttributeDefinition(name = "Max reconnect delay (ms)")
        long reconnect_max_ms() default 30000;

        @AttributeDefinition(name = "Transfer directory", required = false, description = "where uploads and the "
                + "request journal are kept; relative to the gateway home; empty: data/remote")
        String transfer_dir() default "";

        @AttributeDefinition(name = "Largest artifact (bytes)")
        long transfer_max_bytes() default 256L * 1024 * 1024;

        @AttributeDefinition(name = "All transfers together (bytes)", description = "declared sizes of the "
                + "transfers held at once")
        long transfer_total_max_bytes() default 512L * 1024 * 1024;

        @AttributeDefinition(name = "Largest chunk (bytes)")
        int transfer_max_chunk_bytes() default 1024 * 1024;

        @AttributeDefinition(name = "Transfer expiry (s)", description = "a transfer untouched this long is "
                + "deleted, complete or not")
        long transfer_expiry_s() default 24L * 3600;

        @AttributeDefinition(name = "Configuration watch (ms)", description = "config-set waits this long for the "
                + "components reading the configuration to run with it (or fail)")
        long config_wait_ms() default 10000;

        @AttributeDefinition(name = "Queued messages", description = "requests and chunks waiting for the "
                + "management threads; beyond it they are dropped and counted")
        int queue_capacity() default 512;

        @AttributeDefinition(name = "Queued chunk bytes", description = "bytes of chunks received and not yet on "
                + "disk; beyond it chunks are dropped and counted (the sender sends them again when told they are "
                + "missing)")
        long transfer_queue_max_bytes() default 8L * 1024 * 1024;

        @AttributeDefinition(name = "Max in-flight messages")
        int max_inflight() default 100;
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile DeploymentAgent agent;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile PipelineMetrics metrics;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ServiceComponentRuntime componentRuntime;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, collectionType = CollectionType.TUPLE)
    volatile List<Map.Entry<Map<String, Object>, HealthReporter>> reporters;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong requestErrors = new AtomicLong();
    private final AtomicLong requestsDropped = new AtomicLong();
    private final AtomicLong retainedIgnored = new AtomicLong();
    private final AtomicLong chunksStored = new AtomicLong();
    private final AtomicLong chunksDuplicate = new AtomicLong();
    private final AtomicLong chunksRejected = new AtomicLong();
    private final AtomicLong chunksDropped = new AtomicLong();
    private final AtomicLong transfersCompleted = new AtomicLong();
    private final AtomicLong transfersFailed = new AtomicLong();
    private final AtomicLong transfersExpired = new AtomicLong();

    /** A request is a small JSON object; anything larger is refused unread. */
    static final int MAX_REQUEST_BYTES = 256 * 1024;

    private final AtomicLong chunkBytesQueued = new AtomicLong();
    private long maxChunkBytesQueued;
    private int maxChunkBytes;
    private BundleContext context;
    private String gatewayId;
    private TransferStore transfers;
    private ResponseBook book;
    private ConfigVerbs configVerbs;
    private DeploymentVerbs deployVerbs;
    private ExecutorService requestPool;
    private ExecutorService chunkPool;
    private ScheduledExecutorService housekeeping;
    private volatile MqttLink link;

    @Activate
    void activate(BundleContext bc, Config c) throws Exception {
        try {
            start(bc, c);
        } catch (Exception | Error e) {
            deactivate(); // DS does not deactivate what failed to activate: leave no thread behind
            throw e;
        }
    }

    private void start(BundleContext bc, Config c) throws Exception {
        this.context = bc;
        String id = bc.getProperty("gateway.id");
        gatewayId = id == null || id.isBlank() ? "gateway" : id.trim();
        String home = bc.getProperty("gateway.home");
        String url;
        try {
            url = MqttLink.normalizeUrl(c.broker_url());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": setting 'broker.url': " + e.getMessage());
        }
        BrokerTls tls = tls(c, url, home);
        Path base = resolve(c.transfer_dir().isBlank() ? "data/remote" : c.transfer_dir(), home);
        transfers = new TransferStore(base.resolve("transfers"), c.transfer_max_bytes(),
                c.transfer_total_max_bytes(), c.transfer_max_chunk_bytes(), c.transfer_expiry_s() * 1000,
                System::currentTimeMillis);
        book = new ResponseBook(gatewayId, base.resolve("requests"), 500, READS, this::publish);
        configVerbs = new ConfigVerbs(() -> configAdmin, () -> componentRuntime, new Metatypes(bc),
                c.config_wait_ms());
        deployVerbs = new DeploymentVerbs(() -> agent, transfers, book);
        maxChunkBytesQueued = Math.max(c.transfer_max_chunk_bytes(), c.transfer_queue_max_bytes());
        maxChunkBytes = c.transfer_max_chunk_bytes();
        int capacity = Math.max(16, c.queue_capacity());
        requestPool = new ThreadPoolExecutor(2, 2, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity),
                threads("remote-mgmt-request"));
        chunkPool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity),
                threads("remote-mgmt-transfer"));
        housekeeping = Executors.newSingleThreadScheduledExecutor(threads("remote-mgmt-housekeeping"));
        housekeeping.scheduleWithFixedDelay(quietly(book::flush), 1, 1, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(quietly(deployVerbs::recover), 2, 2, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(quietly(() -> transfersExpired.addAndGet(transfers.expire())), 60, 60,
                TimeUnit.SECONDS);
        String clientId = c.client_id().isBlank() ? "edgegw-mgmt-" + gatewayId : c.client_id().trim();
        link = new MqttLink("Remote management", new MqttLink.Settings(url, clientId, c.username(), c.password(),
                tls, c.max_inflight(), c.reconnect_min_ms(), c.reconnect_max_ms(), 30), "remote-mgmt-reconnect",
                new MqttLink.Listener() {
                    @Override
                    public void connected(boolean first) {
                        link.subscribe(Protocol.gatewayFilters(gatewayId), 1);
                        submit(housekeeping, book::flush);
                    }

                    @Override
                    public void messageArrived(String topic, MqttMessage message) {
                        dispatch(topic, message);
                    }
                });
        link.start();
        LOG.info("Remote management: listening on {}<verb> at {} (client id {}{})", Protocol.base(gatewayId), url,
                clientId, tls == null ? "" : ", " + tls.describe());
    }

    @Deactivate
    void deactivate() {
        MqttLink l = link;
        link = null;
        if (l != null) {
            l.close();
        }
        for (ExecutorService e : new ExecutorService[] {requestPool, chunkPool, housekeeping}) {
            if (e != null) {
                e.shutdownNow();
            }
        }
        for (ExecutorService e : new ExecutorService[] {requestPool, chunkPool, housekeeping}) {
            try {
                if (e != null && !e.awaitTermination(5, TimeUnit.SECONDS)) {
                    LOG.warn("Remote management: a thread did not stop within 5 s");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("Remote management: stopped");
    }

    private static BrokerTls tls(Config c, String url, String home) {
        String ca = c.tls_ca_file().trim();
        String cert = c.tls_cert_file().trim();
        String key = c.tls_key_file().trim();
        if (!url.startsWith("ssl://")) {
            String set = !ca.isEmpty() ? BrokerTls.CA_FILE : !cert.isEmpty() ? BrokerTls.CERT_FILE
                    : !key.isEmpty() ? BrokerTls.KEY_FILE : null;
            if (set != null) {
                throw new IllegalArgumentException(PID + ": setting '" + set + "' needs a TLS broker: broker.url is "
                        + url + " (use ssl://host:port or mqtts://host:port)");
            }
            return null;
        }
        try {
            return new BrokerTls(ca.isEmpty() ? null : resolve(ca, home), cert.isEmpty() ? null : resolve(cert, home),
                    key.isEmpty() ? null : resolve(key, home), c.tls_hostname_verification());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + ": " + e.getMessage());
        }
    }

    static Path resolve(String file, String home) {
        Path p = Path.of(file);
        if (p.isAbsolute() || home == null || home.isBlank()) {
            return p.toAbsolutePath().normalize();
        }
        return Path.of(home).resolve(p).normalize();
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + (name.endsWith("request") ? "-" + n.incrementAndGet() : ""));
            t.setDaemon(true);
            return t;
        };
    }

    private static Runnable quietly(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("Remote management: a task failed: {}", e.toString(), e);
            }
        };
    }

    private static boolean submit(ExecutorService pool, Runnable task) {
        try {
            pool.execute(quietly(task));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** The Paho callback thread's whole job: route and enqueue, never block. */
    private void dispatch(String topic, MqttMessage message) {
        String base = Protocol.base(gatewayId);
        if (!topic.startsWith(base)) {
            return;
        }
        String rest = topic.substring(base.length());
        if (message.isRetained()) {
            // a retained request would be carried out again at every reconnect
            retainedIgnored.incrementAndGet();
            LOG.warn("Remote management: ignored a retained message on {} (requests must not be retained)", topic);
            return;
        }
        byte[] payload = message.getPayload();
        if (rest.startsWith(Protocol.CHUNK + "/")) {
            // memory is bounded by bytes, not only by messages: chunks may be up to transfer.max.chunk.bytes
            int n = payload.length;
            if (n > maxChunkBytes) {
                submit(chunkPool, () -> onChunk(rest, null));
                return;
            }
            if (chunkBytesQueued.addAndGet(n) > maxChunkBytesQueued) {
                chunkBytesQueued.addAndGet(-n);
                chunksDropped.incrementAndGet();
                return;
            }
            if (!submit(chunkPool, () -> {
                try {
                    onChunk(rest, payload);
                } finally {
                    chunkBytesQueued.addAndGet(-n);
                }
            })) {
                chunkBytesQueued.addAndGet(-n);
                chunksDropped.incrementAndGet();
            }
        } else if (payload.length > MAX_REQUEST_BYTES) {
            submit(requestPool, () -> onRequest(rest, null));
        } else if (!submit(requestPool, () -> onRequest(rest, payload))) {
            requestsDropped.incrementAndGet();
            LOG.warn("Remote management: {} requests are waiting; dropped one on {} (the CLI repeats it)",
                    ((ThreadPoolExecutor) requestPool).getQueue().size(), topic);
        }
    }

    private boolean publish(String topic, byte[] payload) {
        MqttLink l = link;
        if (l == null || !l.isConnected()) {
            return false;
        }
        try {
            l.publish(topic, payload, 1, false);
            return true;
        } catch (MqttException e) {
            LOG.debug("Remote management: response on {} waits: {}", topic, MqttLink.describe(e));
            return false;
        }
    }

    // ---- requests ----------------------------------------------------------------------------------------------

    private void onRequest(String verb, byte[] payload) {
        requests.incrementAndGet();
        String id = null;
        try {
            if (payload == null) {
                throw new RequestException(null, "the request is larger than " + MAX_REQUEST_BYTES + " bytes: "
                        + "refused unread (artifacts go in chunks, see the upload verb)");
            }
            Map<String, Object> fields;
            try {
                fields = Json.parseObject(payload);
            } catch (Json.JsonException e) {
                throw new RequestException(null, "the request is not a JSON object: " + e.getMessage());
            }
            id = Request.idOf(fields);
            if (!Protocol.VERBS.contains(verb)) {
                throw new RequestException("verb", "unknown verb '" + verb + "' (from the topic); known: "
                        + String.join(", ", Protocol.VERBS));
            }
            Request r = Request.of(verb, fields);
            if (book.repeat(verb, r.requestId())) {
                return;
            }
            switch (verb) {
                case Protocol.STATUS -> book.ok(verb, id, status());
                case Protocol.CONFIG_GET -> book.ok(verb, id, configVerbs.get(r));
                case Protocol.CONFIG_SET -> book.ok(verb, id, configVerbs.set(r));
                case Protocol.UPLOAD -> book.ok(verb, id, upload(r));
                default -> deployVerbs.handleUnanswered(r);
            }
        } catch (RequestException e) {
            requestErrors.incrementAndGet();
            LOG.info("Remote management: {} request {} refused: {}{}", verb, id == null ? "(no id)" : id,
                    e.field() == null ? "" : e.field() + ": ", e.getMessage());
            book.error(verb, id, e);
        } catch (RuntimeException e) {
            requestErrors.incrementAndGet();
            LOG.error("Remote management: {} request {} failed", verb, id, e);
            book.error(verb, id, null, "internal error: " + e, null);
        }
    }

    private Map<String, Object> upload(Request r) throws RequestException {
        String name = r.text("name", "the artifact's file name, e.g. rules-basic-1.2.0.jar");
        long size = r.integer("size", 1, Long.MAX_VALUE, "the artifact's length in bytes");
        String sha = r.text("sha256", "the SHA-256 of the whole artifact (64 lower-case hex digits): it is the "
                + "transfer id, and the assembled file is checked against it");
        int chunkSize = r.has("chunkSize") ? (int) r.integer("chunkSize", TransferStore.MIN_CHUNK,
                Integer.MAX_VALUE, "bytes per chunk") : Protocol.DEFAULT_CHUNK_BYTES;
        awaitChunksWritten();
        TransferStore.Transfer t = transfers.begin(name, size, sha, chunkSize);
        Map<String, Object> m = t.describe();
        m.put("resumed", t.receivedCount() > 0);
        m.put("missingCount", t.complete ? 0 : t.chunks - t.receivedCount());
        m.put("missing", t.complete ? List.of() : t.missingRanges());
        m.put("chunkTopic", Protocol.base(gatewayId) + Protocol.CHUNK + "/" + t.id + "/<index>/<crc32>");
        return m;
    }

    /**
     * Waits (up to 10 s) until the chunks that arrived before this moment are on disk: chunks are written in
     * arrival order by one thread, so a marker behind them says when. Then the missing list an upload query returns
     * does not name chunks that are merely still queued.
     */
    private void awaitChunksWritten() {
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        try {
            chunkPool.execute(written::countDown);
            written.await(10, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // the queue is full: answer with what is on disk now
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onChunk(String rest, byte[] data) {
        String[] p = rest.split("/");
        String id = p.length > 1 ? p[1] : "";
        Object index = p.length > 2 ? p[2] : null;
        try {
            if (p.length != 4 || !Protocol.validSha256(id)) {
                throw new RequestException("topic", "a chunk goes to " + Protocol.base(gatewayId) + Protocol.CHUNK
                        + "/<transferId>/<index>/<crc32 hex>, not '" + rest + "'");
            }
            int i;
            try {
                i = Integer.parseInt(p[2]);
            } catch (NumberFormatException e) {
                throw RequestException.invalid("index", p[2], "is not a chunk number");
            }
            index = i;
            if (data == null) {
                throw new RequestException("length", "the chunk is larger than transfer.max.chunk.bytes = "
                        + maxChunkBytes + ": not stored");
            }
            switch (transfers.chunk(id, i, p[3], data)) {
                case STORED -> chunksStored.incrementAndGet();
                case DUPLICATE -> chunksDuplicate.incrementAndGet();
                case COMPLETED -> {
                    chunksStored.incrementAndGet();
                    transfersCompleted.incrementAndGet();
                }
                case FAILED -> {
                    chunksStored.incrementAndGet();
                    transfersFailed.incrementAndGet();
                    TransferStore.Transfer t = transfers.get(id);
                    throw new RequestException("sha256", t == null ? "the transfer failed" : t.failure);
                }
                default -> throw new IllegalStateException();
            }
        } catch (RequestException e) {
            chunksRejected.incrementAndGet();
            LOG.info("Remote management: chunk {} of transfer {} refused: {}", index,
                    TransferStore.shortId(id), e.getMessage());
            Map<String, Object> m = book.base(Protocol.CHUNK, "", false, true);
            m.put("transferId", id);
            m.put("index", index);
            m.put("error", Json.obj("field", e.field(), "message", e.getMessage()));
            book.notice(Protocol.CHUNK, m);
        }
    }

    // ---- status and health -------------------------------------------------------------------------------------

    private Map<String, Object> status() {
        Map<String, HealthReport> health = new TreeMap<>();
        List<Map.Entry<Map<String, Object>, HealthReporter>> rs = reporters;
        if (rs != null) {
            for (Map.Entry<Map<String, Object>, HealthReporter> e : rs) {
                Object name = e.getKey().get(HealthReporter.NAME);
                String n = name != null ? String.valueOf(name) : "service." + e.getKey().get("service.id");
                HealthReport report;
                try {
                    report = e.getValue().health();
                } catch (RuntimeException ex) {
                    report = HealthReport.failed("health() threw " + ex);
                }
                health.put(n, report == null ? HealthReport.failed("health() returned null") : report);
            }
        }
        Map<String, Object> remote = new LinkedHashMap<>();
        MqttLink l = link;
        remote.put("broker", l == null ? null : l.url());
        remote.put("transfers", transfers.list());
        remote.put("responsesWaiting", book.waitingCount());
        remote.put("counters", counters());
        return StatusVerb.status(gatewayId, context, agent, metrics, health, remote);
    }

    private Map<String, Number> counters() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("requests", requests.get());
        m.put("request_errors", requestErrors.get());
        m.put("requests_dropped", requestsDropped.get());
        m.put("retained_ignored", retainedIgnored.get());
        m.put("chunks_stored", chunksStored.get());
        m.put("chunks_duplicate", chunksDuplicate.get());
        m.put("chunks_rejected", chunksRejected.get());
        m.put("chunks_dropped", chunksDropped.get());
        m.put("transfers_completed", transfersCompleted.get());
        m.put("transfers_failed", transfersFailed.get());
        m.put("transfers_expired", transfersExpired.get());
        m.put("transfer_bytes", transfers.bytesOnDisk());
        m.put("responses_waiting", book.waitingCount());
        m.put("responses_dropped", book.droppedCount());
        return m;
    }

    /**
     * Always ok: losing the management broker does not stop the gateway's work, and the deployment agent rolls an
     * update back when a reporter that was ok turns not ok during the health window, which a broker outage must not
     * cause. The detail says whether it is connected (the uplink reports the broker connections themselves).
     */
    @Override
    public HealthReport health() {
        MqttLink l = link;
        boolean up = l != null && l.isConnected();
        String where = l == null ? "stopped" : l.url();
        return new HealthReport(true, up ? "listening on " + Protocol.base(gatewayId) + "<verb> at " + where
                : "not connected to " + where + " (reconnecting)", counters());
    }
}

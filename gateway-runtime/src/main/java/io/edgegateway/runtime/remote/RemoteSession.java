package io.edgegateway.runtime.remote;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;

import io.edgegateway.management.protocol.Checksums;
import io.edgegateway.management.protocol.Json;
import io.edgegateway.management.protocol.MqttLink;
import io.edgegateway.management.protocol.Protocol;

/**
 * The operator's side of remote management: one MQTT connection (reconnecting by itself), requests with
 * responses matched by request id, and resumable uploads. Used by many threads at once (one per gateway in a
 * fleet command).
 *
 * <p>A request is repeated with the same id when no answer came within {@code retryMs} (lost while the broker or
 * the gateway was away); the gateway answers a repeat again rather than carrying it out twice. After a
 * {@code final:false} (running) answer the request is repeated less often, only to catch a lost final answer.
 */
final class RemoteSession implements AutoCloseable {

    /** The gateway answered {@code ok:false}, or not at all. */
    static final class RemoteFailure extends Exception {
        final Map<String, Object> response;
        final boolean unreachable;

        RemoteFailure(String message, Map<String, Object> response, boolean unreachable) {
            super(message);
            this.response = response;
            this.unreachable = unreachable;
        }
    }

    private static final String RESPONSES = "gateway/+/cmd/+/" + Protocol.RESPONSE;
    private static final int CHUNK_WINDOW = 16;
    /**
     * Chunks sent before asking the gateway again what it still needs: a gateway that went away meanwhile costs at
     * most this many chunks sent for nothing.
     */
    private static final int ROUND_CHUNKS = 32;

    private final MqttLink link;
    private final long retryMs;
    private final PrintStream log;
    private final String operator;
    private final String idPrefix = "cli-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, BlockingQueue<Map<String, Object>>> waiting = new ConcurrentHashMap<>();
    private final Map<String, String> statuses = new ConcurrentHashMap<>();
    private volatile boolean watchStatus;

    RemoteSession(MqttLink.Settings settings, long retryMs, PrintStream log) throws MqttException {
        this.retryMs = retryMs;
        this.log = log;
        this.operator = operator();
        this.link = new MqttLink("remote", settings, "remote-cli-reconnect", new MqttLink.Listener() {
            @Override
            public void connected(boolean first) {
                link.subscribe(filters(), 1);
                if (!first) {
                    log.println("(connected to the broker again)");
                }
            }

            @Override
            public void connectionLost(String cause) {
                log.println("(lost the broker: " + cause + "; reconnecting)");
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                onMessage(topic, message);
            }
        });
    }

    private String[] filters() {
        return watchStatus ? new String[] {RESPONSES, Protocol.STATUS_FILTER} : new String[] {RESPONSES};
    }

    private static String operator() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown-host";
        }
        return System.getProperty("user.name", "unknown") + "@" + host;
    }

    /** Connects (retrying until {@code timeoutMs}) and subscribes to the responses. */
    void connect(long timeoutMs) throws RemoteFailure, InterruptedException {
        link.start();
        if (!link.awaitConnected(timeoutMs)) {
            throw new RemoteFailure("cannot connect to the broker " + link.url() + " within " + timeoutMs / 1000
                    + " s: " + link.detail(), null, true);
        }
        try {
            link.subscribeAndWait(filters(), 1, timeoutMs);
        } catch (MqttException e) {
            throw new RemoteFailure("cannot subscribe to " + RESPONSES + ": " + MqttLink.describe(e), null, true);
        }
    }

    /**
     * The gateways that announce themselves on their retained {@code gateway/<id>/status} topic, with their last
     * status (state online or offline), collected for {@code waitMs}.
     */
    Map<String, Map<String, Object>> discover(long waitMs) throws RemoteFailure, InterruptedException {
        watchStatus = true;
        try {
            link.subscribeAndWait(new String[] {Protocol.STATUS_FILTER}, 1, waitMs + 5000);
        } catch (MqttException e) {
            throw new RemoteFailure("cannot subscribe to " + Protocol.STATUS_FILTER + ": " + MqttLink.describe(e),
                    null, true);
        }
        Thread.sleep(waitMs);
        Map<String, Map<String, Object>> out = new java.util.TreeMap<>();
        statuses.forEach((id, payload) -> {
            try {
                out.put(id, Json.parseObject(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            } catch (Json.JsonException e) {
                out.put(id, Json.obj("state", "unknown", "reason", "status is not JSON: " + e.getMessage()));
            }
        });
        return out;
    }

    private void onMessage(String topic, MqttMessage message) {
        String gw = Protocol.gatewayOfStatusTopic(topic);
        if (gw != null) {
            if (message.getPayload().length > 0) {
                statuses.put(gw, new String(message.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
            }
            return;
        }
        try {
            Map<String, Object> m = Json.parseObject(message.getPayload());
            Object id = m.get(Protocol.REQUEST_ID);
            BlockingQueue<Map<String, Object>> q = id == null ? null : waiting.get(String.valueOf(id));
            if (q != null) {
                q.add(m);
            }
        } catch (Json.JsonException e) {
            // not an answer of ours
        }
    }

    /**
     * Sends a request and waits for its final answer.
     *
     * @param onRunning told the interim answer's message once (may be null)
     * @throws RemoteFailure {@code ok:false} (with the response), or no final answer within {@code timeoutMs}
     */
    Map<String, Object> request(String gatewayId, String verb, Map<String, Object> fields, long timeoutMs,
                                java.util.function.Consumer<String> onRunning)
            throws RemoteFailure, InterruptedException {
        String id = idPrefix + "-" + ids.incrementAndGet();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(Protocol.REQUEST_ID, id);
        body.put("operator", operator);
        body.putAll(fields);
        byte[] payload = Json.writeBytes(body);
        String topic = Protocol.requestTopic(gatewayId, verb);
        BlockingQueue<Map<String, Object>> answers = new LinkedBlockingQueue<>();
        waiting.put(id, answers);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            boolean running = false;
            boolean sent = send(topic, payload);
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    long s = Math.round(timeoutMs / 1000.0);
                    throw new RemoteFailure(running ? "no final answer from " + gatewayId + " within " + s
                            + " s (it accepted the request: see status for the result)" : "no answer from "
                            + gatewayId + " within " + s + " s" + (link.isConnected() ? ""
                            : " (" + link.detail() + ")"), null, true);
                }
                long wait = !sent ? Math.min(left, 1000) : Math.min(left, running ? retryMs * 3 : retryMs);
                Map<String, Object> r = answers.poll(wait, TimeUnit.MILLISECONDS);
                if (r == null) {
                    sent = send(topic, payload); // repeated with the same id: answered, not carried out, again
                    continue;
                }
                if (Boolean.TRUE.equals(r.get("final"))) {
                    if (!Boolean.TRUE.equals(r.get("ok"))) {
                        throw new RemoteFailure(errorText(r), r, false);
                    }
                    return r;
                }
                if (!running && onRunning != null) {
                    onRunning.accept(String.valueOf(r.get("message")));
                }
                running = true;
            }
        } finally {
            waiting.remove(id);
        }
    }

    static String errorText(Map<String, Object> r) {
        if (r.get("error") instanceof Map<?, ?> e) {
            return String.valueOf(e.get("message")); // the gateway's messages name the field
        }
        return "failed (no error given)";
    }

    private boolean send(String topic, byte[] payload) {
        try {
            link.publish(topic, payload, 1, false);
            return true;
        } catch (MqttException e) {
            return false;
        }
    }

    /**
     * Uploads a file to a gateway, resuming where a previous attempt stopped: asks which chunks the gateway still
     * needs, sends those, and asks again until it says the transfer is complete (its SHA-256 verified).
     *
     * @return the transfer id (the file's SHA-256) and how many chunks the gateway already had
     */
    UploadResult upload(String gatewayId, Path file, int chunkSize, double chunksPerSecond, long timeoutMs,
                        boolean progress) throws RemoteFailure, InterruptedException, IOException {
        long size = Files.size(file);
        String sha = Checksums.sha256Hex(file);
        Map<String, Object> query = Json.obj("name", file.getFileName().toString(), "size", size, "sha256", sha,
                "chunkSize", chunkSize);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int sentTotal = 0;
        int alreadyThere = -1;
        int rounds = 0;
        int lastMissing = Integer.MAX_VALUE;
        int stalled = 0;
        long pauseNanos = chunksPerSecond > 0 ? (long) (1e9 / chunksPerSecond) : 0;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                Map<String, Object> r = result(request(gatewayId, Protocol.UPLOAD, query, Math.max(1000, left), null));
                int chunks = ((Number) r.get("chunks")).intValue();
                int missing = ((Number) r.get("missingCount")).intValue();
                if (alreadyThere < 0) {
                    alreadyThere = chunks - missing;
                }
                if (Boolean.TRUE.equals(r.get("complete"))) {
                    return new UploadResult(sha, size, chunks, alreadyThere, sentTotal);
                }
                stalled = missing < lastMissing ? 0 : stalled + 1;
                lastMissing = missing;
                if (stalled > 5) {
                    throw new RemoteFailure("upload of " + file.getFileName() + " to " + gatewayId + " makes no "
                            + "progress: " + missing + " chunks still missing after 5 rounds", null, false);
                }
                int cs = ((Number) r.get("chunkSize")).intValue();
                if (progress && rounds > 0) {
                    log.printf("  %s: %d of %d chunks on the gateway, %d missing%n", gatewayId, chunks - missing,
                            chunks, missing);
                }
                rounds++;
                Deque<IMqttDeliveryToken> window = new ArrayDeque<>();
                byte[] buf = new byte[cs];
                boolean broken = false;
                int inRound = 0;
                for (Object range : (List<?>) r.get("missing")) {
                    List<?> fromTo = (List<?>) range;
                    for (int i = ((Number) fromTo.get(0)).intValue(); i <= ((Number) fromTo.get(1)).intValue()
                            && !broken && inRound < ROUND_CHUNKS; i++, inRound++) {
                        long offset = (long) i * cs;
                        int len = (int) Math.min(cs, size - offset);
                        byte[] data = len == cs ? buf : new byte[len];
                        in.seek(offset);
                        in.readFully(data, 0, len);
                        String topic = Protocol.chunkTopic(gatewayId, sha, i, Checksums.crc32Hex(data, 0, len));
                        try {
                            window.addLast(link.publish(topic, data.clone(), 1, false));
                            sentTotal++;
                            while (window.size() >= CHUNK_WINDOW) {
                                window.pollFirst().waitForCompletion(30_000);
                            }
                        } catch (MqttException e) {
                            broken = true; // lost the broker: ask again once connected, the gateway knows what it has
                        }
                        if (pauseNanos > 0) {
                            TimeUnit.NANOSECONDS.sleep(pauseNanos);
                        }
                    }
                }
                for (IMqttDeliveryToken t : window) {
                    try {
                        t.waitForCompletion(30_000);
                    } catch (MqttException e) {
                        broken = true;
                    }
                }
                if (broken) {
                    link.awaitConnected(Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                }
            }
        }
    }

    record UploadResult(String transferId, long size, int chunks, int chunksAlreadyThere, int chunksSent) {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> result(Map<String, Object> response) {
        Object r = response.get("result");
        return r instanceof Map ? (Map<String, Object>) r : Map.of();
    }

    @Override
    public void close() {
        link.close();
    }
}

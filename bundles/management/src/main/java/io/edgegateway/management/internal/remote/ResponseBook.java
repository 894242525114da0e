package io.edgegateway.management.internal.remote;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.management.protocol.Json;
import io.edgegateway.management.protocol.Protocol;

/**
 * Every response goes through here, so that none is lost and none is made twice:
 * <ul>
 *   <li>final responses are kept by request id (the last {@code cacheSize}): a request repeated with the same id
 *       (the CLI repeats when it heard nothing) gets the same answer again instead of being carried out again;
 *   <li>a response made while the broker is away waits in a bounded queue and goes out after the reconnect;
 *   <li>long operations (install, update, ...) are journaled on disk when accepted and resolved when answered, so
 *       that after a gateway restart their result (from the deployment agent's history) is still published.
 * </ul>
 * Thread-safe.
 */
final class ResponseBook {

    /** Publishes one response; false when it could not be handed to the client (not connected). */
    interface Sink {
        boolean publish(String topic, byte[] payload);
    }

    /** A long operation accepted but not answered yet, as journaled. */
    record Journaled(String requestId, String verb, long acceptedMs, List<String> transfers) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ResponseBook.class);
    private static final int MAX_WAITING = 1000;

    private final String gatewayId;
    private final Path journalDir;
    private final int cacheSize;
    private final List<String> uncached;
    private final Sink sink;
    private final Map<String, Map<String, Object>> finals;
    private final Map<String, Map<String, Object>> running = new LinkedHashMap<>();
    private final Deque<Map.Entry<String, byte[]>> waiting = new ArrayDeque<>();
    private long dropped;

    /** @param uncached verbs whose answers are not kept for repeats (reads: carrying them out again is harmless) */
    ResponseBook(String gatewayId, Path journalDir, int cacheSize, List<String> uncached, Sink sink)
            throws IOException {
        this.gatewayId = gatewayId;
        this.uncached = List.copyOf(uncached);
        this.journalDir = journalDir;
        this.cacheSize = cacheSize;
        this.sink = sink;
        this.finals = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Map<String, Object>> eldest) {
                return size() > ResponseBook.this.cacheSize;
            }
        };
        Files.createDirectories(journalDir);
    }

    Map<String, Object> base(String verb, String requestId, boolean ok, boolean fin) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(Protocol.REQUEST_ID, requestId == null ? "" : requestId);
        m.put("verb", verb);
        m.put("gatewayId", gatewayId);
        m.put("ok", ok);
        m.put("final", fin);
        m.put("time", Instant.now().toString());
        return m;
    }

    /** A final answer with a result. */
    void ok(String verb, String requestId, Object result) {
        Map<String, Object> m = base(verb, requestId, true, true);
        m.put("result", result);
        answer(verb, requestId, m);
    }

    /** A final answer saying what was wrong; {@code result} may carry details (null: none). */
    void error(String verb, String requestId, String field, String message, Object result) {
        Map<String, Object> m = base(verb, requestId, false, true);
        m.put("error", Json.obj("field", field, "message", message));
        if (result != null) {
            m.put("result", result);
        }
        answer(verb, requestId, m);
    }

    void error(String verb, String requestId, RequestException e) {
        error(verb, requestId, e.field(), e.getMessage(), null);
    }

    /** An interim answer: accepted and under way; the final one follows. */
    void running(String verb, String requestId, String message) {
        Map<String, Object> m = runningAnswer(verb, requestId, message);
        synchronized (this) {
            running.put(requestId, m);
        }
        send(Protocol.responseTopic(gatewayId, verb), m);
    }

    /**
     * An interim answer to the repeat of a request journaled before a restart: sent, not remembered as running here
     * (the journal keeps it open until {@code recover} or a repeat finds its result).
     */
    void interim(String verb, String requestId, String message) {
        send(Protocol.responseTopic(gatewayId, verb), runningAnswer(verb, requestId, message));
    }

    private Map<String, Object> runningAnswer(String verb, String requestId, String message) {
        Map<String, Object> m = base(verb, requestId, true, false);
        m.put("state", "running");
        m.put("message", message);
        return m;
    }

    /** Publishes (or queues) a final answer, remembers it, ends the request's journal entry. */
    void answer(String verb, String requestId, Map<String, Object> response) {
        if (requestId != null && !requestId.isEmpty()) {
            synchronized (this) {
                running.remove(requestId);
                if (!uncached.contains(verb)) {
                    finals.put(requestId, response);
                }
            }
            resolved(requestId);
        }
        send(Protocol.responseTopic(gatewayId, verb), response);
    }

    /** Publishes something that is not the answer to a request (chunk errors). */
    void notice(String verb, Map<String, Object> message) {
        send(Protocol.responseTopic(gatewayId, verb), message);
    }

    /**
     * Answers a request seen before again (final, or still running); false when the id is new here.
     */
    boolean repeat(String verb, String requestId) {
        Map<String, Object> m;
        synchronized (this) {
            m = finals.get(requestId);
            if (m == null) {
                m = running.get(requestId);
            }
        }
        if (m == null) {
            return false;
        }
        send(Protocol.responseTopic(gatewayId, String.valueOf(m.get("verb"))), m);
        return true;
    }

    synchronized boolean isRunning(String requestId) {
        return running.containsKey(requestId);
    }

    private void send(String topic, Map<String, Object> response) {
        byte[] payload = Json.writeBytes(response);
        synchronized (this) {
            if (!waiting.isEmpty()) {
                enqueue(topic, payload); // keep the order
                return;
            }
        }
        if (!sink.publish(topic, payload)) {
            synchronized (this) {
                enqueue(topic, payload);
            }
        }
    }

    private void enqueue(String topic, byte[] payload) {
        if (waiting.size() >= MAX_WAITING) {
            waiting.pollFirst();
            dropped++;
        }
        waiting.addLast(Map.entry(topic, payload));
    }

    /** Sends what waited for the broker; call after a (re)connect and now and then. */
    void flush() {
        while (true) {
            Map.Entry<String, byte[]> next;
            synchronized (this) {
                next = waiting.peekFirst();
                if (next == null) {
                    return;
                }
            }
            if (!sink.publish(next.getKey(), next.getValue())) {
                return;
            }
            synchronized (this) {
                waiting.remove(next);
            }
        }
    }

    synchronized int waitingCount() {
        return waiting.size();
    }

    /** Responses dropped because more than {@value #MAX_WAITING} waited for the broker. */
    synchronized long droppedCount() {
        return dropped;
    }

    // ---- journal of long operations ----------------------------------------------------------------------------

    void accepted(Request r, List<String> transfers) {
        Map<String, Object> entry = Json.obj("requestId", r.requestId(), "verb", r.verb(), "acceptedMs",
                System.currentTimeMillis(), "transfers", transfers);
        Path file = journalDir.resolve(r.requestId() + ".json");
        Path tmp = journalDir.resolve(r.requestId() + ".json.tmp");
        try {
            Files.write(tmp, Json.writeBytes(entry));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("Remote management: cannot journal request {}: {}; its result is lost if the gateway restarts "
                    + "before it ends", r.requestId(), e.toString());
        }
    }

    private void resolved(String requestId) {
        try {
            Files.deleteIfExists(journalDir.resolve(requestId + ".json"));
        } catch (IOException e) {
            LOG.warn("Remote management: cannot remove journal entry of request {}: {}", requestId, e.toString());
        }
    }

    /** Journaled requests (accepted, not answered), oldest first. */
    @SuppressWarnings("unchecked")
    List<Journaled> journaled() {
        List<Journaled> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(journalDir, "*.json")) {
            for (Path p : ds) {
                try {
                    Map<String, Object> m = Json.parseObject(Files.readAllBytes(p));
                    List<String> transfers = new ArrayList<>();
                    if (m.get("transfers") instanceof List<?> l) {
                        l.forEach(o -> transfers.add(String.valueOf(o)));
                    }
                    out.add(new Journaled(String.valueOf(m.get("requestId")), String.valueOf(m.get("verb")),
                            m.get("acceptedMs") instanceof Long l ? l : 0L, transfers));
                } catch (IOException | Json.JsonException e) {
                    LOG.warn("Remote management: unreadable journal entry {} removed: {}", p, e.getMessage());
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("Remote management: cannot read the request journal {}: {}", journalDir, e.toString());
        }
        out.sort(java.util.Comparator.comparingLong(Journaled::acceptedMs));
        return out;
    }

    /** The transfers a journaled request uses (none when it is not journaled). */
    List<String> journaledTransfers(String requestId) {
        return journaled().stream().filter(j -> j.requestId().equals(requestId)).findFirst()
                .map(Journaled::transfers).orElse(List.of());
    }

    boolean isJournaled(String requestId) {
        return Files.exists(journalDir.resolve(requestId + ".json"));
    }
}

package io.edgegateway.connector.mqtt.internal.offload;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;

/**
 * The requester's side of offload: each request sent waits here under its correlation id until its reply comes
 * or its deadline passes, whichever is first; exactly one of the two completes it. Bounded: beyond
 * {@code maxPending} waiting requests a new one is refused at once. A "busy" reply is retried up to
 * {@code busyRetries} times while the deadline lasts (the broker hands the next copy to the group's next gateway),
 * then fails the request. Thread-safe.
 *
 * <p>Deadlines run on the given scheduler (the offload's own thread), so a request times out there; replies are
 * handed in by the caller on its thread. Neither is ever Paho's callback thread.
 */
public final class PendingRequests {

    /** What became of a reply. */
    public enum Outcome {
        /** The request's stage completed with the explanation. */
        ANSWERED,
        /** The answering gateway was busy: send the request again ({@link #payload}); it still waits. */
        RETRY,
        /** The answering gateway was busy, and so were the retries: the stage failed (RejectedExecutionException). */
        BUSY,
        /** The answering gateway reported an error, or answered for another alert: the stage failed. */
        ERROR,
        /** No request waits under this id (it timed out already, or was never ours). */
        LATE
    }

    private static final class Waiting {
        final Alert alert;
        final CompletableFuture<Explanation> future;
        final byte[] payload;
        final AtomicInteger busyReplies = new AtomicInteger();
        volatile ScheduledFuture<?> timeout;

        Waiting(Alert alert, CompletableFuture<Explanation> future, byte[] payload) {
            this.alert = alert;
            this.future = future;
            this.payload = payload;
        }

        Alert alert() {
            return alert;
        }

        CompletableFuture<Explanation> future() {
            return future;
        }

        void cancelTimeout() {
            ScheduledFuture<?> t = timeout;
            if (t != null) {
                t.cancel(false);
            }
        }
    }

    private final int maxPending;
    private final int busyRetries;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier clockMillis;
    private final ConcurrentHashMap<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final LongAdder sent = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder busy = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failed = new LongAdder();

    /**
     * @param maxPending  requests that may wait for replies at once
     * @param busyRetries how often a request answered "busy" is sent again
     * @param scheduler   runs the deadlines
     * @param clockMillis wall clock (epoch ms) for the latency from the alert's detection time
     */
    public PendingRequests(int maxPending, int busyRetries, ScheduledExecutorService scheduler,
                           LongSupplier clockMillis) {
        if (maxPending < 1 || busyRetries < 0) {
            throw new IllegalArgumentException("maxPending must be >= 1, busyRetries >= 0");
        }
        this.maxPending = maxPending;
        this.busyRetries = busyRetries;
        this.scheduler = scheduler;
        this.clockMillis = clockMillis;
    }

    /**
     * Registers a request about to be sent; its stage completes with the reply's explanation or fails with a
     * {@link TimeoutException} after {@code deadlineMillis}. Fails at once (RejectedExecutionException) when
     * {@code maxPending} requests are waiting.
     *
     * @param payload the request as sent, kept to send it again after a "busy" reply
     */
    public CompletableFuture<Explanation> register(String requestId, Alert alert, long deadlineMillis,
                                                   byte[] payload) {
        CompletableFuture<Explanation> f = new CompletableFuture<>();
        if (size.incrementAndGet() > maxPending) {
            size.decrementAndGet();
            refused.increment();
            f.completeExceptionally(new RejectedExecutionException("offload: " + maxPending
                    + " requests are already waiting for replies (max.pending)"));
            return f;
        }
        Waiting w = new Waiting(alert, f, payload);
        if (waiting.putIfAbsent(requestId, w) != null) {
            size.decrementAndGet();
            throw new IllegalArgumentException("request id " + requestId + " is already waiting");
        }
        sent.increment();
        // scheduled once the entry exists, so it always finds it (a reply in between leaves it nothing to do)
        try {
            w.timeout = scheduler.schedule(() -> expire(requestId, deadlineMillis), deadlineMillis,
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            failed(requestId, new IllegalStateException("offload: stopping"));
        }
        return f;
    }

    private void expire(String requestId, long deadlineMillis) {
        Waiting w = remove(requestId);
        if (w != null) {
            timedOut.increment();
            w.future().completeExceptionally(new TimeoutException("offload: no answer within " + deadlineMillis
                    + " ms (no gateway with a model serves the request topic, or none answered in time)"));
        }
    }

    /** The request could not be sent: it fails now with {@code cause}. */
    public void failed(String requestId, Throwable cause) {
        Waiting w = remove(requestId);
        if (w != null) {
            w.cancelTimeout();
            failed.increment();
            w.future().completeExceptionally(cause);
        }
    }

    /** A reply arrived: completes its request, unless it came too late. */
    public Outcome onReply(OffloadCodec.Reply reply) {
        Waiting busyOne = reply.status() == OffloadCodec.Status.BUSY ? waiting.get(reply.requestId()) : null;
        if (busyOne != null && busyOne.busyReplies.incrementAndGet() <= busyRetries) {
            retried.increment();
            return Outcome.RETRY; // it keeps waiting, its deadline running
        }
        Waiting w = remove(reply.requestId());
        if (w == null) {
            late.increment();
            return Outcome.LATE;
        }
        w.cancelTimeout();
        switch (reply.status()) {
            case OK -> {
                Explanation e = reply.explanation();
                if (!e.alertId().equals(w.alert().alertId())) {
                    errors.increment();
                    w.future().completeExceptionally(new IllegalStateException("offload: gateway "
                            + reply.servedBy() + " answered request " + reply.requestId() + " with an explanation of "
                            + "alert " + e.alertId() + ", not " + w.alert().alertId()));
                    return Outcome.ERROR;
                }
                answered.increment();
                double latency = Math.max(0, clockMillis.getAsLong() - w.alert().detectionTime().toEpochMilli());
                w.future().complete(e.fromGateway(reply.servedBy(), latency));
                return Outcome.ANSWERED;
            }
            case BUSY -> {
                busy.increment();
                w.future().completeExceptionally(new RejectedExecutionException("offload: gateway "
                        + reply.servedBy() + " is busy (" + reply.reason() + ")"));
                return Outcome.BUSY;
            }
            default -> {
                errors.increment();
                w.future().completeExceptionally(new IllegalStateException("offload: gateway " + reply.servedBy()
                        + " could not explain it: " + reply.reason()));
                return Outcome.ERROR;
            }
        }
    }

    /** The request as sent, to send it again after {@link Outcome#RETRY}; null when it no longer waits. */
    public byte[] payload(String requestId) {
        Waiting w = waiting.get(requestId);
        return w == null ? null : w.payload;
    }

    private Waiting remove(String requestId) {
        Waiting w = waiting.remove(requestId);
        if (w != null) {
            size.decrementAndGet();
        }
        return w;
    }

    /** Fails every waiting request (the offload stops). */
    public void failAll(String why) {
        for (String id : waiting.keySet()) {
            failed(id, new IllegalStateException("offload: " + why));
        }
    }

    public int pending() {
        return size.get();
    }

    /** Requests registered (sent or about to be). */
    public long sent() {
        return sent.sum();
    }

    /** Requests sent again after a "busy" reply. */
    public long retried() {
        return retried.sum();
    }

    public long answered() {
        return answered.sum();
    }

    /** Requests that failed because every gateway that got them was busy. */
    public long busy() {
        return busy.sum();
    }

    /** Replies with status error, or for another alert. */
    public long errors() {
        return errors.sum();
    }

    public long timedOut() {
        return timedOut.sum();
    }

    /** Replies that found no request waiting (after its deadline). */
    public long late() {
        return late.sum();
    }

    /** Requests refused because {@code maxPending} were waiting. */
    public long refused() {
        return refused.sum();
    }

    /** Requests that could not be sent. */
    public long failed() {
        return failed.sum();
    }
}

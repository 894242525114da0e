package io.edgegateway.connector.mqtt.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets one log line through per interval and counts the ones it held back, so a storm (a broker down, a queue
 * full) logs a line now and then instead of one per event. Thread-safe, lock-free.
 */
final class RateLimitedLog {

    private final long intervalNanos;
    private final LongSupplier clock;
    private final AtomicLong next;
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(long intervalMillis) {
        this(intervalMillis, System::nanoTime);
    }

    RateLimitedLog(long intervalMillis, LongSupplier nanoClock) {
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.clock = nanoClock;
        this.next = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * @return -1 when this event must not be logged; otherwise the number of events held back since the last one
     *         logged (and the count starts again)
     */
    long tryLog() {
        long now = clock.getAsLong();
        long n = next.get();
        if (now - n >= 0 && next.compareAndSet(n, now + intervalNanos)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }

    /** Starts afresh: the next event is logged. */
    void reset() {
        next.set(clock.getAsLong());
        suppressed.set(0);
    }
}

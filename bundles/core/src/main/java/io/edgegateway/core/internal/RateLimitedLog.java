package io.edgegateway.core.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Lets one line through per interval and says how many were held back, so a flood of bad input cannot flood the
 * log (or slow the pipeline with I/O).
 */
final class RateLimitedLog {

    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(long intervalMillis) {
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    /** Calls {@code sink} with the number of lines suppressed since the last one, or counts this one as suppressed. */
    void log(Consumer<Long> sink) {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAllowed.compareAndSet(next, now + intervalNanos)) {
            sink.accept(suppressed.getAndSet(0));
        } else {
            suppressed.incrementAndGet();
        }
    }
}

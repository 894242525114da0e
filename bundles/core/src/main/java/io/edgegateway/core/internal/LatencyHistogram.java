package io.edgegateway.core.internal;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-size log-linear histogram of latencies in microseconds (8 sub-buckets per power of two, so a reported
 * percentile is within 12.5 % of the true value). Constant memory, no allocation on {@link #record}, safe for
 * concurrent writers. Covers 0 .. 2^40 us; larger values land in the last bucket.
 */
final class LatencyHistogram {

    private static final int LINEAR = 16;
    private static final int SUB_BITS = 3;
    private static final int SUB = 1 << SUB_BITS;
    private static final int MAX_EXPONENT = 40;
    private static final int BUCKETS = LINEAR + (MAX_EXPONENT - 4 + 1) * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private volatile long max;

    void record(long micros) {
        long v = Math.max(0, micros);
        counts.incrementAndGet(index(v));
        if (v > max) {
            max = v; // a racy maximum is fine for monitoring
        }
    }

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        if (exponent > MAX_EXPONENT) {
            return BUCKETS - 1;
        }
        int sub = (int) ((v >>> (exponent - SUB_BITS)) & (SUB - 1));
        return LINEAR + (exponent - 4) * SUB + sub;
    }

    /** The upper bound of the values a bucket holds. */
    static long upperBound(int index) {
        if (index < LINEAR) {
            return index;
        }
        int exponent = (index - LINEAR) / SUB + 4;
        int sub = (index - LINEAR) % SUB;
        long base = 1L << exponent;
        long step = base >>> SUB_BITS;
        return base + (sub + 1) * step - 1;
    }

    /** The value at or below which {@code quantile} (0..1) of the recorded values lie; 0 when empty. */
    long percentile(double quantile) {
        long total = 0;
        long[] snapshot = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            snapshot[i] = counts.get(i);
            total += snapshot[i];
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(quantile * total);
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += snapshot[i];
            if (seen >= rank && snapshot[i] > 0) {
                return Math.min(upperBound(i), max);
            }
        }
        return max;
    }

    long max() {
        return max;
    }
}

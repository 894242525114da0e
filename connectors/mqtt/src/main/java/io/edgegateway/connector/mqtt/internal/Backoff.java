package io.edgegateway.connector.mqtt.internal;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential reconnect delays: min, 2 min, 4 min ... capped at max, each with +-20 % jitter (within min..max). */
final class Backoff {

    private final long minMillis;
    private final long maxMillis;

    Backoff(long minMillis, long maxMillis) {
        if (minMillis <= 0 || maxMillis < minMillis) {
            throw new IllegalArgumentException("need 0 < min <= max: " + minMillis + ", " + maxMillis);
        }
        this.minMillis = minMillis;
        this.maxMillis = maxMillis;
    }

    /** The delay before attempt {@code attempt + 1}, after {@code attempt} (1, 2, ...) failed attempts. */
    long delayMillis(int attempt) {
        return delayMillis(attempt, ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    }

    long delayMillis(int attempt, double jitter) {
        int shift = Math.max(0, Math.min(attempt - 1, 30));
        double base = Math.min((double) maxMillis, (double) minMillis * (1L << shift));
        long d = Math.round(base * jitter);
        return Math.max(minMillis, Math.min(maxMillis, d));
    }
}

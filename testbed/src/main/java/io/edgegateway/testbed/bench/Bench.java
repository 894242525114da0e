package io.edgegateway.testbed.bench;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;

/** Progress on stderr and small statistics. */
final class Bench {

    private static final PrintStream ERR = System.err;

    private Bench() {
    }

    static void log(String message) {
        ERR.println("[bench " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + "] " + message);
        ERR.flush();
    }

    /** Nearest-rank percentile of {@code sorted} ({@code q} in 0..1); NaN when empty. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static double[] sorted(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, Math.min(left / 1_000_000, 200)));
        }
    }

    static double round(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return v;
        }
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}

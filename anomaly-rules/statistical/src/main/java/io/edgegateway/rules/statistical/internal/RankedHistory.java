package io.edgegateway.rules.statistical.internal;

import java.util.Arrays;

/**
 * The last {@code capacity} values of one feature, kept both in arrival order (to drop the oldest) and sorted (to
 * rank a new value by binary search). Stored as floats: 8 bytes per entry. Insertion moves at most
 * {@code capacity} floats ({@code System.arraycopy}); ranking is O(log capacity). Allocates nothing after construction.
 */
final class RankedHistory {

    private final float[] ring;
    private final float[] sorted;
    private int next;
    private int count;
    private double sum;

    RankedHistory(int capacity) {
        this.ring = new float[capacity];
        this.sorted = new float[capacity];
    }

    int count() {
        return count;
    }

    /**
     * The conformal p-value of {@code v}: {@code (#{h >= v} + 1) / (n + 1)} over the n values held. Beyond the largest
     * value it keeps falling, as an exponential tail whose scale is {@code tailScale * (max - mean)}, so that larger
     * excesses rank higher instead of tying; a constant history makes any larger value a 1e-3 surprise.
     */
    double pValue(double v, double tailScale) {
        if (count == 0) {
            return 1;
        }
        float fv = (float) v;
        int above = count - lowerBound(fv);
        double p = (above + 1.0) / (count + 1.0);
        if (above == 0) {
            double max = sorted[count - 1];
            double scale = tailScale * (max - sum / count);
            if (scale > 0) {
                p *= Math.exp(-(v - max) / scale);
            } else if (v > max) {
                p *= 1e-3;
            }
        }
        return p;
    }

    void add(double value) {
        float v = (float) value;
        if (count == ring.length) {
            float old = ring[next];
            int at = lowerBound(old); // sorted[at] == old: it is held
            System.arraycopy(sorted, at + 1, sorted, at, count - at - 1);
            count--;
            sum -= old;
        }
        int at = lowerBound(v);
        System.arraycopy(sorted, at, sorted, at + 1, count - at);
        sorted[at] = v;
        count++;
        sum += v;
        ring[next] = v;
        next = next + 1 == ring.length ? 0 : next + 1;
    }

    /** The first index whose value is {@code >= v} (count when none). */
    private int lowerBound(float v) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Bytes of the arrays (the object headers aside). */
    long arrayBytes() {
        return 4L * (ring.length + sorted.length);
    }

    @Override
    public String toString() {
        return "RankedHistory" + Arrays.toString(Arrays.copyOf(sorted, count));
    }
}

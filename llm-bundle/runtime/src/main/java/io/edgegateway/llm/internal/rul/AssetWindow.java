package io.edgegateway.llm.internal.rul;

import java.util.Arrays;

/**
 * The last {@code capacity} cycles of one asset's model inputs, assembled from samples that arrive one signal at a
 * time. A cycle (row) is complete when every feature has a value; it is also closed when a feature that already
 * has a value in the open row arrives again (the next cycle started), features that did not report being carried
 * over from the previous row. Rows before the first complete one are dropped. Thread-safe.
 */
public final class AssetWindow {

    private final int features;
    private final double[][] ring;
    private int size;
    private int head; // next write position
    private long rowsAppended;
    private final double[] open;
    private final boolean[] present;
    private int presentCount;
    private double[] last;

    public AssetWindow(int features, int capacity) {
        this.features = features;
        this.ring = new double[capacity][];
        this.open = new double[features];
        this.present = new boolean[features];
    }

    /** Adds one feature's value of the current cycle. */
    public synchronized void offer(int feature, double value) {
        if (present[feature]) {
            closeRow();
        }
        open[feature] = value;
        present[feature] = true;
        presentCount++;
        if (presentCount == features) {
            closeRow();
        }
    }

    private void closeRow() {
        if (presentCount == 0) {
            return;
        }
        double[] row = new double[features];
        for (int k = 0; k < features; k++) {
            if (present[k]) {
                row[k] = open[k];
            } else if (last != null) {
                row[k] = last[k];
            } else { // nothing to carry over: not a usable row yet
                reset();
                return;
            }
        }
        ring[head] = row;
        head = (head + 1) % ring.length;
        size = Math.min(size + 1, ring.length);
        rowsAppended++;
        last = row;
        reset();
    }

    private void reset() {
        Arrays.fill(present, false);
        presentCount = 0;
    }

    /** Complete rows so far (ever). */
    public synchronized long rowsAppended() {
        return rowsAppended;
    }

    /** The rows in the window, oldest first (copies). */
    public synchronized double[][] rows() {
        double[][] out = new double[size][];
        for (int i = 0; i < size; i++) {
            out[i] = ring[(head - size + i + ring.length) % ring.length].clone();
        }
        return out;
    }
}

package io.edgegateway.api;

import java.util.Objects;

/**
 * One signal's part in an asset-level detection, e.g. of an asset health model (since 1.3): which signals drive the
 * deviation, how far and which way.
 *
 * @param signal    the signal
 * @param score     how abnormal this signal is by itself, over its own limit: above 1 it is outside its normal
 *                  range on its own; the detection's contributions are ordered by it, largest first
 * @param deviation how far the signal is from its normal level, in standard deviations of normal operation;
 *                  the sign is the direction (positive: above normal)
 * @param expected  the signal's normal level (what the model expects); NaN when it has none
 * @since 1.3
 */
public record Contribution(String signal, double score, double deviation, double expected) {

    public Contribution {
        Objects.requireNonNull(signal, "signal");
    }

    /** {@code "up"} when the signal is above its normal level, else {@code "down"}. */
    public String direction() {
        return deviation >= 0 ? "up" : "down";
    }
}

package io.edgegateway.testbed.simulator;

import java.util.Objects;

/**
 * One fault to inject, or one slow degradation to switch on, in simulated time (seconds since the simulator's first
 * tick).
 *
 * @param asset           asset id, e.g. {@code pump-1}
 * @param signal          signal name, e.g. {@code vibration}; {@code *} for a degradation (it changes the asset)
 * @param type            what the fault does
 * @param startSeconds    when it starts, {@code >= 0}
 * @param durationSeconds how long it lasts, {@code >= 0}; 0 is allowed for a spike only and means one sample
 * @param magnitude       spike: standard deviations of the signal's noise; drift: signal units per minute;
 *                        stuck, dropout: unused (0); degradation: severity reached at the end (1 = severe)
 */
public record FaultSpec(String asset, String signal, FaultType type, double startSeconds, double durationSeconds,
                        double magnitude) {

    public FaultSpec {
        if (asset == null || asset.isBlank()) {
            throw new IllegalArgumentException("fault has no asset");
        }
        if (signal == null || signal.isBlank()) {
            throw new IllegalArgumentException("fault on " + asset + " has no signal");
        }
        Objects.requireNonNull(type, "type");
        String what = "fault " + asset + "/" + signal + " (" + type.id() + ")";
        if (!(startSeconds >= 0) || Double.isInfinite(startSeconds)) {
            throw new IllegalArgumentException(what + ": start " + startSeconds + " must be a number of seconds >= 0");
        }
        if (!(durationSeconds >= 0) || Double.isInfinite(durationSeconds)) {
            throw new IllegalArgumentException(what + ": duration " + durationSeconds
                    + " must be a number of seconds >= 0");
        }
        if (type.isDegradation() != signal.equals("*")) {
            throw new IllegalArgumentException(what + ": " + (type.isDegradation()
                    ? "a degradation changes the whole asset: write " + asset + "/*:" + type.id() + " or "
                            + asset + ":" + type.id()
                    : "a sensor fault needs one signal, not *"));
        }
        if (durationSeconds == 0 && type != FaultType.SPIKE) {
            throw new IllegalArgumentException(what + ": needs a duration > 0 (only a spike may last one sample)");
        }
        if (!Double.isFinite(magnitude)) {
            throw new IllegalArgumentException(what + ": magnitude " + magnitude + " must be a finite number");
        }
    }

    /** When the fault ends, in simulated seconds (exclusive). */
    public double endSeconds() {
        return startSeconds + durationSeconds;
    }

    /** The compact form accepted by {@link Scenarios#parse(String)}, e.g. {@code pump-1/vibration:spike@20+1*8}. */
    @Override
    public String toString() {
        return asset + "/" + signal + ":" + type.id() + "@" + number(startSeconds) + "+" + number(durationSeconds)
                + (!type.hasMagnitude() && magnitude == 0 ? "" : "*" + number(magnitude));
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }
}

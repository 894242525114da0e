package io.edgegateway.testbed.simulator;

import java.util.Locale;

/** What a fault does to the value a sensor reports. */
public enum FaultType {
    /** The value jumps by {@code magnitude} standard deviations of the signal's noise for the fault's duration
     *  (a single sample when the duration is 0). */
    SPIKE,
    /** A linear ramp: {@code magnitude} signal units per minute, added from the fault's start to its end. */
    DRIFT,
    /** The sensor freezes at the last value it reported before the fault; the magnitude is unused. */
    STUCK;

    /** Lower-case name as used in scenarios and ground truth: {@code spike}, {@code drift}, {@code stuck}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code text} (case-insensitive). */
    public static FaultType parse(String text) {
        for (FaultType type : values()) {
            if (type.id().equalsIgnoreCase(text.trim())) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown fault type '" + text + "' (expected spike, drift or stuck)");
    }
}

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
    STUCK,
    /** The signal is not published for the fault's duration (MQTT: no messages; OPC UA: the node's status is
     *  Bad_NoCommunication); the magnitude is unused. */
    DROPOUT,
    /** Slow degradation of an asset (pump, conveyor): vibration and bearing temperature creep up. The severity grows
     *  linearly from 0 at the start to {@code magnitude} (1 = fully worn) at the end, then the asset is repaired. */
    BEARING_WEAR,
    /** Slow degradation of a pump: the discharge pressure oscillates and the flow drops; severity as for
     *  {@link #BEARING_WEAR}. */
    CAVITATION,
    /** Slow degradation of a compressor: the discharge temperature creeps up; severity as for
     *  {@link #BEARING_WEAR}. */
    FOULING;

    /** Lower-case name as used in scenarios and ground truth: {@code spike}, {@code drift}, {@code stuck},
     *  {@code dropout}, {@code bearing_wear}, {@code cavitation}, {@code fouling}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A slow degradation of the whole asset (changes the model's state), not a fault of one sensor. */
    public boolean isDegradation() {
        return this == BEARING_WEAR || this == CAVITATION || this == FOULING;
    }

    /** Takes no magnitude (stuck, dropout). */
    public boolean hasMagnitude() {
        return this != STUCK && this != DROPOUT;
    }

    /** The type named {@code text} (case-insensitive). */
    public static FaultType parse(String text) {
        for (FaultType type : values()) {
            if (type.id().equalsIgnoreCase(text.trim())) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown fault type '" + text + "' (expected spike, drift, stuck, dropout, "
                + "bearing_wear, cavitation or fouling)");
    }
}

package io.edgegateway.testbed.simulator;

import java.time.Instant;

/**
 * One simulated reading.
 *
 * @param asset  asset id
 * @param signal signal name
 * @param value  the reported value (faults applied), rounded to the sensor's resolution
 * @param unit   engineering unit, e.g. {@code degC}
 * @param time   the time passed to {@link PlantSimulator#tick(Instant)}
 * @param dropout true while a dropout fault silences the signal: publishers send nothing (MQTT) or a bad status
 *               (OPC UA); {@code value} is then what the sensor would have read
 */
public record SimSample(String asset, String signal, double value, String unit, Instant time, boolean dropout) {

    /** A sample that is published. */
    public SimSample(String asset, String signal, double value, String unit, Instant time) {
        this(asset, signal, value, unit, time, false);
    }
}

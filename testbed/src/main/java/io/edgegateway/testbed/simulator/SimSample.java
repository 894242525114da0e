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
 */
public record SimSample(String asset, String signal, double value, String unit, Instant time) {
}

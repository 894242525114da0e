package io.edgegateway.testbed.simulator;

/**
 * A simulated signal.
 *
 * @param name       signal name, e.g. {@code bearing_temperature}
 * @param unit       engineering unit
 * @param noiseSigma standard deviation of the measurement noise; a spike of k is k times this
 * @param resolution the sensor's resolution: reported values are rounded to it
 */
public record SignalDef(String name, String unit, double noiseSigma, double resolution) {
}

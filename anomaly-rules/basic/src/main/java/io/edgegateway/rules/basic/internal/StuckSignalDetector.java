package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.Numbers;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.TelemetrySample;

/**
 * A frozen sensor: a noisy analog signal that repeats the same reading for {@code samples} readings in a row. A
 * live sensor always shows some noise; a sensor whose transmitter hung, a PLC that keeps sending its last value, or
 * a saturated input does not. Detections: one per frozen run, raised when the run reaches {@code samples}; re-armed
 * as soon as the value moves by more than {@code tolerance}.
 *
 * <p>Score: run length divided by {@code samples} (1.0 at the moment of detection). Baseline: the frozen value.
 * Only for signals that are never legitimately constant: scope the rule with {@code detector.signal}.
 */
public final class StuckSignalDetector implements SignalDetector {

    private final int samples;
    private final double tolerance;
    private final Severity severity;
    private final Quality minQuality;

    private double runValue = Double.NaN;
    private int runLength;
    private boolean raised;

    public StuckSignalDetector(int samples, double tolerance, Severity severity, Quality minQuality) {
        this.samples = samples;
        this.tolerance = tolerance;
        this.severity = severity;
        this.minQuality = minQuality;
    }

    @Override
    public Detection update(TelemetrySample sample) {
        double value = sample.value();
        if (sample.quality().compareTo(minQuality) > 0 || !Double.isFinite(value)) {
            return null;
        }
        if (runLength > 0 && Math.abs(value - runValue) <= tolerance) {
            runLength++;
        } else {
            runValue = value;
            runLength = 1;
            raised = false;
        }
        if (runLength >= samples && !raised) {
            raised = true;
            return new Detection(severity, (double) runLength / samples, runValue, "stuck at "
                    + Numbers.withUnit(runValue, sample.unit()) + " for " + runLength + " readings");
        }
        return null;
    }
}

package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Per-signal state of a {@link Detector}. The core calls it for each sample of its signal in arrival order, from
 * one thread at a time, so it needs no synchronisation. It must be fast (microseconds) and keep constant memory.
 */
@ConsumerType
public interface SignalDetector {

    /**
     * Evaluates the next sample.
     *
     * @return a detection when this sample should raise an alert, or {@code null} when it should not
     *         (normal, still learning, or already alerting: detectors raise once per excursion)
     */
    Detection update(TelemetrySample sample);
}

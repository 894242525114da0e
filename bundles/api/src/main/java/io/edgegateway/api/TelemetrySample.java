package io.edgegateway.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One normalized measurement, whatever protocol it came from.
 *
 * @param assetId     the machine it belongs to, e.g. {@code pump-1}
 * @param signal      what was measured, e.g. {@code bearing_temperature}
 * @param value       the measured value; finite unless {@code quality} is {@link Quality#BAD}
 * @param unit        engineering unit (e.g. {@code degC}); empty when unknown, never null
 * @param quality     the source's verdict on the value
 * @param sourceTime  when the value was measured, as the source says (falls back to {@code receiveTime})
 * @param receiveTime when the gateway received it
 * @param sourceId    which configured source delivered it (e.g. {@code mqtt:plant-broker})
 */
public record TelemetrySample(String assetId, String signal, double value, String unit, Quality quality,
                              Instant sourceTime, Instant receiveTime, String sourceId) {

    public TelemetrySample {
        if (assetId == null || assetId.isBlank()) {
            throw new IllegalArgumentException("assetId must not be blank");
        }
        if (signal == null || signal.isBlank()) {
            throw new IllegalArgumentException("signal must not be blank");
        }
        Objects.requireNonNull(quality, "quality");
        Objects.requireNonNull(receiveTime, "receiveTime");
        if (sourceTime == null) {
            sourceTime = receiveTime;
        }
        if (unit == null) {
            unit = "";
        }
        if (sourceId == null) {
            sourceId = "";
        }
        if (quality != Quality.BAD && !Double.isFinite(value)) {
            throw new IllegalArgumentException("value must be finite for quality " + quality + ": " + value);
        }
    }

    public SignalKey key() {
        return new SignalKey(assetId, signal);
    }
}

package io.edgegateway.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A detector fired on a sample. Published on {@code gateway/<gatewayId>/alerts/<assetId>}; its JSON form is
 * documented in the README ("Alert schema").
 *
 * @param alertId         unique id (UUID), referenced by the explanation of this alert
 * @param assetId         the asset
 * @param signal          the signal
 * @param detector        the detector's name ({@link Detector#NAME})
 * @param detectorVersion version of the bundle that provided the detector, for audit
 * @param severity        how urgent
 * @param score           the detector's score (see {@link Detection#score()})
 * @param baseline        what the detector expected; NaN when it has none
 * @param value           the sample value that fired it
 * @param unit            the sample's unit
 * @param observedTime    the sample's source time
 * @param detectionTime   when the gateway decided
 * @param message         human-readable summary
 */
public record Alert(String alertId, String assetId, String signal, String detector, String detectorVersion,
                    Severity severity, double score, double baseline, double value, String unit,
                    Instant observedTime, Instant detectionTime, String message) {

    public Alert {
        Objects.requireNonNull(alertId, "alertId");
        Objects.requireNonNull(assetId, "assetId");
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(detector, "detector");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(observedTime, "observedTime");
        Objects.requireNonNull(detectionTime, "detectionTime");
        unit = unit == null ? "" : unit;
        detectorVersion = detectorVersion == null ? "" : detectorVersion;
        message = message == null ? "" : message;
    }

    public SignalKey key() {
        return new SignalKey(assetId, signal);
    }
}

package io.edgegateway.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 * @param state           an event (one-off) or an alarm's raise or clear; since 1.3
 * @param activeSince     for RAISED and CLEARED: when the alarm became active (source time); null for events;
 *                        since 1.3
 * @param contributions   the signals that drive an asset-level detection, largest first; empty otherwise; since 1.3
 */
public record Alert(String alertId, String assetId, String signal, String detector, String detectorVersion,
                    Severity severity, double score, double baseline, double value, String unit,
                    Instant observedTime, Instant detectionTime, String message, AlertState state,
                    Instant activeSince, List<Contribution> contributions) {

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
        state = state == null ? AlertState.EVENT : state;
        contributions = contributions == null ? List.of() : List.copyOf(contributions);
        if (state != AlertState.EVENT) {
            Objects.requireNonNull(activeSince, "activeSince (required for RAISED and CLEARED)");
        }
    }

    /** A one-off alert without contributions (the 1.0-1.2 constructor). */
    public Alert(String alertId, String assetId, String signal, String detector, String detectorVersion,
                 Severity severity, double score, double baseline, double value, String unit, Instant observedTime,
                 Instant detectionTime, String message) {
        this(alertId, assetId, signal, detector, detectorVersion, severity, score, baseline, value, unit,
                observedTime, detectionTime, message, AlertState.EVENT, null, List.of());
    }

    /** For a CLEARED alert: how long the alarm was active (source times); null otherwise. Since 1.3. */
    public Duration activeDuration() {
        return state == AlertState.CLEARED ? Duration.between(activeSince, observedTime) : null;
    }

    public SignalKey key() {
        return new SignalKey(assetId, signal);
    }
}

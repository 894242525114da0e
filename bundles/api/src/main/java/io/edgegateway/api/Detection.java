package io.edgegateway.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link SignalDetector} returns when a sample is anomalous. The core turns it into an {@link Alert}.
 *
 * @param severity how urgent
 * @param score    the detector's anomaly score: how far outside normal, in the detector's own scale
 *                 (a z-score, the excess over a limit, or a probability in [0, 1]); documented per detector
 * @param baseline what the detector expected (the limit, or the running mean); NaN when it has none
 * @param message  one short human-readable sentence, e.g. "above high limit 80.0 degC"
 * @param signal   the signal of the asset the alert should name, when it is not the sample's own (an asset-level
 *                 detector names the signal that contributes most); null for the sample's signal. Since 1.3.
 * @param state    {@link AlertState#EVENT} for a one-off detection, RAISED / CLEARED for a held alarm. Since 1.3.
 * @param activeSince for RAISED and CLEARED: when the alarm became active (source time); null otherwise. Since 1.3.
 * @param contributions the signals that drive an asset-level detection, largest first; empty otherwise. Since 1.3.
 */
public record Detection(Severity severity, double score, double baseline, String message, String signal,
                        AlertState state, Instant activeSince, List<Contribution> contributions) {

    public Detection {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
        state = state == null ? AlertState.EVENT : state;
        contributions = contributions == null ? List.of() : List.copyOf(contributions);
        if (state != AlertState.EVENT) {
            Objects.requireNonNull(activeSince, "activeSince (required for RAISED and CLEARED)");
        }
    }

    /** A one-off detection of the sample's own signal (the 1.0-1.2 constructor). */
    public Detection(Severity severity, double score, double baseline, String message) {
        this(severity, score, baseline, message, null, AlertState.EVENT, null, List.of());
    }
}

package io.edgegateway.api;

import java.util.Objects;

/**
 * What a {@link SignalDetector} returns when a sample is anomalous. The core turns it into an {@link Alert}.
 *
 * @param severity how urgent
 * @param score    the detector's anomaly score: how far outside normal, in the detector's own scale
 *                 (a z-score, the excess over a limit, or a probability in [0, 1]); documented per detector
 * @param baseline what the detector expected (the limit, or the running mean); NaN when it has none
 * @param message  one short human-readable sentence, e.g. "above high limit 80.0 degC"
 */
public record Detection(Severity severity, double score, double baseline, String message) {

    public Detection {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
    }
}

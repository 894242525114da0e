package io.edgegateway.rules.statistical.internal;

import io.edgegateway.rules.support.Numbers;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.TelemetrySample;

/**
 * The conformal rule for one signal: a {@link ConformalScorer} and its alert threshold. A detection's score is the
 * anomaly score in [0, 1] and its baseline the one-step prediction the sample was compared with. The scorer already
 * reports once per excursion, so the rule raises at most one detection per excursion. BAD samples, samples below the
 * minimum quality and non-finite values are ignored.
 */
final class ConformalSignalDetector implements SignalDetector {

    private final ConformalScorer scorer;
    private final double threshold;
    private final Severity severity;
    private final Quality minQuality;

    ConformalSignalDetector(ConformalScorer scorer, Severity severity, Quality minQuality) {
        this.scorer = scorer;
        this.threshold = scorer.settings().alertThreshold();
        this.severity = severity;
        this.minQuality = minQuality;
    }

    @Override
    public Detection update(TelemetrySample sample) {
        Quality quality = sample.quality();
        double x = sample.value();
        if (quality == Quality.BAD || quality.compareTo(minQuality) > 0 || !Double.isFinite(x)) {
            return null;
        }
        double score = scorer.score(sample.sourceTime().toEpochMilli(), x);
        if (score < threshold) {
            return null;
        }
        double baseline = scorer.expected();
        // score = L / (L + 10), L = -ln p
        double p = Math.exp(-10 * score / (1 - score));
        String message = "unusual " + scorer.reason() + ": value " + Numbers.withUnit(x, sample.unit())
                + ", expected " + Numbers.format(baseline) + " (anomaly score " + Numbers.format(round(score, 3))
                + ", p ~ " + String.format(java.util.Locale.ROOT, "%.1e", p) + ")";
        return new Detection(severity, score, baseline, message);
    }

    ConformalScorer scorer() {
        return scorer;
    }

    private static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}

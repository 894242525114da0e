package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.Numbers;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.TelemetrySample;

/**
 * Fixed limits with hysteresis for one signal.
 *
 * <p>An excursion starts when the value goes above {@code high} (or below {@code low}); it raises one detection and
 * then returns {@code null} while the value stays out. It ends (the side re-arms) only when the value is back to
 * {@code <= high - hysteresis} (or {@code >= low + hysteresis}), so a value wobbling around the limit does not raise
 * an alert per wobble. When an excursion that was raised below CRITICAL goes on past {@code critical.high}
 * ({@code critical.low}), one more detection, CRITICAL, is raised for it; a value that jumps straight past the
 * critical limit raises a single CRITICAL detection.
 *
 * <p>Score: the excess over the limit crossed divided by {@code max(|limit|, 1)}, i.e. a relative excess (0.1 = 10 %
 * beyond the limit) that stays meaningful for limits near zero. Baseline: the limit crossed (the critical limit for
 * a CRITICAL detection). Samples below the configured minimum quality, BAD samples and non-finite values are
 * ignored and do not change the state.
 */
public final class ThresholdSignalDetector implements SignalDetector {

    /** Nothing raised for the current excursion (armed). */
    private static final int ARMED = 0;
    /** The excursion was raised at the configured severity. */
    private static final int RAISED = 1;
    /** The excursion was raised at CRITICAL; nothing more until re-armed. */
    private static final int RAISED_CRITICAL = 2;

    private final ThresholdSettings settings;
    private int highState = ARMED;
    private int lowState = ARMED;

    public ThresholdSignalDetector(ThresholdSettings settings) {
        this.settings = settings;
    }

    @Override
    public Detection update(TelemetrySample sample) {
        Quality quality = sample.quality();
        double value = sample.value();
        if (quality == Quality.BAD || quality.compareTo(settings.minQuality()) > 0 || !Double.isFinite(value)) {
            return null;
        }
        ThresholdSettings s = settings;
        if (s.hasHigh()) {
            if (highState != ARMED && value <= s.high() - s.hysteresis()) {
                highState = ARMED;
            }
            if (value > s.criticalHigh() && highState != RAISED_CRITICAL) {
                highState = RAISED_CRITICAL;
                return detection(Severity.CRITICAL, "above critical high limit", s.criticalHigh(), value - s.criticalHigh(), sample);
            }
            if (value > s.high() && highState == ARMED) {
                highState = s.severity() == Severity.CRITICAL ? RAISED_CRITICAL : RAISED;
                return detection(s.severity(), "above high limit", s.high(), value - s.high(), sample);
            }
        }
        if (s.hasLow()) {
            if (lowState != ARMED && value >= s.low() + s.hysteresis()) {
                lowState = ARMED;
            }
            if (value < s.criticalLow() && lowState != RAISED_CRITICAL) {
                lowState = RAISED_CRITICAL;
                return detection(Severity.CRITICAL, "below critical low limit", s.criticalLow(), s.criticalLow() - value, sample);
            }
            if (value < s.low() && lowState == ARMED) {
                lowState = s.severity() == Severity.CRITICAL ? RAISED_CRITICAL : RAISED;
                return detection(s.severity(), "below low limit", s.low(), s.low() - value, sample);
            }
        }
        return null;
    }

    private static Detection detection(Severity severity, String what, double limit, double excess,
                                       TelemetrySample sample) {
        double score = excess / Math.max(Math.abs(limit), 1.0);
        String message = what + " " + Numbers.withUnit(limit, sample.unit()) + " (value " + Numbers.format(sample.value()) + ")";
        return new Detection(severity, score, limit, message);
    }
}

package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.Numbers;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.TelemetrySample;

/**
 * EWMA z-score for one signal: {@code z = (x - mean) / max(std, min.std)} against the exponentially weighted mean
 * and variance of the samples before {@code x}.
 *
 * <p><b>Learning.</b> Each sample updates {@code mean += a*d} and {@code var = (1-a)*(var + a*d*d)} with
 * {@code d = x - mean} and {@code a = max(alpha, 1/n)} for the n-th learnt sample, so the first samples give the
 * plain running mean and (population) variance instead of estimates biased towards the first value; the rule stays
 * silent for the first {@code warmup} samples.
 *
 * <p><b>Alerting.</b> {@code |z| >= z.threshold} raises one detection (CRITICAL when {@code |z| >= critical.z}) and
 * starts an excursion; the excursion ends (re-arms) at the first sample with {@code |z| < z.rearm}. While the
 * excursion lasts, the samples are <i>not</i> learnt: the baseline stays what it was before the fault, so a
 * sustained fault keeps being recognised instead of being absorbed. An excursion raised below CRITICAL that later
 * reaches {@code critical.z} raises one more, CRITICAL, detection.
 *
 * <p><b>Level shifts.</b> A real change of operating point must eventually be learnt. After {@code adapt.after}
 * consecutive samples of one excursion (default 100, e.g. 50 s at 2 Hz), the mean follows the samples again at rate
 * alpha, the variance stays frozen (the deviations of a shift say nothing about the noise): z then decays by a factor
 * {@code 1 - alpha} per sample and the rule re-arms after about {@code ln(z.rearm/z)/ln(1-alpha)} more samples
 * (~30 for alpha 0.05 from z = 10). A fault shorter than {@code adapt.after} samples never moves the baseline.
 * With {@code adapt.after = 0} the baseline stays frozen until the signal returns.
 *
 * <p><b>Stuck sensors.</b> An exact repeat of the previous value updates the mean but not the variance: a sensor
 * that freezes does not teach the rule that the signal is noiseless, so when it moves again its ordinary noise does
 * not alert with an enormous z (the variance would otherwise decay towards zero and only {@code min.std} would stand
 * between the first normal sample and an alert). A signal that has been constant from its very first sample has no
 * variance at all; then {@code min.std} is the scale and any change alerts, which is what a setpoint-like signal
 * should do. The rule does not detect the freeze itself (a value that does not change is never far from the mean).
 *
 * <p><b>What it does not catch.</b> A ramp is learnt as it grows (the variance takes in the growing deviation), so z
 * stays near 3 or below for ramps up to about one standard deviation per sample: slow drifts are the threshold
 * rule's job. On pure Gaussian noise the rule raises about 4 false alerts per 10,000 samples at the defaults (the
 * variance estimated from ~40 samples gives z Student-t-like tails), about 1.5 at alpha 0.02, under 0.1 at z 5.
 *
 * <p>Score: {@code |z|}. Baseline: the EWMA mean before the sample. Constant memory; the normal path allocates
 * nothing. BAD samples, samples below {@code min.quality} and non-finite values are ignored.
 */
public final class EwmaSignalDetector implements SignalDetector {

    private final EwmaSettings settings;

    private double mean;
    private double var;
    private long learnt;
    private double last = Double.NaN;
    private boolean alerting;
    private boolean raisedCritical;
    private long excursionLength;

    public EwmaSignalDetector(EwmaSettings settings) {
        this.settings = settings;
    }

    @Override
    public Detection update(TelemetrySample sample) {
        Quality quality = sample.quality();
        double x = sample.value();
        if (quality == Quality.BAD || quality.compareTo(settings.minQuality()) > 0 || !Double.isFinite(x)) {
            return null;
        }
        EwmaSettings s = settings;
        if (learnt < s.warmup()) {
            learn(x);
            return null;
        }
        double std = Math.max(Math.sqrt(var), s.minStd());
        double z = (x - mean) / std;
        double absZ = Math.abs(z);

        if (!alerting) {
            if (absZ >= s.zThreshold()) {
                alerting = true;
                excursionLength = 1;
                boolean critical = absZ >= s.criticalZ() || s.severity() == Severity.CRITICAL;
                raisedCritical = critical;
                last = x;
                return detection(critical ? Severity.CRITICAL : s.severity(), z, std, sample);
            }
            learn(x);
            return null;
        }

        if (absZ < s.zRearm()) {
            alerting = false;
            raisedCritical = false;
            excursionLength = 0;
            learn(x);
            return null;
        }
        excursionLength++;
        double baseline = mean;
        if (s.adaptAfter() > 0 && excursionLength > s.adaptAfter()) {
            mean += s.alpha() * (x - mean);
        }
        last = x;
        if (!raisedCritical && absZ >= s.criticalZ()) {
            raisedCritical = true;
            return detection(Severity.CRITICAL, z, std, baseline, sample);
        }
        return null;
    }

    /** The current EWMA mean (the baseline the next sample is compared with). */
    public double mean() {
        return mean;
    }

    /** The current EWMA standard deviation, before the {@code min.std} floor. */
    public double std() {
        return Math.sqrt(var);
    }

    /** True while an excursion is open (raised and not yet re-armed). */
    public boolean alerting() {
        return alerting;
    }

    private void learn(double x) {
        learnt++;
        double a = Math.max(settings.alpha(), 1.0 / learnt);
        double d = x - mean;
        mean += a * d;
        if (x != last) {
            var = (1 - a) * (var + a * d * d);
        }
        last = x;
    }

    private Detection detection(Severity severity, double z, double std, TelemetrySample sample) {
        return detection(severity, z, std, mean, sample);
    }

    private static Detection detection(Severity severity, double z, double std, double baseline,
                                       TelemetrySample sample) {
        String message = "z-score " + Numbers.format(Math.round(Math.abs(z) * 10) / 10.0) + (z >= 0 ? " above" : " below")
                + " mean " + Numbers.withUnit(baseline, sample.unit()) + " (value " + Numbers.format(sample.value())
                + ", std " + Numbers.format(std) + ")";
        return new Detection(severity, Math.abs(z), baseline, message);
    }
}

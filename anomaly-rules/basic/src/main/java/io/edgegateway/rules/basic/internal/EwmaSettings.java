package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.InvalidSettingException;

import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;

/**
 * Validated settings of the EWMA z-score rule.
 *
 * @param alpha      smoothing factor of the exponentially weighted mean and variance, in (0, 1]; about
 *                   {@code 2/alpha} samples of memory
 * @param zThreshold raise when {@code |z| >= zThreshold}; {@code > 0}
 * @param zRearm     re-arm once {@code |z| < zRearm}; in {@code [0, zThreshold)}
 * @param warmup     samples learnt before the rule may alert; {@code >= 2}
 * @param minStd     floor on the standard deviation used for z, so a flat signal does not divide by ~0; {@code > 0}
 * @param severity   severity of a normal excursion
 * @param criticalZ  escalate to {@link Severity#CRITICAL} when {@code |z| >= criticalZ}; {@code >= zThreshold}
 *                   ({@code Infinity} for never)
 * @param adaptAfter while alerting, after this many consecutive samples with {@code |z| >= zRearm} the mean starts
 *                   following the samples (a level shift is learnt); {@code 0} never adapts
 * @param minQuality the worst quality still evaluated: GOOD (default) or UNCERTAIN; BAD is never evaluated
 * @throws InvalidSettingException when a setting is out of range
 */
public record EwmaSettings(double alpha, double zThreshold, double zRearm, int warmup, double minStd,
                           Severity severity, double criticalZ, int adaptAfter, Quality minQuality) {

    public static final double DEFAULT_ALPHA = 0.05;
    public static final double DEFAULT_Z_THRESHOLD = 4.0;
    public static final double DEFAULT_Z_REARM = 2.0;
    public static final int DEFAULT_WARMUP = 30;
    public static final double DEFAULT_MIN_STD = 1e-6;
    public static final double DEFAULT_CRITICAL_Z = 8.0;
    public static final int DEFAULT_ADAPT_AFTER = 100;

    public EwmaSettings {
        if (!(alpha > 0 && alpha <= 1)) {
            throw new InvalidSettingException("alpha", alpha, "must be in (0, 1]");
        }
        if (!(zThreshold > 0) || zThreshold == Double.POSITIVE_INFINITY) {
            throw new InvalidSettingException("z.threshold", zThreshold, "must be a finite number > 0");
        }
        if (!(zRearm >= 0)) {
            throw new InvalidSettingException("z.rearm", zRearm, "must be >= 0");
        }
        if (zRearm >= zThreshold) {
            throw new InvalidSettingException("z.rearm", zRearm, "must be less than 'z.threshold' = " + zThreshold);
        }
        if (warmup < 2) {
            throw new InvalidSettingException("warmup", warmup, "must be >= 2");
        }
        if (!(minStd > 0) || minStd == Double.POSITIVE_INFINITY) {
            throw new InvalidSettingException("min.std", minStd, "must be a finite number > 0");
        }
        if (severity == null) {
            throw new InvalidSettingException("severity", null, "must be one of INFO, WARNING, CRITICAL");
        }
        if (Double.isNaN(criticalZ) || criticalZ < zThreshold) {
            throw new InvalidSettingException("critical.z", criticalZ, "must be >= 'z.threshold' = " + zThreshold);
        }
        if (adaptAfter < 0) {
            throw new InvalidSettingException("adapt.after", adaptAfter, "must be >= 0 (0 = never)");
        }
        if (minQuality == null || minQuality == Quality.BAD) {
            throw new InvalidSettingException("min.quality", minQuality, "must be GOOD or UNCERTAIN");
        }
    }

    /** The defaults: alpha 0.05, z 4 / re-arm 2, warmup 30, min.std 1e-6, WARNING, critical.z 8, adapt after 100. */
    public static EwmaSettings defaults() {
        return new EwmaSettings(DEFAULT_ALPHA, DEFAULT_Z_THRESHOLD, DEFAULT_Z_REARM, DEFAULT_WARMUP, DEFAULT_MIN_STD,
                Severity.WARNING, DEFAULT_CRITICAL_Z, DEFAULT_ADAPT_AFTER, Quality.GOOD);
    }
}

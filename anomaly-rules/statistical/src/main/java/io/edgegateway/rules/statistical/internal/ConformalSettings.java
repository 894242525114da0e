package io.edgegateway.rules.statistical.internal;

import io.edgegateway.rules.support.InvalidSettingException;

/**
 * Validated settings of the conformal detector ({@link ConformalScorer}). {@link #defaults()} is the single source of
 * the defaults: the DS component's configuration, the NAB benchmark ({@code ./gateway nab}) and
 * {@code ./gateway detect} all start from it.
 *
 * @param warmup         samples learnt before the scorer emits anything but 0; {@code >= 2}
 * @param fastAlpha      smoothing factor of the one-step prediction (EWMA), of the bias and volatility of its
 *                       errors and of the time-of-day profile, in (0, 1]
 * @param slowAlpha      smoothing factor of the long-run level, in (0, fastAlpha]
 * @param history        recent feature values each new one is ranked against (the conformal calibration set);
 *                       {@code >= 10}. Memory grows with it: about {@code 6 features * 2 * 4 bytes} per entry
 * @param refractory     a score is reported only when it exceeds every score of the previous {@code refractory}
 *                       samples (one report per excursion, and the earliest); {@code >= 0}
 * @param tailScale      how fast the p-value of a value beyond everything in the history falls, in units of the
 *                       history's (max - mean): {@code p = 1/(n+1) * exp(-(v - max) / (tailScale * (max - mean)))};
 *                       {@code > 0}
 * @param seasonBins     time-of-day bins of the daily profile ({@code 0} = no daily profile); {@code 0..1440}
 * @param alertThreshold the live rule raises a detection when the score reaches it, in (0, 1]
 * @throws InvalidSettingException when a setting is out of range
 */
public record ConformalSettings(int warmup, double fastAlpha, double slowAlpha, int history, int refractory,
                                double tailScale, int seasonBins, double alertThreshold) {

    public static final int DEFAULT_WARMUP = 150;
    public static final double DEFAULT_FAST_ALPHA = 0.1;
    public static final double DEFAULT_SLOW_ALPHA = 0.01;
    public static final int DEFAULT_HISTORY = 1200;
    public static final int DEFAULT_REFRACTORY = 100;
    public static final double DEFAULT_TAIL_SCALE = 0.1;
    public static final int DEFAULT_SEASON_BINS = 24;
    /** The threshold the NAB sweep chose for the standard profile with the other defaults. */
    public static final double DEFAULT_ALERT_THRESHOLD = 0.396609;

    public ConformalSettings {
        if (warmup < 2) {
            throw new InvalidSettingException("warmup", warmup, "must be >= 2");
        }
        if (!(fastAlpha > 0 && fastAlpha <= 1)) {
            throw new InvalidSettingException("fast.alpha", fastAlpha, "must be in (0, 1]");
        }
        if (!(slowAlpha > 0 && slowAlpha <= fastAlpha)) {
            throw new InvalidSettingException("slow.alpha", slowAlpha, "must be in (0, 'fast.alpha' = " + fastAlpha
                    + "]");
        }
        if (history < 10 || history > 100_000) {
            throw new InvalidSettingException("history", history, "must be in 10..100000");
        }
        if (refractory < 0) {
            throw new InvalidSettingException("refractory", refractory, "must be >= 0");
        }
        if (!(tailScale > 0) || tailScale == Double.POSITIVE_INFINITY) {
            throw new InvalidSettingException("tail.scale", tailScale, "must be a finite number > 0");
        }
        if (seasonBins < 0 || seasonBins > 1440) {
            throw new InvalidSettingException("season.bins", seasonBins, "must be in 0..1440 (0 = no daily profile)");
        }
        if (!(alertThreshold > 0 && alertThreshold <= 1)) {
            throw new InvalidSettingException("alert.threshold", alertThreshold, "must be in (0, 1]");
        }
    }

    /** The defaults, tuned once on the whole NAB corpus (standard profile) and used everywhere. */
    public static ConformalSettings defaults() {
        return new ConformalSettings(DEFAULT_WARMUP, DEFAULT_FAST_ALPHA, DEFAULT_SLOW_ALPHA, DEFAULT_HISTORY,
                DEFAULT_REFRACTORY, DEFAULT_TAIL_SCALE, DEFAULT_SEASON_BINS, DEFAULT_ALERT_THRESHOLD);
    }

    /** These settings with another alert threshold. */
    public ConformalSettings withAlertThreshold(double threshold) {
        return new ConformalSettings(warmup, fastAlpha, slowAlpha, history, refractory, tailScale, seasonBins,
                threshold);
    }
}

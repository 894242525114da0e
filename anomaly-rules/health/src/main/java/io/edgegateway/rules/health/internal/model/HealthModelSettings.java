package io.edgegateway.rules.health.internal.model;

/**
 * How a health model learns. The defaults were chosen on the Tennessee Eastman <i>training</i> files only
 * ({@code d00.dat} cross-validated for false alarms, {@code d01..d21.dat} for detection), then frozen before the
 * test files were scored: see README "Asset health models".
 *
 * @param varianceShare         share of the variance the level model's principal components keep, in (0, 1]
 * @param dynamicsVarianceShare the same for the model of tick-to-tick changes
 * @param levelWindow           ticks averaged by the level statistics (T², SPE, per-signal level), >= 1
 * @param dynamicsWindow        ticks averaged by the dynamics statistic, >= 1
 * @param falseAlarmRate        share of normal ticks allowed over a limit, split evenly over the statistics
 *                              (Bonferroni), in (0, 0.5)
 * @param folds                 contiguous blocks of the learning data; each is scored by a model fitted on the
 *                              others and the strictest fold sets the limit, >= 2
 */
public record HealthModelSettings(double varianceShare, double dynamicsVarianceShare, int levelWindow,
                                  int dynamicsWindow, double falseAlarmRate, int folds) {

    public static final double DEFAULT_VARIANCE_SHARE = 0.90;
    public static final double DEFAULT_DYNAMICS_VARIANCE_SHARE = 0.99;
    public static final int DEFAULT_LEVEL_WINDOW = 15;
    public static final int DEFAULT_DYNAMICS_WINDOW = 20;
    public static final double DEFAULT_FALSE_ALARM_RATE = 0.005;
    public static final int DEFAULT_FOLDS = 5;

    public HealthModelSettings {
        check("variance.share", varianceShare > 0 && varianceShare <= 1, varianceShare, "must be in (0, 1]");
        check("dynamics.variance.share", dynamicsVarianceShare > 0 && dynamicsVarianceShare <= 1,
                dynamicsVarianceShare, "must be in (0, 1]");
        check("level.window", levelWindow >= 1, levelWindow, "must be >= 1");
        check("dynamics.window", dynamicsWindow >= 1, dynamicsWindow, "must be >= 1");
        check("false.alarm.rate", falseAlarmRate > 0 && falseAlarmRate < 0.5, falseAlarmRate, "must be in (0, 0.5)");
        check("folds", folds >= 2, folds, "must be >= 2");
    }

    public static HealthModelSettings defaults() {
        return new HealthModelSettings(DEFAULT_VARIANCE_SHARE, DEFAULT_DYNAMICS_VARIANCE_SHARE, DEFAULT_LEVEL_WINDOW,
                DEFAULT_DYNAMICS_WINDOW, DEFAULT_FALSE_ALARM_RATE, DEFAULT_FOLDS);
    }

    /** Rows needed to learn: each fold must hold more than one window. */
    public int minimumRows() {
        return folds * (Math.max(levelWindow, dynamicsWindow) + 2);
    }

    private static void check(String setting, boolean ok, Object value, String requirement) {
        if (!ok) {
            throw new IllegalArgumentException("setting '" + setting + "' = " + value + " " + requirement);
        }
    }
}

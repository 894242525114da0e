package io.edgegateway.rules.health.internal.model;

import org.apache.commons.math3.distribution.ChiSquaredDistribution;

/**
 * Box's approximation of a non-negative statistic as {@code g·χ²(h)}, matched on its mean and variance
 * ({@code g = var / 2mean}, {@code h = 2mean² / var}). The usual way to set an SPE limit from data; used here for
 * every health statistic, whose exact distribution depends on windows and on the process's own dynamics.
 */
final class ScaledChiSquare {

    private ScaledChiSquare() {
    }

    /** The {@code quantile} of the fitted distribution; +inf when the values do not vary (nothing to judge by). */
    static double limit(double[] values, int count, double quantile) {
        double mean = 0;
        for (int i = 0; i < count; i++) {
            mean += values[i] / count;
        }
        double var = 0;
        for (int i = 0; i < count; i++) {
            double d = values[i] - mean;
            var += d * d / (count - 1);
        }
        if (!(mean > 0) || !(var > 0)) {
            return mean > 0 ? mean : Double.POSITIVE_INFINITY;
        }
        double g = var / (2 * mean);
        double h = 2 * mean * mean / var;
        return g * new ChiSquaredDistribution(h).inverseCumulativeProbability(quantile);
    }
}

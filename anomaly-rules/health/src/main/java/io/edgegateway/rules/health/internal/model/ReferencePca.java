package io.edgegateway.rules.health.internal.model;

import org.apache.commons.math3.distribution.FDistribution;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The textbook reference: static PCA with Hotelling T² and SPE (Q) limits from their theoretical distributions at
 * a stated confidence (Chiang, Russell &amp; Braatz 2001): T² from the F distribution,
 * {@code a(n-1)(n+1)/(n(n-a)) F(a, n-a)}, SPE from Jackson &amp; Mudholkar (1979). A row is in alarm when either
 * statistic is over its limit; no window, no filter. It is the baseline every health-model figure is reported beside.
 */
public final class ReferencePca {

    private final Pca pca;
    private final double t2Limit;
    private final double speLimit;
    private final double[] z;
    private final double[] pair = new double[2];

    private ReferencePca(Pca pca, double t2Limit, double speLimit) {
        this.pca = pca;
        this.t2Limit = t2Limit;
        this.speLimit = speLimit;
        this.z = new double[pca.dimension()];
    }

    /** Fits on normal rows, keeping components up to {@code varianceShare}, limits at {@code confidence}. */
    public static ReferencePca fit(double[][] rows, double varianceShare, double confidence) {
        if (!(confidence > 0.5 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must be in (0.5, 1): " + confidence);
        }
        Pca pca = Pca.fit(rows, varianceShare);
        int n = rows.length;
        int a = pca.retained();
        double t2Limit = n > a
                ? a * (n - 1.0) * (n + 1.0) / (n * (double) (n - a))
                        * new FDistribution(a, n - a).inverseCumulativeProbability(confidence)
                : Double.POSITIVE_INFINITY;
        return new ReferencePca(pca, t2Limit, speLimit(pca.residualEigenvalues(), confidence));
    }

    /** Jackson-Mudholkar: {@code θ1 [c σ sqrt(2 θ2 h0²)/θ1 + 1 + θ2 h0 (h0-1)/θ1²]^(1/h0)}. */
    static double speLimit(double[] residualEigenvalues, double confidence) {
        double th1 = 0;
        double th2 = 0;
        double th3 = 0;
        for (double l : residualEigenvalues) {
            th1 += l;
            th2 += l * l;
            th3 += l * l * l;
        }
        if (th1 <= 0 || th2 <= 0) {
            return Double.POSITIVE_INFINITY; // every component retained: no residual to judge
        }
        double h0 = 1 - 2 * th1 * th3 / (3 * th2 * th2);
        double c = new NormalDistribution().inverseCumulativeProbability(confidence);
        return th1 * Math.pow(c * Math.sqrt(2 * th2 * h0 * h0) / th1 + 1 + th2 * h0 * (h0 - 1) / (th1 * th1),
                1 / h0);
    }

    public Pca pca() {
        return pca;
    }

    public double t2Limit() {
        return t2Limit;
    }

    public double speLimit() {
        return speLimit;
    }

    /** True when the row's T² or SPE is over its limit. Not thread-safe (one scratch vector). */
    public boolean alarm(double[] x) {
        pca.standardise(x, z);
        pca.t2AndSpe(z, pair);
        return pair[0] > t2Limit || pair[1] > speLimit;
    }
}

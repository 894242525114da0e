package io.edgegateway.rules.health.internal.model;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * Principal components of standardised data: each signal is centred on its mean and scaled by its standard
 * deviation, then projected on the eigenvectors of the correlation matrix. The first {@link #retained()} components
 * span the model subspace (Hotelling T² is the squared distance inside it, in units of each component's variance);
 * the rest is the residual (SPE, or Q, is the squared length of what the model subspace does not explain).
 * Immutable.
 */
public final class Pca {

    /** Standard deviations below this are taken as this, so a constant signal does not divide by zero. */
    static final double MIN_SCALE = 1e-9;

    private final double[] mean;
    private final double[] scale;
    /** loadings[k] = the k-th eigenvector (unit length), in decreasing order of its eigenvalue. */
    private final double[][] loadings;
    private final double[] eigenvalues;
    private final int retained;

    Pca(double[] mean, double[] scale, double[][] loadings, double[] eigenvalues, int retained) {
        this.mean = mean;
        this.scale = scale;
        this.loadings = loadings;
        this.eigenvalues = eigenvalues;
        this.retained = retained;
    }

    /**
     * Fits the components to the rows (one vector per tick, all of the same length, finite) and keeps the fewest
     * components whose eigenvalues add up to at least {@code varianceShare} of the total.
     */
    public static Pca fit(double[][] rows, double varianceShare) {
        if (rows.length < 3) {
            throw new IllegalArgumentException("at least 3 rows are needed to learn, got " + rows.length);
        }
        if (!(varianceShare > 0 && varianceShare <= 1)) {
            throw new IllegalArgumentException("variance share must be in (0, 1]: " + varianceShare);
        }
        int n = rows.length;
        int m = rows[0].length;
        double[] mean = new double[m];
        for (double[] r : rows) {
            if (r.length != m) {
                throw new IllegalArgumentException("rows of different lengths: " + m + " and " + r.length);
            }
            for (int j = 0; j < m; j++) {
                mean[j] += r[j] / n;
            }
        }
        double[] scale = new double[m];
        for (double[] r : rows) {
            for (int j = 0; j < m; j++) {
                double d = r[j] - mean[j];
                scale[j] += d * d / (n - 1);
            }
        }
        for (int j = 0; j < m; j++) {
            scale[j] = Math.max(Math.sqrt(scale[j]), MIN_SCALE);
        }
        double[][] corr = new double[m][m];
        double[] z = new double[m];
        for (double[] r : rows) {
            for (int j = 0; j < m; j++) {
                z[j] = (r[j] - mean[j]) / scale[j];
            }
            for (int i = 0; i < m; i++) {
                for (int j = i; j < m; j++) {
                    corr[i][j] += z[i] * z[j] / (n - 1);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < i; j++) {
                corr[i][j] = corr[j][i];
            }
        }
        EigenDecomposition eigen = new EigenDecomposition(new Array2DRowRealMatrix(corr, false));
        double[] values = eigen.getRealEigenvalues();
        Integer[] order = IntStream.range(0, m).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(k -> -values[k]));
        double[][] loadings = new double[m][];
        double[] eigenvalues = new double[m];
        double total = 0;
        for (int k = 0; k < m; k++) {
            // a tiny floor: the smallest eigenvalues of a correlation matrix of collinear signals round to <= 0
            eigenvalues[k] = Math.max(values[order[k]], 1e-12);
            loadings[k] = eigen.getEigenvector(order[k]).toArray();
            total += eigenvalues[k];
        }
        int retained = 0;
        double explained = 0;
        while (retained < m && explained < varianceShare * total - 1e-12) {
            explained += eigenvalues[retained++];
        }
        return new Pca(mean, scale, loadings, eigenvalues, Math.max(1, retained));
    }

    public int dimension() {
        return mean.length;
    }

    /** Components in the model subspace. */
    public int retained() {
        return retained;
    }

    public double mean(int signal) {
        return mean[signal];
    }

    public double scale(int signal) {
        return scale[signal];
    }

    double[] means() {
        return mean.clone();
    }

    double[] scales() {
        return scale.clone();
    }

    double[][] loadings() {
        double[][] copy = new double[loadings.length][];
        for (int k = 0; k < loadings.length; k++) {
            copy[k] = loadings[k].clone();
        }
        return copy;
    }

    double[] eigenvalues() {
        return eigenvalues.clone();
    }

    /** Writes the standardised vector of {@code x} into {@code z}. */
    public void standardise(double[] x, double[] z) {
        for (int j = 0; j < mean.length; j++) {
            z[j] = (x[j] - mean[j]) / scale[j];
        }
    }

    /**
     * Hotelling T² and SPE (Q) of a standardised vector, from one projection onto the model subspace: T² is the
     * squared distance inside it, each component in units of its variance; SPE the squared length of the part
     * outside it. Writes {@code out[0] = T²}, {@code out[1] = SPE}.
     */
    public void t2AndSpe(double[] z, double[] out) {
        double t2 = 0;
        double explained = 0;
        for (int k = 0; k < retained; k++) {
            double score = dot(loadings[k], z);
            t2 += score * score / eigenvalues[k];
            explained += score * score;
        }
        double length2 = 0;
        for (double v : z) {
            length2 += v * v;
        }
        out[0] = t2;
        out[1] = Math.max(0, length2 - explained);
    }

    /**
     * Each signal against what the others say of it: with the full correlation model (every component, the
     * smallest eigenvalues floored at 1e-6 of the largest), {@code w = S⁻¹z} and {@code d_j = (S⁻¹)_jj}; signal j's
     * conditional expectation given the others is {@code z_j - w_j/d_j} and its standardised residual
     * {@code w_j/sqrt(d_j)} (the leave-one-out regression residual of sensor validation). Writes the residuals into
     * {@code residual} and the expectations into {@code expected} (standardised units).
     */
    void conditional(double[] z, double[] residual, double[] expected) {
        int m = z.length;
        double floor = eigenvalues[0] * 1e-6;
        double[] w = new double[m];
        double[] d = new double[m];
        for (int k = 0; k < m; k++) {
            double l = Math.max(eigenvalues[k], floor);
            double score = dot(loadings[k], z) / l;
            for (int j = 0; j < m; j++) {
                w[j] += score * loadings[k][j];
                d[j] += loadings[k][j] * loadings[k][j] / l;
            }
        }
        for (int j = 0; j < m; j++) {
            residual[j] = w[j] / Math.sqrt(d[j]);
            expected[j] = z[j] - w[j] / d[j];
        }
    }

    /** The part of a standardised vector outside the model subspace. */
    double[] residual(double[] z) {
        double[] e = z.clone();
        for (int k = 0; k < retained; k++) {
            double score = dot(loadings[k], z);
            for (int j = 0; j < e.length; j++) {
                e[j] -= score * loadings[k][j];
            }
        }
        return e;
    }

    /** {@code 1 - sum_k<a p_kj²}: the share of signal j's own direction that lies in the residual subspace. */
    double residualShare(int signal) {
        double inModel = 0;
        for (int k = 0; k < retained; k++) {
            inModel += loadings[k][signal] * loadings[k][signal];
        }
        return Math.max(1e-9, 1 - inModel);
    }

    /** Eigenvalues of the residual subspace (for the Jackson-Mudholkar SPE limit). */
    double[] residualEigenvalues() {
        return Arrays.copyOfRange(eigenvalues, retained, eigenvalues.length);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}

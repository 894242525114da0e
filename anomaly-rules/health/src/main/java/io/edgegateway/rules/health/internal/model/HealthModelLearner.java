package io.edgegateway.rules.health.internal.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Learns a {@link HealthModel} from rows of normal operation (one vector per tick, in time order).
 *
 * <p>Limits come from data the model did not learn from: the rows are cut into contiguous folds; for each fold a
 * model is fitted on the other folds and run over it, and each statistic's values there are fitted by a scaled
 * chi-square ({@link ScaledChiSquare}) whose quantile at {@code 1 - falseAlarmRate / statistics} is that fold's
 * limit. The largest limit over the folds is kept: a short learning period under-states how far normal operation
 * wanders (in-sample statistics are smaller than those of new data, and one fold's limit is noisy), and the
 * strictest fold is the one that saw the most of it. The final model is then fitted on all rows.
 */
public final class HealthModelLearner {

    private HealthModelLearner() {
    }

    public static HealthModel learn(List<String> signals, double[][] rows, HealthModelSettings settings) {
        if (signals.isEmpty()) {
            throw new IllegalArgumentException("no signals to learn");
        }
        if (rows.length < settings.minimumRows()) {
            throw new IllegalArgumentException("learning needs at least " + settings.minimumRows() + " ticks ("
                    + settings.folds() + " folds of more than one window), got " + rows.length);
        }
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != signals.size()) {
                throw new IllegalArgumentException("row " + r + " has " + rows[r].length + " values, expected "
                        + signals.size());
            }
            for (int j = 0; j < rows[r].length; j++) {
                if (!Double.isFinite(rows[r][j])) {
                    throw new IllegalArgumentException("row " + r + ", signal '" + signals.get(j)
                            + "': not a finite number: " + rows[r][j]);
                }
            }
        }
        int n = rows.length;
        int statistics = HealthModel.JOINT_STATISTICS + signals.size();
        double quantile = 1 - settings.falseAlarmRate() / statistics;
        int skip = Math.max(settings.levelWindow(), settings.dynamicsWindow()) - 1;
        double[] limits = new double[statistics];
        int m = signals.size();
        double[] residualLimits = new double[m];
        double residualQuantile = 1 - settings.falseAlarmRate() / m;
        for (int k = 0; k < settings.folds(); k++) {
            int lo = (int) ((long) k * n / settings.folds());
            int hi = (int) ((long) (k + 1) * n / settings.folds());
            List<double[][]> segments = new ArrayList<>();
            if (lo > 0) {
                segments.add(slice(rows, 0, lo));
            }
            if (hi < n) {
                segments.add(slice(rows, hi, n));
            }
            HealthModel foldModel = fit(signals, segments, settings, new double[statistics], new double[m],
                    n - (hi - lo));
            HealthMonitor monitor = foldModel.newMonitor();
            int scored = hi - lo - skip;
            double[][] values = new double[statistics][Math.max(scored, 0)];
            double[][] residuals = new double[m][Math.max(scored, 0)];
            double[] residual = new double[m];
            double[] expected = new double[m];
            for (int r = lo; r < hi; r++) {
                monitor.update(rows[r]);
                if (r - lo >= skip) {
                    for (int i = 0; i < statistics; i++) {
                        values[i][r - lo - skip] = monitor.statistic(i);
                    }
                    foldModel.level().conditional(monitor.levelMeans(), residual, expected);
                    for (int j = 0; j < m; j++) {
                        residuals[j][r - lo - skip] = residual[j] * residual[j];
                    }
                }
            }
            for (int i = 0; i < statistics; i++) {
                limits[i] = Math.max(limits[i], ScaledChiSquare.limit(values[i], scored, quantile));
            }
            for (int j = 0; j < m; j++) {
                residualLimits[j] = Math.max(residualLimits[j], ScaledChiSquare.limit(residuals[j], scored,
                        residualQuantile));
            }
        }
        List<double[][]> all = new ArrayList<>();
        all.add(rows);
        return fit(signals, all, settings, limits, residualLimits, n);
    }

    /** Both component models on contiguous segments (changes are taken within a segment, never across a gap). */
    private static HealthModel fit(List<String> signals, List<double[][]> segments, HealthModelSettings settings,
                                   double[] limits, double[] residualLimits, int rowCount) {
        List<double[]> levelRows = new ArrayList<>();
        List<double[]> changeRows = new ArrayList<>();
        for (double[][] segment : segments) {
            for (int r = 0; r < segment.length; r++) {
                levelRows.add(segment[r]);
                if (r > 0) {
                    double[] change = new double[segment[r].length];
                    for (int j = 0; j < change.length; j++) {
                        change[j] = segment[r][j] - segment[r - 1][j];
                    }
                    changeRows.add(change);
                }
            }
        }
        Pca level = Pca.fit(levelRows.toArray(new double[0][]), settings.varianceShare());
        Pca dynamics = Pca.fit(changeRows.toArray(new double[0][]), settings.dynamicsVarianceShare());
        // the model of changes is centred on the mean change of the learning data (a drift it saw is normal)
        return new HealthModel(signals, settings, level, dynamics, limits, residualLimits, rowCount);
    }

    private static double[][] slice(double[][] rows, int from, int to) {
        double[][] out = new double[to - from][];
        System.arraycopy(rows, from, out, 0, to - from);
        return out;
    }
}

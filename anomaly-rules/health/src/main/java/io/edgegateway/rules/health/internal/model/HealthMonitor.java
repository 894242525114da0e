package io.edgegateway.rules.health.internal.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One asset's stream through a frozen {@link HealthModel}: keeps the windows, computes the statistics of each tick.
 * Not thread-safe (one asset, one thread at a time). {@link #update} allocates nothing; {@link #assessment()} builds
 * the details (contributions) only when somebody needs them, e.g. for an alert.
 */
public final class HealthMonitor {

    private final HealthModel model;
    private final int m;
    private final int levelWindow;
    private final int dynamicsWindow;
    private final double[] z;
    private final double[] change;
    private final double[] changeZ;
    private final double[] previous;
    /** Scratch: T² and SPE of one projection. */
    private final double[] pair = new double[2];
    private boolean hasPrevious;
    /** Ring buffers: standardised vectors, T², SPE (level window); dynamics values (dynamics window). */
    private final double[][] zRing;
    private final double[] t2Ring;
    private final double[] speRing;
    private final double[] dynRing;
    private long ticks;
    private final double[] statistics;
    private final double[] levelMeans;
    private double index;
    private int worst;

    HealthMonitor(HealthModel model) {
        this.model = model;
        this.m = model.signals().size();
        this.levelWindow = model.settings().levelWindow();
        this.dynamicsWindow = model.settings().dynamicsWindow();
        this.z = new double[m];
        this.change = new double[m];
        this.changeZ = new double[m];
        this.previous = new double[m];
        this.zRing = new double[levelWindow][m];
        this.t2Ring = new double[levelWindow];
        this.speRing = new double[levelWindow];
        this.dynRing = new double[dynamicsWindow];
        this.statistics = new double[model.statistics()];
        this.levelMeans = new double[m];
    }

    /**
     * Takes the next tick (one value per signal, in {@link HealthModel#signals()} order, all finite) and returns
     * the health index: the worst statistic over its limit (above 1: abnormal). Until both windows are full the
     * index is 0 (not judged): the average of a partial window varies more than the limits, which were set on full
     * windows, allow, so a fresh monitor would raise false alarms in its first ticks.
     */
    public double update(double[] x) {
        if (x.length != m) {
            throw new IllegalArgumentException("expected " + m + " values, got " + x.length);
        }
        Pca level = model.level();
        level.standardise(x, z);
        int slot = (int) (ticks % levelWindow);
        System.arraycopy(z, 0, zRing[slot], 0, m);
        level.t2AndSpe(z, pair);
        t2Ring[slot] = pair[0];
        speRing[slot] = pair[1];

        for (int j = 0; j < m; j++) {
            change[j] = hasPrevious ? x[j] - previous[j] : 0;
        }
        System.arraycopy(x, 0, previous, 0, m);
        hasPrevious = true;
        Pca dynamics = model.dynamics();
        dynamics.standardise(change, changeZ);
        dynamics.t2AndSpe(changeZ, pair);
        dynRing[(int) (ticks % dynamicsWindow)] = pair[0] + pair[1];
        ticks++;

        int inLevel = (int) Math.min(ticks, levelWindow);
        int inDynamics = (int) Math.min(ticks, dynamicsWindow);
        statistics[0] = mean(t2Ring, inLevel);
        statistics[1] = mean(speRing, inLevel);
        statistics[2] = mean(dynRing, inDynamics);
        for (int j = 0; j < m; j++) {
            double sum = 0;
            for (int w = 0; w < inLevel; w++) {
                sum += zRing[w][j];
            }
            levelMeans[j] = sum / inLevel;
            statistics[HealthModel.JOINT_STATISTICS + j] = levelMeans[j] * levelMeans[j];
        }
        index = 0;
        worst = 0;
        if (!ready()) {
            return index;
        }
        for (int i = 0; i < statistics.length; i++) {
            double ratio = statistics[i] / model.limit(i);
            if (ratio > index) {
                index = ratio;
                worst = i;
            }
        }
        return index;
    }

    /** Both windows are full: the index is judged. */
    public boolean ready() {
        return ticks >= Math.max(levelWindow, dynamicsWindow);
    }

    /** Ticks taken so far. */
    public long ticks() {
        return ticks;
    }

    /** The last tick's health index (0 before the first). */
    public double index() {
        return index;
    }

    /** The last tick's statistic {@code i}. */
    public double statistic(int i) {
        return statistics[i];
    }

    /**
     * The details of the last tick: the worst statistic and every signal's contribution, largest first. A signal's
     * score is the larger of (a) its own windowed level over its own limit and (b) its windowed level against what
     * the other signals say it should be (the conditional residual, {@link Pca#conditional}) over that residual's
     * limit, so a signal that breaks the correlations comes first even while its level is inside its own normal
     * range; its deviation and expected value are those of whichever of the two scores higher.
     */
    public Assessment assessment() {
        List<Assessment.Contribution> contributions = new ArrayList<>(m);
        Pca level = model.level();
        double[] residual = new double[m];
        double[] expected = new double[m];
        level.conditional(levelMeans, residual, expected);
        for (int j = 0; j < m; j++) {
            double own = statistics[HealthModel.JOINT_STATISTICS + j] / model.limit(HealthModel.JOINT_STATISTICS + j);
            double conditional = residual[j] * residual[j] / model.residualLimit(j);
            boolean byOthers = conditional > own;
            double expectedZ = byOthers ? expected[j] : 0;
            contributions.add(new Assessment.Contribution(model.signals().get(j), Math.max(own, conditional),
                    byOthers ? residual[j] : levelMeans[j], level.mean(j) + level.scale(j) * expectedZ));
        }
        contributions.sort(Comparator.comparingDouble(Assessment.Contribution::score).reversed());
        return new Assessment(index, model.statisticName(worst), contributions);
    }

    /** The windowed means of the standardised signals (for calibrating the conditional residuals' limits). */
    double[] levelMeans() {
        return levelMeans;
    }

    private static double mean(double[] ring, int count) {
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += ring[i];
        }
        return sum / count;
    }
}

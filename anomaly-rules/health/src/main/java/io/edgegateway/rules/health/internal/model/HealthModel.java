package io.edgegateway.rules.health.internal.model;

import java.util.List;

/**
 * A frozen model of one asset type's normal behaviour (immutable, shareable by every asset of the type; the
 * per-asset state lives in a {@link HealthMonitor}). It judges each tick by {@code 3 + signals} statistics, each
 * against a limit learnt from normal data:
 * <ul>
 * <li>{@code level-t2}: Hotelling T² of the standardised signals in the principal-component subspace, averaged over
 * the level window: a sustained change of the operating point along the directions normal operation varies in;</li>
 * <li>{@code level-spe}: SPE (Q), the part the components do not explain, averaged the same way: a broken
 * correlation between signals;</li>
 * <li>{@code dynamics}: T² + SPE of the tick-to-tick changes under their own components, averaged over the dynamics
 * window: signals that move more, or differently, from one tick to the next (random variation, oscillation,
 * stiction) even when their level is normal;</li>
 * <li>{@code level:<signal>}: each signal's mean over the level window, squared, in standard deviations: one signal
 * away from its normal level after the control loops have brought the others back (what averaged T² dilutes).</li>
 * </ul>
 * The windows are what make the model hold its alarm on a sustained fault instead of adopting it: nothing is
 * learnt after the model is frozen.
 */
public final class HealthModel {

    static final String LEVEL_T2 = "level-t2";
    static final String LEVEL_SPE = "level-spe";
    static final String DYNAMICS = "dynamics";
    static final String LEVEL_PREFIX = "level:";
    /** Statistics before the per-signal ones. */
    static final int JOINT_STATISTICS = 3;

    private final List<String> signals;
    private final HealthModelSettings settings;
    private final Pca level;
    private final Pca dynamics;
    private final double[] limits;
    private final double[] residualLimits;
    private final int learntRows;

    HealthModel(List<String> signals, HealthModelSettings settings, Pca level, Pca dynamics, double[] limits,
                double[] residualLimits, int learntRows) {
        if (signals.size() != level.dimension() || limits.length != JOINT_STATISTICS + signals.size()
                || residualLimits.length != signals.size()) {
            throw new IllegalArgumentException("model parts of different sizes");
        }
        this.residualLimits = residualLimits.clone();
        this.signals = List.copyOf(signals);
        this.settings = settings;
        this.level = level;
        this.dynamics = dynamics;
        this.limits = limits.clone();
        this.learntRows = learntRows;
    }

    /** The signals, in the order of the vectors the monitors take. */
    public List<String> signals() {
        return signals;
    }

    public HealthModelSettings settings() {
        return settings;
    }

    /** Rows of normal operation it learnt from. */
    public int learntRows() {
        return learntRows;
    }

    /** Principal components kept by the level model. */
    public int levelComponents() {
        return level.retained();
    }

    public int statistics() {
        return limits.length;
    }

    /** The name of statistic {@code i}. */
    public String statisticName(int i) {
        return switch (i) {
            case 0 -> LEVEL_T2;
            case 1 -> LEVEL_SPE;
            case 2 -> DYNAMICS;
            default -> LEVEL_PREFIX + signals.get(i - JOINT_STATISTICS);
        };
    }

    /** The limit of statistic {@code i}. */
    public double limit(int i) {
        return limits[i];
    }

    /**
     * The limit of signal {@code j}'s squared conditional residual over the level window (it ranks contributions;
     * it does not raise alarms).
     */
    public double residualLimit(int j) {
        return residualLimits[j];
    }

    /** A fresh monitor: the state of one asset's stream. */
    public HealthMonitor newMonitor() {
        return new HealthMonitor(this);
    }

    Pca level() {
        return level;
    }

    Pca dynamics() {
        return dynamics;
    }
}

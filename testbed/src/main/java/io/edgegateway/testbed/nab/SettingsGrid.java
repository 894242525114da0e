package io.edgegateway.testbed.nab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

/**
 * The detector settings a held-out check may choose from: every combination of the given values of the four settings
 * that shape the conformal score most (fast.alpha: what counts as a spike and how fast the prediction follows;
 * history: the calibration set, i.e. what counts as rare; refractory: how often one excursion is reported; tail.scale:
 * how far beyond the history a value ranks), the others as in the base settings.
 *
 * <p>The first value of each list should be the base's own, so the base settings come first: the tuning keeps the
 * first of equally good candidates, i.e. leaves the defaults alone unless something beats them.
 */
public record SettingsGrid(List<Double> fastAlphas, List<Integer> histories, List<Integer> refractories,
                           List<Double> tailScales) {

    public SettingsGrid {
        fastAlphas = List.copyOf(fastAlphas);
        histories = List.copyOf(histories);
        refractories = List.copyOf(refractories);
        tailScales = List.copyOf(tailScales);
        if (fastAlphas.isEmpty() || histories.isEmpty() || refractories.isEmpty() || tailScales.isEmpty()) {
            throw new IllegalArgumentException("every setting of the grid needs at least one value");
        }
    }

    /**
     * The defaults, half and twice each of the four: 81 settings. Factors of 2 span what the NAB files differ in
     * (sampling rates of minutes to hours) while keeping the whole two-way check to about a minute on 2 cores.
     */
    public static SettingsGrid aroundDefaults() {
        return new SettingsGrid(
                List.of(ConformalSettings.DEFAULT_FAST_ALPHA, ConformalSettings.DEFAULT_FAST_ALPHA / 2,
                        ConformalSettings.DEFAULT_FAST_ALPHA * 2),
                List.of(ConformalSettings.DEFAULT_HISTORY, ConformalSettings.DEFAULT_HISTORY / 2,
                        ConformalSettings.DEFAULT_HISTORY * 2),
                List.of(ConformalSettings.DEFAULT_REFRACTORY, ConformalSettings.DEFAULT_REFRACTORY / 2,
                        ConformalSettings.DEFAULT_REFRACTORY * 2),
                List.of(ConformalSettings.DEFAULT_TAIL_SCALE, ConformalSettings.DEFAULT_TAIL_SCALE / 2,
                        ConformalSettings.DEFAULT_TAIL_SCALE * 2));
    }

    /** Every combination, the other settings (and the alert threshold) taken from {@code base}; base values first. */
    public List<ConformalSettings> settings(ConformalSettings base) {
        List<ConformalSettings> all = new ArrayList<>(size());
        for (double fastAlpha : fastAlphas) {
            for (int history : histories) {
                for (int refractory : refractories) {
                    for (double tailScale : tailScales) {
                        all.add(new ConformalSettings(base.warmup(), fastAlpha, Math.min(base.slowAlpha(), fastAlpha),
                                history, refractory, tailScale, base.seasonBins(), base.alertThreshold()));
                    }
                }
            }
        }
        return all;
    }

    public int size() {
        return fastAlphas.size() * histories.size() * refractories.size() * tailScales.size();
    }

    /** E.g. {@code fast.alpha {0.1, 0.05, 0.2} x history {1200, 600, 2400} x ...}. */
    public String describe() {
        return String.format(Locale.ROOT, "fast.alpha %s x history %s x refractory %s x tail.scale %s",
                braces(fastAlphas), braces(histories), braces(refractories), braces(tailScales));
    }

    /** The four grid settings of one candidate, e.g. {@code fast.alpha=0.1 history=1200 refractory=100 tail.scale=0.1}. */
    public static String describe(ConformalSettings settings) {
        return String.format(Locale.ROOT, "fast.alpha=%s history=%d refractory=%d tail.scale=%s",
                settings.fastAlpha(), settings.history(), settings.refractory(), settings.tailScale());
    }

    private static String braces(List<?> values) {
        return values.toString().replace('[', '{').replace(']', '}');
    }
}

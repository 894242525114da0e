package io.edgegateway.testbed.nab;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

/**
 * Tunes the detector on one labelled half of the corpus and scores another half with the outcome. Tuning runs every
 * candidate setting over the half's files and sweeps the threshold as {@code nab-score} does; the best raw score
 * wins (the first candidate on a tie). The labels it gets must be exactly those of its files, so it cannot see the
 * windows of the half it will be scored on.
 */
public final class HalfTuner {

    private HalfTuner() {
    }

    /**
     * What tuning chose.
     *
     * @param settings  the winning detector settings (their own alertThreshold is left as given: see threshold)
     * @param threshold the swept threshold of the winner; above 1 when detecting nothing scores best
     * @param score     the winner's score on the tuning half at that threshold (in-sample for this half)
     */
    public record Tuned(ConformalSettings settings, double threshold, Scorer.Score score) {
    }

    /**
     * Chooses the settings and threshold with the best raw score on {@code files}.
     *
     * @param labels the labels of exactly {@code files}, e.g. {@code corpusLabels.only(tuningKeys)}
     * @throws IllegalArgumentException when labels and files differ, or there is no candidate
     */
    public static Tuned tune(List<NabRun.DataFile> files, Labels labels, List<ConformalSettings> candidates,
                             Profile profile) {
        requireLabelsOfExactly(files, labels);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidate settings");
        }
        Tuned best = null;
        for (ConformalSettings candidate : candidates) {
            Scorer.Score score = new Scorer(labels, NabRun.run(files, candidate)).sweep(profile);
            if (best == null || score.raw() > best.score().raw()) {
                best = new Tuned(candidate, score.threshold(), score);
            }
        }
        return best;
    }

    /** Scores {@code files} with fixed settings at a fixed threshold: nothing is chosen here. */
    public static Scorer.Score score(List<NabRun.DataFile> files, Labels labels, ConformalSettings settings,
                                     double threshold, Profile profile) {
        requireLabelsOfExactly(files, labels);
        return new Scorer(labels, NabRun.run(files, settings)).scoreAt(profile, threshold);
    }

    // the scorer treats a file it has no labels for as having no windows: refuse rather than score it wrongly, and
    // refuse labels of other files, which tuning must not see
    private static void requireLabelsOfExactly(List<NabRun.DataFile> files, Labels labels) {
        Set<String> keys = files.stream().map(NabRun.DataFile::key).collect(Collectors.toSet());
        Set<String> labelled = new HashSet<>(labels.files());
        if (!keys.equals(labelled)) {
            throw new IllegalArgumentException("the labels must be those of the files scored, no more, no fewer:"
                    + " files " + keys.size() + ", labels " + labelled.size() + " (e.g. only in the labels: "
                    + labelled.stream().filter(k -> !keys.contains(k)).findFirst().orElse("-") + ")");
        }
    }
}

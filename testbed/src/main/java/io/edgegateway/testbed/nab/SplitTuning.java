package io.edgegateway.testbed.nab;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

/**
 * The held-out check of {@code ./gateway nab --held-out}: the corpus split in two halves ({@link CorpusSplit}), the
 * settings and threshold tuned on one half ({@link HalfTuner}) and scored on the other, both ways; beside it, the
 * shipped defaults on each half at their own alert threshold. The defaults were tuned on the whole corpus, so their
 * scores are in-sample on either half; the held-out scores are not.
 */
public final class SplitTuning {

    private SplitTuning() {
    }

    /**
     * One direction of the check.
     *
     * @param heldOut          the tuned settings on the held-out half, at the tuned threshold
     * @param defaultsOnTuning the shipped defaults on the tuning half (in-sample)
     * @param defaultsOnHeldOut the shipped defaults on the held-out half (in-sample)
     */
    public record Direction(CorpusSplit.Half half, HalfTuner.Tuned tuned, Scorer.Score heldOut,
                            Scorer.Score defaultsOnTuning, Scorer.Score defaultsOnHeldOut) {
    }

    /** Both directions, and the shipped defaults on the whole corpus (in-sample). */
    public record Result(Profile profile, SettingsGrid grid, ConformalSettings defaults, Scorer.Score defaultsOnCorpus,
                         List<Direction> directions) {
    }

    /**
     * Runs the check.
     *
     * @param files    every file of the corpus
     * @param labels   the labels of the corpus; each step gets only its own half's
     * @param defaults the shipped settings; scored at their {@code alertThreshold}
     * @param progress told what is running (tuning takes minutes on the full corpus)
     */
    public static Result run(List<NabRun.DataFile> files, Labels labels, SettingsGrid grid,
                             ConformalSettings defaults, Profile profile, Consumer<String> progress) {
        Map<String, NabRun.DataFile> byKey = files.stream()
                .collect(Collectors.toMap(NabRun.DataFile::key, Function.identity()));
        CorpusSplit split = CorpusSplit.evenOdd(byKey.keySet());
        List<ConformalSettings> candidates = grid.settings(defaults);

        // the defaults need no tuning: one run over the corpus, scored per half
        List<SeriesFile> defaultResults = NabRun.run(files, defaults);
        Scorer.Score onCorpus = new Scorer(labels.only(byKey.keySet()), defaultResults)
                .scoreAt(profile, defaults.alertThreshold());

        List<Direction> directions = new ArrayList<>();
        for (CorpusSplit.Half half : split.directions()) {
            progress.accept("tuning on the " + half.tuningName() + " half (" + half.tuning().size() + " files, "
                    + candidates.size() + " settings)");
            List<NabRun.DataFile> tuningFiles = select(byKey, half.tuning());
            List<NabRun.DataFile> heldOutFiles = select(byKey, half.heldOut());
            HalfTuner.Tuned tuned = HalfTuner.tune(tuningFiles, labels.only(half.tuning()), candidates, profile);

            Labels heldOutLabels = labels.only(half.heldOut());
            Scorer.Score heldOut = HalfTuner.score(heldOutFiles, heldOutLabels, tuned.settings(), tuned.threshold(),
                    profile);
            Scorer.Score defaultsOnTuning = scoreSubset(defaultResults, labels, half.tuning(), defaults, profile);
            Scorer.Score defaultsOnHeldOut = scoreSubset(defaultResults, labels, half.heldOut(), defaults, profile);
            directions.add(new Direction(half, tuned, heldOut, defaultsOnTuning, defaultsOnHeldOut));
        }
        return new Result(profile, grid, defaults, onCorpus, directions);
    }

    private static List<NabRun.DataFile> select(Map<String, NabRun.DataFile> byKey, List<String> keys) {
        return keys.stream().map(byKey::get).collect(Collectors.toList());
    }

    private static Scorer.Score scoreSubset(List<SeriesFile> results, Labels labels, List<String> keys,
                                            ConformalSettings settings, Profile profile) {
        Set<String> wanted = new HashSet<>(keys);
        List<SeriesFile> subset = results.stream().filter(r -> wanted.contains(r.key())).collect(Collectors.toList());
        return new Scorer(labels.only(keys), subset).scoreAt(profile, settings.alertThreshold());
    }
}

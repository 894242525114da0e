package io.edgegateway.testbed.nab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/** The scoring rules on small synthetic files (one record a minute). */
class ScorerTest {

    private static final LocalDateTime T0 = LocalDateTime.of(2020, 1, 1, 0, 0);
    private static final double EPS = 1e-12;
    private static final double MAX_TP = Scorer.scaledSigmoid(-1.0);
    private static final Profile STANDARD = Profile.STANDARD;

    private static LocalDateTime at(int index) {
        return T0.plusMinutes(index);
    }

    /** A window over the records {@code from..to} (inclusive). */
    private static Window window(int from, int to) {
        return new Window(at(from), at(to));
    }

    /** A file of n records, detected (score 1) at the given indices, 0 elsewhere. */
    private static SeriesFile file(String key, int n, int... detections) {
        LocalDateTime[] ts = new LocalDateTime[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            ts[i] = at(i);
        }
        for (int d : detections) {
            scores[d] = 1.0;
        }
        return new SeriesFile(key, ts, scores);
    }

    /** The raw score (standard profile unless given) of one file of 100 records with the given windows. */
    private static double raw(Profile profile, List<Window> windows, int... detections) {
        Labels labels = new Labels(Map.of("f.csv", windows));
        return new Scorer(labels, List.of(file("f.csv", 100, detections))).scoreAt(profile, 0.5).raw();
    }

    private static double raw(List<Window> windows, int... detections) {
        return raw(STANDARD, windows, detections);
    }

    @Test
    void scaledSigmoid() {
        assertThat(Scorer.scaledSigmoid(0)).isEqualTo(0.0);
        assertThat(Scorer.scaledSigmoid(-1)).isCloseTo(0.9866142981514305, within(EPS)); // 2/(1+e^-5) - 1
        assertThat(Scorer.scaledSigmoid(1)).isCloseTo(-0.9866142981514305, within(EPS));
        assertThat(Scorer.scaledSigmoid(3)).isCloseTo(2 / (1 + Math.exp(15)) - 1, within(EPS));
        assertThat(Scorer.scaledSigmoid(3.0001)).isEqualTo(-1.0);
        assertThat(Scorer.scaledSigmoid(Double.POSITIVE_INFINITY)).isEqualTo(-1.0);
    }

    @Test
    void probationaryPeriod() {
        assertThat(Scorer.probationaryLength(100)).isEqualTo(15);
        assertThat(Scorer.probationaryLength(4032)).isEqualTo(604); // floor(604.8)
        assertThat(Scorer.probationaryLength(5000)).isEqualTo(750);
        assertThat(Scorer.probationaryLength(22695)).isEqualTo(750); // capped at 0.15 * 5000
        assertThat(Scorer.probationaryLength(6)).isZero();
    }

    @Test
    void windowEdgesWeighTpWeightAtTheLeftAndAboutZeroAtTheRight() {
        List<Window> w = List.of(window(50, 59)); // width 10

        assertThat(raw(w, 50)).isCloseTo(1.0, within(EPS)); // y = -1: the full tpWeight
        assertThat(raw(w, 59)).isCloseTo(Scorer.scaledSigmoid(-0.1) / MAX_TP, within(EPS)); // y = -1/w
        assertThat(raw(w, 54)).isCloseTo(Scorer.scaledSigmoid(-0.6) / MAX_TP, within(EPS));
        assertThat(raw(w, 59)).isPositive().isLessThan(0.26);
        Profile doubleTp = new Profile("tp2", 2.0, 0.11, 1.0);
        assertThat(raw(doubleTp, w, 50)).isCloseTo(2.0, within(EPS));
    }

    @Test
    void aWindowCountsOnlyItsEarliestDetection() {
        List<Window> w = List.of(window(50, 59));

        double earliest = Scorer.scaledSigmoid(-(59 - 52 + 1) / 10.0) / MAX_TP;
        assertThat(raw(w, 52, 55, 58)).isCloseTo(earliest, within(EPS));
        assertThat(raw(w, 58, 52)).isCloseTo(earliest, within(EPS));
        assertThat(raw(w, 52)).isCloseTo(earliest, within(EPS));
    }

    @Test
    void aMissedWindowCostsFnWeight() {
        List<Window> two = List.of(window(30, 39), window(70, 79));

        assertThat(raw(two)).isEqualTo(-2.0);
        assertThat(raw(Profile.REWARD_LOW_FN_RATE, two)).isEqualTo(-4.0);
        assertThat(raw(two, 30)).isCloseTo(1.0 - 1.0, within(EPS));
        assertThat(raw(List.of())).isZero(); // no windows, no detections
    }

    @Test
    void falsePositivesBeforeAnyWindowCostTheFullFpWeight() {
        List<Window> w = List.of(window(50, 59));

        assertThat(raw(w, 20)).isCloseTo(-0.11 - 1.0, within(EPS));
        assertThat(raw(w, 49)).isCloseTo(-0.11 - 1.0, within(EPS)); // just before the window: still full
        assertThat(raw(Profile.REWARD_LOW_FP_RATE, w, 20, 30)).isCloseTo(-0.44 - 1.0, within(EPS));
        assertThat(raw(List.of(), 20, 99)).isCloseTo(-0.22, within(EPS));
    }

    @Test
    void falsePositivesAfterAWindowCostLittleAtFirstThenTheFullFpWeight() {
        List<Window> w = List.of(window(50, 59)); // r' = 59, w' = 10
        double missed = -1.0;

        double justAfter = raw(w, 60) - missed;
        assertThat(justAfter).isCloseTo(0.11 * Scorer.scaledSigmoid(1.0 / 9), within(EPS));
        assertThat(justAfter).isNegative().isGreaterThan(-0.11 * 0.3);
        double later = raw(w, 65) - missed;
        assertThat(later).isCloseTo(0.11 * Scorer.scaledSigmoid(6.0 / 9), within(EPS)).isLessThan(justAfter);
        assertThat(raw(w, 86) - missed).isCloseTo(0.11 * Scorer.scaledSigmoid(3.0), within(EPS)); // y = 3
        assertThat(raw(w, 87) - missed).isCloseTo(-0.11, within(EPS)); // y > 3
        // a true positive does not change how the false positives after it weigh
        assertThat(raw(w, 50, 60)).isCloseTo(1.0 + justAfter, within(EPS));
    }

    @Test
    void falsePositivesAfterAOneRecordWindowCostTheFullFpWeight() {
        assertThat(raw(List.of(window(50, 50)), 51)).isCloseTo(-1.0 - 0.11, within(EPS));
        assertThat(raw(List.of(window(50, 50)), 50)).isCloseTo(1.0, within(EPS));
    }

    @Test
    void theProbationaryPeriodIsNotScored() {
        // 100 records: the first 15 are not scored
        assertThat(raw(List.of(), 0, 14)).isZero();
        assertThat(raw(List.of(), 15)).isCloseTo(-0.11, within(EPS));
        // a window inside the probationary period counts neither as found nor as missed
        List<Window> early = List.of(window(5, 12));
        assertThat(raw(early)).isZero();
        assertThat(raw(early, 6)).isZero();
        // ... but the false positives after it weigh as after a window
        assertThat(raw(early, 16)).isCloseTo(0.11 * Scorer.scaledSigmoid(4.0 / 7), within(EPS));
        // a window across its end: only its scored records count, weighed over the whole window
        List<Window> across = List.of(window(10, 19));
        assertThat(raw(across, 12)).isEqualTo(-1.0);
        assertThat(raw(across, 12, 15)).isCloseTo(Scorer.scaledSigmoid(-0.5) / MAX_TP, within(EPS));

        Scorer scorer = new Scorer(new Labels(Map.of("f.csv", early)), List.of(file("f.csv", 100)));
        assertThat(scorer.nullRaw(STANDARD)).isZero();
        assertThat(scorer.perfectRaw(STANDARD)).isEqualTo(1.0); // every labelled window
    }

    @Test
    void windowEdgesBetweenRecordsFallOnTheNearestRecordsInside() {
        // start half a minute after record 49, end half a minute after record 59: records 50..59
        Window between = new Window(at(49).plusSeconds(30), at(59).plusSeconds(30));

        assertThat(raw(List.of(between), 50)).isCloseTo(1.0, within(EPS));
        assertThat(raw(List.of(between), 49)).isCloseTo(-1.0 - 0.11, within(EPS));
        assertThat(raw(List.of(between), 59)).isCloseTo(Scorer.scaledSigmoid(-0.1) / MAX_TP, within(EPS));
        assertThat(raw(List.of(between), 60)).isCloseTo(-1.0 + 0.11 * Scorer.scaledSigmoid(1.0 / 9), within(EPS));
    }

    @Test
    void recordsAtOrAboveTheThresholdAreDetections() {
        LocalDateTime[] ts = new LocalDateTime[100];
        double[] scores = new double[100];
        for (int i = 0; i < 100; i++) {
            ts[i] = at(i);
        }
        scores[50] = 0.7;
        scores[20] = 0.6;
        Scorer scorer = new Scorer(new Labels(Map.of("f.csv", List.of(window(50, 59)))),
                List.of(new SeriesFile("f.csv", ts, scores)));

        assertThat(scorer.scoreAt(STANDARD, 0.7).raw()).isCloseTo(1.0, within(EPS));
        assertThat(scorer.scoreAt(STANDARD, 0.6).raw()).isCloseTo(1.0 - 0.11, within(EPS));
        assertThat(scorer.scoreAt(STANDARD, 0.71).raw()).isEqualTo(-1.0);
        Scorer.Score best = scorer.sweep(STANDARD);
        assertThat(best.threshold()).isEqualTo(0.7);
        assertThat(best.raw()).isCloseTo(1.0, within(EPS));
        assertThat(best.normalised()).isCloseTo(100.0, within(EPS));
        assertThat(best.detectedWindows()).isEqualTo(1);
        assertThat(best.falsePositives()).isZero();
    }

    @Test
    void theSweepStartsWithNoDetections() {
        Scorer scorer = new Scorer(new Labels(Map.of("f.csv", List.of(window(50, 59)))),
                List.of(file("f.csv", 100, 20, 30, 40)));

        Scorer.Score best = scorer.sweep(STANDARD);
        assertThat(best.threshold()).isEqualTo(Scorer.NO_DETECTION_THRESHOLD);
        assertThat(best.raw()).isEqualTo(-1.0);
        assertThat(best.normalised()).isZero();
    }

    @Test
    void theIncrementalSweepFindsTheBestOfAllThresholds() {
        Random random = new Random(7);
        Map<String, List<Window>> windows = new LinkedHashMap<>();
        List<SeriesFile> files = new ArrayList<>();
        for (int f = 0; f < 6; f++) {
            int n = 200 + random.nextInt(400);
            List<Window> list = new ArrayList<>();
            for (int start = 20 + random.nextInt(60); start + 30 < n; start += 60 + random.nextInt(120)) {
                list.add(window(start, start + 5 + random.nextInt(25)));
            }
            LocalDateTime[] ts = new LocalDateTime[n];
            double[] scores = new double[n];
            for (int i = 0; i < n; i++) {
                ts[i] = at(i);
                scores[i] = Math.round(random.nextDouble() * random.nextDouble() * 200) / 200.0; // many ties
            }
            windows.put("c/f" + f + ".csv", list);
            files.add(new SeriesFile("c/f" + f + ".csv", ts, scores));
        }
        Scorer scorer = new Scorer(new Labels(windows), files);
        TreeSet<Double> thresholds = new TreeSet<>();
        files.forEach(file -> Arrays.stream(file.scores()).forEach(thresholds::add));
        thresholds.add(Scorer.NO_DETECTION_THRESHOLD);

        for (Profile profile : List.of(Profile.STANDARD, Profile.REWARD_LOW_FP_RATE, Profile.REWARD_LOW_FN_RATE,
                new Profile("cheap_fp", 1.0, 0.01, 1.0))) {
            double bestRaw = Double.NEGATIVE_INFINITY;
            double bestThreshold = Double.NaN;
            for (double t : thresholds.descendingSet()) {
                double raw = scorer.scoreAt(profile, t).raw();
                if (raw > bestRaw + 1e-9) {
                    bestRaw = raw;
                    bestThreshold = t;
                }
            }
            Scorer.Score swept = scorer.sweep(profile);
            assertThat(swept.raw()).as(profile.name()).isCloseTo(bestRaw, within(1e-9));
            assertThat(swept.threshold()).as(profile.name()).isEqualTo(bestThreshold);
        }
    }

    @Test
    void fileScoresAddUpToTheCorpusScore() {
        Labels labels = new Labels(Map.of("a.csv", List.of(window(50, 59)), "b.csv", List.of(window(30, 39))));
        Scorer scorer = new Scorer(labels, List.of(file("a.csv", 100, 50, 20), file("b.csv", 100, 90)));

        Scorer.Score score = scorer.scoreAt(STANDARD, 0.5);
        assertThat(score.files()).extracting(Scorer.FileScore::file).containsExactly("a.csv", "b.csv");
        assertThat(score.files().get(0).raw()).isCloseTo(1.0 - 0.11, within(EPS));
        assertThat(score.files().get(1).raw()).isCloseTo(-1.0 - 0.11, within(EPS)); // 90 is 51 past a width 10
        assertThat(score.raw()).isCloseTo(-0.22, within(EPS));
        assertThat(score.detectedWindows()).isEqualTo(1);
        assertThat(score.falsePositives()).isEqualTo(2);
        assertThat(score.normalised()).isCloseTo(100 * (-0.22 + 2) / (2 + 2), within(EPS));
    }
}

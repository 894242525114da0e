package io.edgegateway.testbed.nab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The scorer reproduces the published NAB v1.0 scoreboard from the published result files. */
class PublishedResultsTest {

    /** NAB v1.0 scoreboard (results/final_results.json), normalised. */
    static Stream<Arguments> published() {
        return Stream.of(
                Arguments.of("numenta", "standard", 70.10),
                Arguments.of("numenta", "reward_low_FP_rate", 63.12),
                Arguments.of("numenta", "reward_low_FN_rate", 74.32),
                Arguments.of("windowedGaussian", "standard", 39.65),
                Arguments.of("windowedGaussian", "reward_low_FP_rate", 20.87),
                Arguments.of("windowedGaussian", "reward_low_FN_rate", 47.41));
    }

    @ParameterizedTest(name = "{0} {1}: swept threshold gives {2}")
    @MethodSource("published")
    void theThresholdSweepReproducesTheScoreboard(String detector, String profile, double expected) {
        Scorer.Score score = NabTestCorpus.scorer(detector).sweep(NabTestCorpus.profiles().get(profile));

        assertThat(score.normalised()).isCloseTo(expected, within(0.1));
    }

    @ParameterizedTest(name = "{0} {1}: published threshold gives {2}")
    @MethodSource("published")
    void thePublishedThresholdsReproduceTheScoreboardAndTheRawScores(String detector, String profile,
                                                                    double expected) {
        double threshold = NabFiles.readThresholds(NabTestCorpus.dir().resolve("config/thresholds.json"), detector)
                .get(profile);
        double publishedRaw = NabFiles.readPublishedRaw(NabTestCorpus.dir()
                .resolve("results/" + detector + "/" + detector + "_" + profile + "_scores.csv"));

        Scorer.Score score = NabTestCorpus.scorer(detector).scoreAt(NabTestCorpus.profiles().get(profile), threshold);

        assertThat(score.normalised()).isCloseTo(expected, within(0.1));
        assertThat(score.raw()).isCloseTo(publishedRaw, within(1e-6));
    }

    @Test
    void theSweepFindsAtLeastThePublishedRawScore() {
        // an exhaustive sweep can only do better than NAB's published thresholds (numenta low-FP: 63.21 > 63.12)
        Map<String, Double> thresholds = NabFiles.readThresholds(
                NabTestCorpus.dir().resolve("config/thresholds.json"), "numenta");
        for (Profile profile : NabTestCorpus.profiles().values()) {
            Scorer scorer = NabTestCorpus.scorer("numenta");
            assertThat(scorer.sweep(profile).raw())
                    .isGreaterThanOrEqualTo(scorer.scoreAt(profile, thresholds.get(profile.name())).raw() - 1e-9);
        }
        assertThat(NabTestCorpus.scorer("numenta").sweep(Profile.REWARD_LOW_FP_RATE).normalised())
                .isCloseTo(63.21, within(0.01));
    }

    @ParameterizedTest(name = "null {0}")
    @MethodSource("profileNames")
    void theNullDetectorScoresThePublishedNullRawScore(String profile) {
        double publishedRaw = NabFiles.readPublishedRaw(
                NabTestCorpus.dir().resolve("results/null/null_" + profile + "_scores.csv"));
        double threshold = NabFiles.readThresholds(NabTestCorpus.dir().resolve("config/thresholds.json"), "null")
                .get(profile);
        Profile p = NabTestCorpus.profiles().get(profile);
        Scorer nullScorer = NabTestCorpus.scorer("null");

        assertThat(nullScorer.scoreAt(p, threshold).raw()).isEqualTo(publishedRaw);
        assertThat(nullScorer.sweep(p).raw()).isEqualTo(publishedRaw);
        assertThat(nullScorer.sweep(p).normalised()).isZero();
        // raw_null, as the scorer computes it for normalising, is the published one for every detector
        assertThat(nullScorer.nullRaw(p)).isEqualTo(publishedRaw);
        assertThat(NabTestCorpus.scorer("numenta").nullRaw(p)).isEqualTo(publishedRaw);
        assertThat(NabTestCorpus.scorer("numenta").perfectRaw(p)).isEqualTo(116 * p.tpWeight());
    }

    static Stream<String> profileNames() {
        return Stream.of("standard", "reward_low_FP_rate", "reward_low_FN_rate");
    }

    @Test
    void theCorpusIsTheOnePublished() {
        Scorer scorer = NabTestCorpus.scorer("numenta");

        assertThat(scorer.files()).isEqualTo(58);
        assertThat(scorer.totalWindows()).isEqualTo(116);
        assertThat(scorer.scorableWindows()).isEqualTo(116);
        assertThat(NabTestCorpus.profiles()).containsEntry("standard", Profile.STANDARD)
                .containsEntry("reward_low_FP_rate", Profile.REWARD_LOW_FP_RATE)
                .containsEntry("reward_low_FN_rate", Profile.REWARD_LOW_FN_RATE);
    }
}

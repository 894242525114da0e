package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.Numbers;

import static io.edgegateway.rules.basic.internal.Samples.config;
import static io.edgegateway.rules.basic.internal.Samples.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.TelemetrySample;

import org.junit.jupiter.api.Test;

class EwmaSignalDetectorTest {

    private static final double MEAN = 50;

    private static EwmaSettings settings(double zThreshold, double criticalZ, int adaptAfter) {
        return new EwmaSettings(0.05, zThreshold, 2.0, 30, 1e-6, Severity.WARNING, criticalZ, adaptAfter, Quality.GOOD);
    }

    /**
     * The defaults but z 5: the quiet stretches of these tests must be quiet, and at z 4 about 4 in 10,000 samples of
     * pure noise alert (see {@link #pureNoiseAtTheDefaultsRaisesFewFalsePositives()}).
     */
    private static final EwmaSettings Z5 = settings(5.0, 8.0, 100);

    /** Detector fed with {@code n} samples of N(MEAN, 1) from the given random. */
    private static EwmaSignalDetector warmedUp(Random random, int n) {
        return warmedUp(Z5, random, n);
    }

    private static EwmaSignalDetector warmedUp(EwmaSettings settings, Random random, int n) {
        EwmaSignalDetector detector = new EwmaSignalDetector(settings);
        for (int i = 0; i < n; i++) {
            assertThat(detector.update(sample(MEAN + random.nextGaussian()))).as("quiet start, sample %d", i).isNull();
        }
        return detector;
    }

    private static int falsePositives(EwmaSettings settings, long seed, int samples) {
        Random random = new Random(seed);
        EwmaSignalDetector detector = new EwmaSignalDetector(settings);
        int alerts = 0;
        for (int i = 0; i < samples; i++) {
            if (detector.update(sample(random.nextGaussian())) != null) {
                alerts++;
            }
        }
        return alerts;
    }

    @Test
    void pureNoiseAtTheDefaultsRaisesFewFalsePositives() {
        // A z of 4 is exceeded by N(0,1) with p = 6.3e-5, but the variance is itself estimated from ~2/alpha = 40
        // samples, so z has Student-t-like tails: measured 3.9 per 10,000 samples on average over 100 seeds at the
        // defaults (alpha 0.05, z 4), 1.5 at alpha 0.02, 0.08 at z 5.
        assertThat(falsePositives(EwmaSettings.defaults(), 42, 10_000)).isLessThanOrEqualTo(2);
        int total = 0;
        for (long seed = 0; seed < 20; seed++) {
            total += falsePositives(EwmaSettings.defaults(), seed, 10_000);
        }
        assertThat(total / 20.0).as("mean false positives per 10,000 samples").isLessThanOrEqualTo(6.0);
    }

    @Test
    void pureNoiseAtZ5RaisesAtMostOneFalsePositive() {
        for (long seed = 0; seed < 20; seed++) {
            assertThat(falsePositives(Z5, seed, 10_000)).as("seed %d", seed).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void spikeRaisesOnceWithScoreAndBaselineAndIsNotLearnt() {
        Random random = new Random(1);
        EwmaSignalDetector detector = warmedUp(random, 500);
        double mean = detector.mean();
        double std = detector.std();

        Detection detection = detector.update(sample(mean + 6 * std));

        assertThat(detection).isNotNull();
        assertThat(detection.severity()).isEqualTo(Severity.WARNING);
        assertThat(detection.score()).isCloseTo(6.0, within(1e-9));
        assertThat(detection.baseline()).isEqualTo(mean);
        assertThat(detection.message()).isEqualTo("z-score 6.0 above mean " + Numbers.format(mean) + " degC (value "
                + Numbers.format(mean + 6 * std) + ", std " + Numbers.format(std) + ")");
        assertThat(detector.mean()).as("the spike is not learnt").isEqualTo(mean);
        assertThat(detector.update(sample(mean))).isNull();
        assertThat(detector.alerting()).as("re-armed by a normal sample").isFalse();
        for (int i = 0; i < 200; i++) {
            assertThat(detector.update(sample(MEAN + random.nextGaussian()))).isNull();
        }
    }

    @Test
    void negativeSpikeIsReportedBelowTheMean() {
        EwmaSignalDetector detector = warmedUp(new Random(2), 300);
        double mean = detector.mean();

        Detection detection = detector.update(sample(mean - 5.5 * detector.std()));

        assertThat(detection.score()).isCloseTo(5.5, within(1e-9));
        assertThat(detection.message()).startsWith("z-score 5.5 below mean");
    }

    @Test
    void criticalAtCriticalZAndEscalationWithinAnExcursion() {
        EwmaSignalDetector detector = warmedUp(new Random(3), 300);
        double mean = detector.mean();
        double std = detector.std();

        assertThat(detector.update(sample(mean + 9 * std)).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(detector.update(sample(mean + 10 * std))).isNull();
        assertThat(detector.update(sample(mean))).isNull();

        assertThat(detector.update(sample(mean + 6 * std)).severity()).isEqualTo(Severity.WARNING);
        Detection escalated = detector.update(sample(mean + 9 * std));
        assertThat(escalated.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(escalated.baseline()).isEqualTo(mean);
        assertThat(detector.update(sample(mean + 12 * std))).as("critical once per excursion").isNull();
    }

    @Test
    void sustainedFaultShorterThanAdaptAfterKeepsTheBaseline() {
        Random random = new Random(4);
        EwmaSignalDetector detector = warmedUp(settings(5.0, 20.0, 100), random, 500);
        double mean = detector.mean();

        List<Integer> alerts = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            if (detector.update(sample(MEAN + 6 + random.nextGaussian())) != null) {
                alerts.add(i);
            }
            assertThat(detector.alerting()).as("fault still recognised at sample %d", i).isTrue();
        }

        assertThat(alerts).containsExactly(0);
        assertThat(detector.mean()).as("fault not absorbed").isEqualTo(mean);
        for (int i = 0; i < 300; i++) {
            assertThat(detector.update(sample(MEAN + random.nextGaussian()))).isNull();
        }
    }

    @Test
    void levelShiftIsLearntAfterAdaptAfterSamples() {
        Random random = new Random(5);
        EwmaSignalDetector detector = warmedUp(random, 500);

        List<Integer> alerts = new ArrayList<>();
        int rearmedAt = -1;
        for (int i = 0; i < 1000; i++) {
            if (detector.update(sample(MEAN + 10 + random.nextGaussian())) != null) {
                alerts.add(i);
            }
            if (rearmedAt < 0 && !detector.alerting()) {
                rearmedAt = i;
            }
        }

        assertThat(alerts).as("one CRITICAL alert for the shift, none after it is learnt").containsExactly(0);
        assertThat(rearmedAt).as("learnt after adapt.after (100) plus ~ln(2/10)/ln(0.95) = 31 samples")
                .isBetween(110, 170);
        assertThat(detector.mean()).isCloseTo(MEAN + 10, within(0.5));
        assertThat(detector.std()).as("noise estimate not inflated by the shift").isLessThan(1.5);
    }

    @Test
    void levelShiftStaysAlertingWhenAdaptationIsOff() {
        Random random = new Random(5);
        EwmaSignalDetector detector = new EwmaSignalDetector(settings(5.0, 8.0, 0));
        for (int i = 0; i < 500; i++) {
            detector.update(sample(MEAN + random.nextGaussian()));
        }
        double mean = detector.mean();

        int alerts = 0;
        for (int i = 0; i < 1000; i++) {
            alerts += detector.update(sample(MEAN + 10 + random.nextGaussian())) == null ? 0 : 1;
        }

        assertThat(alerts).isEqualTo(1);
        assertThat(detector.alerting()).isTrue();
        assertThat(detector.mean()).isEqualTo(mean);
    }

    @Test
    void rampsAreLearntUnlessTheyOutrunTheEwma() {
        // The variance learns a ramp's growing deviation as fast as the deviation grows, so z peaks near 3 for any
        // ramp up to ~1 sigma per sample: drifts are the fixed-limit rule's job. Only a ramp of a few sigma per
        // sample (close to a step) alerts.
        for (double slope : new double[] {0.02, 0.2, 1.0}) {
            Random random = new Random(6);
            EwmaSignalDetector detector = warmedUp(settings(4.0, 8.0, 100), random, 500);
            for (int i = 0; i < 1000; i++) {
                assertThat(detector.update(sample(MEAN + slope * i))).as("slope %s, sample %d", slope, i).isNull();
            }
        }

        EwmaSignalDetector fast = warmedUp(settings(4.0, 8.0, 100), new Random(6), 500);
        int first = -1;
        for (int i = 0; i < 100 && first < 0; i++) {
            if (fast.update(sample(MEAN + 3.0 * i)) != null) {
                first = i;
            }
        }
        assertThat(first).isBetween(1, 5);
    }

    @Test
    void stuckSensorThatMovesAgainDoesNotAlert() {
        Random random = new Random(7);
        EwmaSignalDetector detector = warmedUp(random, 300);
        double frozen = MEAN + random.nextGaussian();
        detector.update(sample(frozen));
        double std = detector.std();

        for (int i = 0; i < 2000; i++) {
            assertThat(detector.update(sample(frozen))).isNull();
        }
        assertThat(detector.std()).as("a frozen value does not shrink the variance").isCloseTo(std, within(1e-9));
        for (int i = 0; i < 300; i++) {
            assertThat(detector.update(sample(MEAN + random.nextGaussian()))).as("moving again, sample %d", i).isNull();
        }
    }

    @Test
    void signalConstantFromTheStartAlertsOnAnyChange() {
        EwmaSignalDetector detector = new EwmaSignalDetector(EwmaSettings.defaults());
        for (int i = 0; i < 100; i++) {
            assertThat(detector.update(sample(5.0))).isNull();
        }

        Detection detection = detector.update(sample(5.01));

        assertThat(detection).isNotNull();
        assertThat(detection.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(detection.score()).as("min.std is the scale").isCloseTo(0.01 / 1e-6, within(1.0));
    }

    @Test
    void warmupSamplesNeverAlert() {
        EwmaSignalDetector detector = new EwmaSignalDetector(EwmaSettings.defaults());
        Random random = new Random(8);
        for (int i = 0; i < 29; i++) {
            assertThat(detector.update(sample(MEAN + random.nextGaussian()))).isNull();
        }
        assertThat(detector.update(sample(MEAN + 100))).as("30th sample is still warm-up").isNull();
        assertThat(detector.update(sample(MEAN + 100))).as("first sample after warm-up").isNotNull();
    }

    @Test
    void warmupGivesUnbiasedRunningMeanAndVariance() {
        EwmaSignalDetector detector = new EwmaSignalDetector(EwmaSettings.defaults());
        double[] values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        for (double value : values) {
            detector.update(sample(value));
        }
        assertThat(detector.mean()).isCloseTo(5.5, within(1e-12));
        assertThat(detector.std()).as("population std of 1..10").isCloseTo(Math.sqrt(8.25), within(1e-12));
    }

    @Test
    void badAndByDefaultUncertainSamplesAreIgnored() {
        EwmaSignalDetector detector = warmedUp(new Random(9), 300);
        double mean = detector.mean();

        assertThat(detector.update(sample(Double.NaN, Quality.BAD))).isNull();
        assertThat(detector.update(sample(1e9, Quality.BAD))).isNull();
        assertThat(detector.update(sample(1e9, Quality.UNCERTAIN))).isNull();
        assertThat(detector.mean()).isEqualTo(mean);
        assertThat(detector.update(sample(1e9))).isNotNull();
    }

    @Test
    void uncertainSamplesAreEvaluatedWhenAllowed() {
        EwmaSignalDetector detector = new EwmaSignalDetector(new EwmaSettings(0.05, 4, 2, 30, 1e-6, Severity.WARNING,
                8, 100, Quality.UNCERTAIN));
        Random random = new Random(10);
        for (int i = 0; i < 100; i++) {
            detector.update(sample(MEAN + random.nextGaussian(), Quality.UNCERTAIN));
        }
        assertThat(detector.update(sample(MEAN + 50, Quality.UNCERTAIN))).isNotNull();
    }

    @Test
    void normalPathAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random random = new Random(11);
        TelemetrySample[] samples = new TelemetrySample[1000];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = sample(MEAN + 0.5 * random.nextGaussian());
        }
        EwmaSignalDetector detector = new EwmaSignalDetector(settings(6.0, 8.0, 100));
        for (int round = 0; round < 20; round++) {
            for (TelemetrySample s : samples) {
                detector.update(s);
            }
        }
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        int alerts = 0;
        for (int round = 0; round < 100; round++) {
            for (TelemetrySample s : samples) {
                alerts += detector.update(s) == null ? 0 : 1;
            }
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;

        assertThat(alerts).isZero();
        assertThat(allocated).as("bytes allocated for 100,000 normal samples").isLessThan(10_000);
    }

    @Test
    void componentBuildsSettingsFromConfiguration() {
        EwmaZScoreDetector component = new EwmaZScoreDetector(config(EwmaZScoreDetector.Config.class,
                Map.of("alpha", 0.1, "z.threshold", 5.0, "warmup", 10)));

        assertThat(component.settings()).isEqualTo(new EwmaSettings(0.1, 5.0, 2.0, 10, 1e-6, Severity.WARNING, 8.0,
                100, Quality.GOOD));
        assertThat(new EwmaZScoreDetector(config(EwmaZScoreDetector.Config.class, Map.of())).settings())
                .isEqualTo(EwmaSettings.defaults());
    }

    @Test
    void invalidConfigurationFailsActivationNamingPidAndSetting() {
        assertInvalid(Map.of("alpha", 1.5), "io.edgegateway.rules.ewma: setting 'alpha' = 1.5 must be in (0, 1]");
        assertInvalid(Map.of("alpha", 0.0), "io.edgegateway.rules.ewma: setting 'alpha' = 0.0 must be in (0, 1]");
        assertInvalid(Map.of("z.rearm", 4.0),
                "io.edgegateway.rules.ewma: setting 'z.rearm' = 4.0 must be less than 'z.threshold' = 4.0");
        assertInvalid(Map.of("z.threshold", 0.0),
                "io.edgegateway.rules.ewma: setting 'z.threshold' = 0.0 must be a finite number > 0");
        assertInvalid(Map.of("warmup", 1), "io.edgegateway.rules.ewma: setting 'warmup' = 1 must be >= 2");
        assertInvalid(Map.of("min.std", 0.0),
                "io.edgegateway.rules.ewma: setting 'min.std' = 0.0 must be a finite number > 0");
        assertInvalid(Map.of("critical.z", 3.0),
                "io.edgegateway.rules.ewma: setting 'critical.z' = 3.0 must be >= 'z.threshold' = 4.0");
        assertInvalid(Map.of("adapt.after", -1),
                "io.edgegateway.rules.ewma: setting 'adapt.after' = -1 must be >= 0 (0 = never)");
        assertInvalid(Map.of("min.quality", Quality.BAD),
                "io.edgegateway.rules.ewma: setting 'min.quality' = BAD must be GOOD or UNCERTAIN");
    }

    private static void assertInvalid(Map<String, Object> settings, String message) {
        assertThatThrownBy(() -> new EwmaZScoreDetector(config(EwmaZScoreDetector.Config.class, settings)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}

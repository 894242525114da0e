package io.edgegateway.rules.statistical.internal;

import io.edgegateway.rules.support.InvalidSettingException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;

import org.junit.jupiter.api.Test;

class ConformalScorerTest {

    private static final double THRESHOLD = ConformalSettings.DEFAULT_ALERT_THRESHOLD;

    /** Indexes of the samples whose score reaches the default alert threshold; every score must be in [0, 1]. */
    private static List<Integer> alarms(int n, IntToDoubleFunction series) {
        ConformalScorer scorer = new ConformalScorer(ConformalSettings.defaults());
        List<Integer> alarms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double s = scorer.score(60_000L * i, series.applyAsDouble(i));
            assertThat(s).isBetween(0.0, 1.0);
            if (s >= THRESHOLD) {
                alarms.add(i);
            }
        }
        return alarms;
    }

    private static double[] noise(long seed, int n) {
        Random random = new Random(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = 20 + random.nextGaussian();
        }
        return x;
    }

    @Test
    void aSpikeIsReportedOnTheSampleItself() {
        double[] x = noise(1, 3000);
        x[2000] += 12;

        assertThat(alarms(x.length, i -> x[i])).contains(2000);
    }

    @Test
    void aLevelShiftIsReportedWhenItHappensAndOnlyOnce() {
        double[] x = noise(2, 3000);
        for (int i = 2000; i < x.length; i++) {
            x[i] += 6;
        }

        List<Integer> alarms = alarms(x.length, i -> x[i]);

        assertThat(alarms).filteredOn(i -> i >= 2000 && i < 2005).isNotEmpty();
        assertThat(alarms).filteredOn(i -> i >= 2005 && i < 2100).isEmpty(); // once per excursion
    }

    @Test
    void aSlowDriftIsReportedWithinAFewDozenSamples() {
        double[] x = noise(3, 3000);
        for (int i = 2000; i < x.length; i++) {
            x[i] += 0.1 * (i - 2000); // a tenth of the noise's standard deviation per sample
        }

        assertThat(alarms(x.length, i -> x[i])).filteredOn(i -> i >= 2000 && i < 2060).isNotEmpty();
    }

    @Test
    void aStuckSensorIsNotAnAnomalyButItsReturnIs() {
        // a sensor that freezes at its last value looks quieter than usual: the features measure excess, so the
        // freeze itself raises nothing (that is the stuck rule's job in rules-basic); the jump back is reported
        double[] x = noise(4, 3000);
        for (int i = 2000; i < 2300; i++) {
            x[i] = x[1999];
        }
        for (int i = 2300; i < x.length; i++) {
            x[i] += 8;
        }

        List<Integer> alarms = alarms(x.length, i -> x[i]);

        assertThat(alarms).filteredOn(i -> i > 2000 && i < 2300).isEmpty();
        assertThat(alarms).filteredOn(i -> i >= 2300 && i < 2305).isNotEmpty();
    }

    @Test
    void pureNoiseRaisesFewFalseAlarms() {
        double[] x = noise(5, 20_000);

        // conformal p-values are uniform on exchangeable data: with the once-per-excursion suppression the
        // default threshold (p ~ 1e-3 after the Bonferroni factor) raises about 13 per 10,000 samples (26 here)
        assertThat(alarms(x.length, i -> x[i]).size()).isLessThanOrEqualTo(30);
    }

    @Test
    void aConstantSignalIsQuietUntilItChanges() {
        List<Integer> alarms = alarms(1000, i -> i < 600 ? 5.0 : 5.5);

        // reported at the change (and once more as the level feature grows), then learnt
        assertThat(alarms).startsWith(600).allMatch(i -> i >= 600 && i < 610);
    }

    @Test
    void scoresStayInRangeOnExtremeInput() {
        ConformalScorer scorer = new ConformalScorer(ConformalSettings.defaults());
        for (int i = 0; i < 500; i++) {
            assertThat(scorer.score(i, i % 2 == 0 ? 1e300 : -1e300)).isBetween(0.0, 1.0);
        }
        assertThat(scorer.score(600, Double.NaN)).isZero();
    }

    @Test
    void theComponentRaisesADetectionWithScoreBaselineAndReason() {
        ConformalDetector detector = new ConformalDetector(Samples.config(ConformalDetector.Config.class, Map.of()));
        assertThat(detector.settings()).isEqualTo(ConformalSettings.defaults());
        SignalDetector signal = detector.create(new SignalKey("pump-1", "bearing_temperature"));
        double[] x = noise(6, 3000);
        x[2500] = 40;

        Detection detection = null;
        for (int i = 0; i < x.length; i++) {
            Detection d = signal.update(Samples.sampleAt(i, x[i]));
            if (i == 2500) {
                detection = d;
            }
        }

        assertThat(detection).isNotNull();
        assertThat(detection.severity()).isEqualTo(Severity.WARNING);
        assertThat(detection.score()).isBetween(THRESHOLD, 1.0);
        assertThat(detection.baseline()).isCloseTo(20.0, org.assertj.core.api.Assertions.within(1.5));
        assertThat(detection.message()).startsWith("unusual ").contains("value 40.0 degC").contains("expected");
    }

    @Test
    void anInvalidSettingIsNamedWithThePid() {
        assertThatThrownBy(() -> new ConformalDetector(Samples.config(ConformalDetector.Config.class,
                Map.of("slow.alpha", 0.5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("io.edgegateway.rules.conformal: setting 'slow.alpha' = 0.5 must be in (0, 'fast.alpha' = 0.1]");
        assertThatThrownBy(() -> new ConformalDetector(Samples.config(ConformalDetector.Config.class,
                Map.of("alert.threshold", 0.0))))
                .hasMessage("io.edgegateway.rules.conformal: setting 'alert.threshold' = 0.0 must be in (0, 1]");
        assertThatThrownBy(() -> new ConformalSettings(1, 0.1, 0.01, 100, 0, 0.1, 24, 0.4))
                .isInstanceOf(InvalidSettingException.class).hasMessage("setting 'warmup' = 1 must be >= 2");
    }
}

package io.edgegateway.rules.basic.internal;

import static io.edgegateway.rules.basic.internal.Samples.config;
import static io.edgegateway.rules.basic.internal.Samples.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalKey;

import org.junit.jupiter.api.Test;

class ThresholdSignalDetectorTest {

    private static final double OFF_HIGH = ThresholdSettings.OFF_HIGH;
    private static final double OFF_LOW = ThresholdSettings.OFF_LOW;

    private static ThresholdSignalDetector detector(double high, double low, double hysteresis) {
        return new ThresholdSignalDetector(new ThresholdSettings(high, low, hysteresis, Severity.WARNING, OFF_HIGH,
                OFF_LOW, Quality.GOOD));
    }

    /** Indices of the samples that raised a detection. */
    private static List<Integer> raised(ThresholdSignalDetector detector, double... values) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            if (detector.update(sample(values[i])) != null) {
                indices.add(i);
            }
        }
        return indices;
    }

    @Test
    void spikeAboveHighRaisesOnceWithScoreBaselineAndMessage() {
        ThresholdSignalDetector detector = detector(80, OFF_LOW, 0);
        assertThat(detector.update(sample(79.9))).isNull();
        assertThat(detector.update(sample(80.0))).as("at the limit is not above it").isNull();

        Detection detection = detector.update(sample(93.4));

        assertThat(detection).isNotNull();
        assertThat(detection.severity()).isEqualTo(Severity.WARNING);
        assertThat(detection.baseline()).isEqualTo(80.0);
        assertThat(detection.score()).isCloseTo((93.4 - 80) / 80, within(1e-12));
        assertThat(detection.message()).isEqualTo("above high limit 80.0 degC (value 93.4)");
        assertThat(detector.update(sample(95))).as("same excursion").isNull();
        assertThat(detector.update(sample(70))).isNull();
        assertThat(detector.update(sample(81))).as("re-armed, new excursion").isNotNull();
    }

    @Test
    void scoreIsRelativeToOneForLimitsNearZero() {
        ThresholdSignalDetector detector = detector(0.5, OFF_LOW, 0);

        assertThat(detector.update(sample(2.0)).score()).isCloseTo(1.5, within(1e-12));
    }

    @Test
    void hysteresisRearmsOnlyBelowHighMinusHysteresis() {
        ThresholdSignalDetector detector = detector(80, OFF_LOW, 2);

        assertThat(raised(detector, 81, 79, 81, 78.5, 81, 78, 81)).containsExactly(0, 6);
    }

    @Test
    void wobbleAroundTheLimitWithoutHysteresisRaisesPerCrossing() {
        assertThat(raised(detector(80, OFF_LOW, 0), 81, 79, 81, 80, 81)).containsExactly(0, 2, 4);
    }

    @Test
    void lowLimitWithHysteresis() {
        ThresholdSignalDetector detector = detector(OFF_HIGH, 2.0, 0.5);

        Detection first = detector.update(sample(1.5));
        assertThat(first).isNotNull();
        assertThat(first.message()).isEqualTo("below low limit 2.0 degC (value 1.5)");
        assertThat(first.baseline()).isEqualTo(2.0);
        assertThat(first.score()).isCloseTo(0.25, within(1e-12));
        assertThat(raised(detector, 1.0, 2.2, 1.9, 2.5, 1.9)).containsExactly(4);
    }

    @Test
    void highAndLowEachRaiseTheirOwnExcursion() {
        assertThat(raised(detector(80, 20, 0), 50, 85, 50, 10, 15, 50, 90)).containsExactly(1, 3, 6);
    }

    @Test
    void criticalEscalationWithinAnExcursionRaisesOneMoreDetection() {
        ThresholdSignalDetector detector = new ThresholdSignalDetector(new ThresholdSettings(80, OFF_LOW, 0,
                Severity.WARNING, 95, OFF_LOW, Quality.GOOD));

        assertThat(detector.update(sample(85)).severity()).isEqualTo(Severity.WARNING);
        Detection critical = detector.update(sample(96));
        assertThat(critical.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(critical.baseline()).isEqualTo(95.0);
        assertThat(critical.message()).isEqualTo("above critical high limit 95.0 degC (value 96.0)");
        assertThat(detector.update(sample(99))).isNull();
        assertThat(detector.update(sample(90))).as("still in the excursion").isNull();
        assertThat(detector.update(sample(97))).as("critical raised once per excursion").isNull();
        assertThat(detector.update(sample(70))).isNull();

        Detection jump = detector.update(sample(100));
        assertThat(jump.severity()).as("straight past the critical limit: one CRITICAL").isEqualTo(Severity.CRITICAL);
        assertThat(detector.update(sample(85))).isNull();
    }

    @Test
    void criticalLowEscalation() {
        ThresholdSignalDetector detector = new ThresholdSignalDetector(new ThresholdSettings(OFF_HIGH, 3, 0,
                Severity.INFO, OFF_HIGH, 1, Quality.GOOD));

        assertThat(detector.update(sample(2.5)).severity()).isEqualTo(Severity.INFO);
        assertThat(detector.update(sample(0.5)).severity()).isEqualTo(Severity.CRITICAL);
    }

    @Test
    void slowDriftRaisesOnceWhenItCrossesTheLimit() {
        ThresholdSignalDetector detector = detector(80, OFF_LOW, 1);
        double[] ramp = new double[600];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = 55 + 0.05 * i + 0.3 * Math.sin(i); // crosses 80 around i = 500
        }
        List<Integer> indices = raised(detector, ramp);

        assertThat(indices).hasSize(1);
        assertThat(indices.get(0)).isBetween(490, 510);
    }

    @Test
    void stuckValueAboveTheLimitRaisesOnce() {
        double[] stuck = new double[100];
        java.util.Arrays.fill(stuck, 85.0);

        assertThat(raised(detector(80, OFF_LOW, 0), stuck)).containsExactly(0);
    }

    @Test
    void badAndByDefaultUncertainSamplesAreIgnored() {
        ThresholdSignalDetector detector = detector(80, OFF_LOW, 0);

        assertThat(detector.update(sample(Double.NaN, Quality.BAD))).isNull();
        assertThat(detector.update(sample(200, Quality.BAD))).isNull();
        assertThat(detector.update(sample(200, Quality.UNCERTAIN))).isNull();
        assertThat(detector.update(sample(90))).isNotNull();
    }

    @Test
    void uncertainSamplesAreEvaluatedWhenAllowed() {
        ThresholdSignalDetector detector = new ThresholdSignalDetector(new ThresholdSettings(80, OFF_LOW, 0,
                Severity.WARNING, OFF_HIGH, OFF_LOW, Quality.UNCERTAIN));

        assertThat(detector.update(sample(200, Quality.BAD))).isNull();
        assertThat(detector.update(sample(90, Quality.UNCERTAIN))).isNotNull();
    }

    @Test
    void componentBuildsSettingsFromConfiguration() {
        ThresholdDetector component = new ThresholdDetector(config(ThresholdDetector.Config.class,
                Map.of("high", 80.0, "hysteresis", 2.0, "critical.high", 95.0, "severity", Severity.INFO)));

        assertThat(component.settings()).isEqualTo(new ThresholdSettings(80, OFF_LOW, 2, Severity.INFO, 95, OFF_LOW,
                Quality.GOOD));
        assertThat(component.create(new SignalKey("pump-1", "t"))).isInstanceOf(ThresholdSignalDetector.class);
        assertThat(component.create(new SignalKey("pump-1", "t")))
                .as("one state per signal").isNotSameAs(component.create(new SignalKey("pump-1", "t")));
    }

    @Test
    void invalidConfigurationFailsActivationNamingPidAndSetting() {
        assertInvalid(Map.of("high", 10.0, "low", 20.0),
                "io.edgegateway.rules.threshold: setting 'high' = 10.0 must be greater than 'low' = 20.0");
        assertInvalid(Map.of("high", 10.0, "low", 10.0),
                "io.edgegateway.rules.threshold: setting 'high' = 10.0 must be greater than 'low' = 10.0");
        assertInvalid(Map.of("high", 80.0, "hysteresis", -1.0),
                "io.edgegateway.rules.threshold: setting 'hysteresis' = -1.0 must be a finite number >= 0");
        assertInvalid(Map.of(),
                "io.edgegateway.rules.threshold: setting 'high' = Infinity and 'low' are both off: set at least one limit");
        assertInvalid(Map.of("high", 80.0, "critical.high", 70.0),
                "io.edgegateway.rules.threshold: setting 'critical.high' = 70.0 must be >= 'high' = 80.0");
        assertInvalid(Map.of("low", 5.0, "critical.high", 70.0),
                "io.edgegateway.rules.threshold: setting 'critical.high' = 70.0 needs 'high' to be set");
        assertInvalid(Map.of("low", 5.0, "critical.low", 6.0),
                "io.edgegateway.rules.threshold: setting 'critical.low' = 6.0 must be <= 'low' = 5.0");
        assertInvalid(Map.of("high", Double.NaN),
                "io.edgegateway.rules.threshold: setting 'high' = NaN must be a number");
        assertInvalid(Map.of("high", 80.0, "min.quality", Quality.BAD),
                "io.edgegateway.rules.threshold: setting 'min.quality' = BAD must be GOOD or UNCERTAIN");
    }

    @Test
    void unknownSeverityConvertedToNullByDsIsReported() {
        java.util.HashMap<String, Object> settings = new java.util.HashMap<>();
        settings.put("high", 80.0);
        settings.put("severity", null);
        assertThatThrownBy(() -> new ThresholdDetector(config(ThresholdDetector.Config.class, settings)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("io.edgegateway.rules.threshold: setting 'severity' = null must be one of INFO, WARNING, CRITICAL");
    }

    private static void assertInvalid(Map<String, Object> settings, String message) {
        assertThatThrownBy(() -> new ThresholdDetector(config(ThresholdDetector.Config.class, settings)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}

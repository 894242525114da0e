package io.edgegateway.rules.basic.internal;

import static io.edgegateway.rules.basic.internal.Samples.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;

class StuckSignalDetectorTest {

    private static List<Integer> detectionsAt(StuckSignalDetector d, double[] values) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            if (d.update(sample(values[i])) != null) {
                at.add(i);
            }
        }
        return at;
    }

    @Test
    void aFrozenNoisySignalRaisesOncePerRunAndReArmsWhenItMoves() {
        Random noise = new Random(7);
        double[] values = new double[200];
        for (int i = 0; i < values.length; i++) {
            values[i] = 55 + noise.nextGaussian() * 0.15;
        }
        for (int i = 50; i < 100; i++) { // frozen at the reading of sample 49
            values[i] = values[49];
        }
        for (int i = 150; i < 200; i++) { // frozen again later
            values[i] = values[149];
        }
        StuckSignalDetector d = new StuckSignalDetector(20, 0, Severity.WARNING, Quality.GOOD);
        // run starts at 49: the 20th identical reading is sample 68; the second run starts at 149 -> 168
        assertThat(detectionsAt(d, values)).containsExactly(68, 168);
    }

    @Test
    void detectionCarriesTheFrozenValueAndScore() {
        StuckSignalDetector d = new StuckSignalDetector(3, 0.01, Severity.CRITICAL, Quality.GOOD);
        assertThat(d.update(sample(6.2))).isNull();
        assertThat(d.update(sample(6.205))).isNull(); // within tolerance
        Detection detection = d.update(sample(6.195));
        assertThat(detection).isNotNull();
        assertThat(detection.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(detection.baseline()).isEqualTo(6.2);
        assertThat(detection.score()).isEqualTo(1.0);
        assertThat(detection.message()).isEqualTo("stuck at 6.2 degC for 3 readings");
    }

    @Test
    void noiseNeverLooksStuckAndBadSamplesAreIgnored() {
        Random noise = new Random(3);
        StuckSignalDetector d = new StuckSignalDetector(5, 0, Severity.WARNING, Quality.GOOD);
        for (int i = 0; i < 10_000; i++) {
            assertThat(d.update(sample(2.5 + noise.nextGaussian() * 0.1))).isNull();
        }
        for (int i = 0; i < 10; i++) {
            assertThat(d.update(sample(Double.NaN, Quality.BAD))).isNull();
        }
    }

    @Test
    void invalidSettingsNameThePidAndTheSetting() {
        assertThatThrownBy(() -> new StuckDetector(Samples.config(StuckDetector.Config.class, Map.of("samples", 1))))
                .hasMessage("io.edgegateway.rules.stuck: setting 'samples' = 1 must be at least 2");
        assertThatThrownBy(() -> new StuckDetector(Samples.config(StuckDetector.Config.class,
                Map.of("tolerance", -0.5))))
                .hasMessage("io.edgegateway.rules.stuck: setting 'tolerance' = -0.5 must be a finite number >= 0");
    }
}

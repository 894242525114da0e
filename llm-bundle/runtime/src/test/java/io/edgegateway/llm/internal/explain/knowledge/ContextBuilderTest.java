package io.edgegateway.llm.internal.explain.knowledge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToDoubleFunction;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.TelemetrySample;

class ContextBuilderTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final int N = 200; // samples per history, one a second
    private final ContextBuilder builder = new ContextBuilder();
    private final Random random = new Random(42);

    private void feed(String asset, String signal, int count, IntToDoubleFunction value) {
        for (int k = 0; k < count; k++) {
            builder.record(sample(asset, signal, k, value.applyAsDouble(k)));
        }
    }

    private static TelemetrySample sample(String asset, String signal, int k, double value) {
        Instant t = Instant.ofEpochMilli(T0 + 1000L * k);
        return new TelemetrySample(asset, signal, value, "degC", Quality.GOOD, t, t, "test");
    }

    private double noise(double sigma) {
        return sigma * random.nextGaussian();
    }

    private static Alert alert(String detector, double baseline, int k, double value) {
        Instant t = Instant.ofEpochMilli(T0 + 1000L * k);
        return new Alert("a-1", "pump-1", "bearing_temperature", detector, "1.0", Severity.WARNING, 5, baseline, value,
                "degC", t, t, "test");
    }

    /** Feeds the signal's history (samples 0 .. N-1, the last one alerting) and builds its context. */
    private ExplainContext explain(String detector, double alertBaseline, IntToDoubleFunction value) {
        double[] v = new double[N];
        for (int k = 0; k < N; k++) {
            v[k] = value.applyAsDouble(k);
        }
        feed("pump-1", "bearing_temperature", N, k -> v[k]);
        return builder.build(alert(detector, alertBaseline, N - 1, v[N - 1]), "pump", OptionalDouble.empty());
    }

    @Test
    void spike() {
        ExplainContext c = explain("ewma", Double.NaN, k -> k == N - 1 ? 65 : 60 + noise(0.5));
        assertThat(c.pattern()).isEqualTo("spike");
        assertThat(c.direction()).isEqualTo("up");
        assertThat(c.baseline().getAsDouble()).isCloseTo(60, within(0.3));
        assertThat(c.deviation()).isBetween(6.0, 14.0);
        assertThat(c.durationS()).isEqualTo(1); // last inside the band one sample (a second) ago
        assertThat(c.value()).isEqualTo(65);
        assertThat(c.assetType()).isEqualTo("pump");
        assertThat(c.unit()).isEqualTo("degC");
    }

    @Test
    void aTwoSampleSpikeDownwards() {
        ExplainContext c = explain("conformal", Double.NaN, k -> k >= N - 2 ? 52 : 60 + noise(0.5));
        assertThat(c.pattern()).isEqualTo("spike");
        assertThat(c.direction()).isEqualTo("down");
        assertThat(c.durationS()).isEqualTo(2);
    }

    @Test
    void drift() {
        // flat for 120 s, then +0.05 per second (3 per minute); noise 0.2
        ExplainContext c = explain("ewma", Double.NaN, k -> 60 + (k < 120 ? 0 : 0.05 * (k - 120)) + noise(0.2));
        assertThat(c.pattern()).isEqualTo("drift");
        assertThat(c.direction()).isEqualTo("up");
        assertThat(c.slopePerMin()).isCloseTo(3.0, within(0.3));
        assertThat(c.devBucket()).isEqualTo("high");
        // the band (± 3 sigma, ~0.6) is left ~12 s into the ramp, ~67 s before the alert
        assertThat(c.durationS()).isBetween(55.0, 75.0);
    }

    @Test
    void driftDownFromTheStartOfTheHistory() {
        ExplainContext c = explain("ewma", Double.NaN, k -> 500 - 0.1 * k + noise(0.3));
        assertThat(c.pattern()).isEqualTo("drift");
        assertThat(c.direction()).isEqualTo("down");
        assertThat(c.slopePerMin()).isCloseTo(-6.0, within(0.3));
    }

    @Test
    void levelShift() {
        ExplainContext c = explain("ewma", Double.NaN, k -> (k < 170 ? 50 : 55) + noise(0.5));
        assertThat(c.pattern()).isEqualTo("level_shift");
        assertThat(c.direction()).isEqualTo("up");
        assertThat(c.durationS()).isEqualTo(30); // sample 169 was the last inside the band
        assertThat(c.durBucket()).isEqualTo("short");
    }

    @Test
    void oscillation() {
        ExplainContext c = explain("ewma", Double.NaN,
                k -> 60 + (k < 100 ? 0 : 2 * Math.sin(2 * Math.PI * k / 10.0)) + noise(0.2));
        assertThat(c.pattern()).isEqualTo("oscillation");
    }

    @Test
    void noiseAloneIsNeitherOscillationNorDrift() {
        ExplainContext c = explain("ewma", Double.NaN, k -> 60 + noise(0.5));
        assertThat(c.pattern()).isEqualTo("level_shift");
        assertThat(Math.abs(c.deviation())).isLessThan(4);
    }

    @Test
    void stuckFromTheDetectorIsFlat() {
        ExplainContext c = explain("stuck", 61.5, k -> k < 150 ? 60 + noise(0.5) : 61.5);
        assertThat(c.pattern()).isEqualTo("stuck");
        assertThat(c.direction()).isEqualTo("flat");
        // the stuck detector's baseline is the stuck value, not an expectation: our median is used
        assertThat(c.baseline().getAsDouble()).isCloseTo(60, within(0.3));
    }

    @Test
    void thresholdFromTheDetectorUsesTheHistoryNotTheLimitAsBaseline() {
        ExplainContext c = explain("threshold", 80, k -> k < 180 ? 70 + noise(0.5) : 82);
        assertThat(c.pattern()).isEqualTo("threshold");
        assertThat(c.direction()).isEqualTo("up");
        assertThat(c.baseline().getAsDouble()).isCloseTo(70, within(0.3));
        assertThat(c.durationS()).isEqualTo(20);
    }

    @Test
    void anExpectationDetectorsBaselineIsUsed() {
        ExplainContext c = explain("ewma", 59.0, k -> k == N - 1 ? 65 : 60 + noise(0.5));
        assertThat(c.baseline()).hasValue(59.0);
        assertThat(c.deviation()).isGreaterThan(8);
    }

    @Test
    void othersAreTheAssetsOtherDeviatingSignals() {
        feed("pump-1", "vibration", N, k -> k < 190 ? 2 + noise(0.1) : 4);
        feed("pump-1", "speed", N, k -> k < 195 ? 1480 + noise(2) : 1400);
        feed("pump-1", "motor_current", N, k -> 12 + noise(0.2));
        feed("pump-2", "vibration", N, k -> k < 190 ? 2 : 9); // another asset
        ExplainContext c = explain("ewma", Double.NaN, k -> k == N - 1 ? 65 : 60 + noise(0.5));
        assertThat(c.others()).containsExactly(Map.entry("speed", "down"), Map.entry("vibration", "up"));
    }

    @Test
    void anAlertWithContributionsNamesTheModelsSignalsInsteadOfTheThreeSigmaRule() {
        // the ±3 sigma rule would name vibration (a jump) and nothing else; the health model says flow (down) and
        // motor_current (up) drive the deviation, and vibration is inside its range by the model's judgement
        feed("pump-1", "vibration", N, k -> k < 190 ? 2 + noise(0.1) : 4);
        feed("pump-1", "flow", N, k -> 120 + noise(1));
        feed("pump-1", "motor_current", N, k -> 12 + noise(0.2));
        feed("pump-1", "bearing_temperature", N, k -> 60 + noise(0.5));
        Instant t = Instant.ofEpochMilli(T0 + 1000L * (N - 1));
        Alert health = new Alert("a-2", "pump-1", "bearing_temperature", "health", "1.0", Severity.WARNING, 1.5, 1.0,
                60, "degC", t, t, "abnormal", io.edgegateway.api.AlertState.RAISED, t.minusSeconds(30), List.of(
                        new Contribution("bearing_temperature", 3.0, 2.5, 58),
                        new Contribution("flow", 2.0, -1.8, 125),
                        new Contribution("motor_current", 1.2, 1.1, 11.5),
                        new Contribution("vibration", 0.4, 0.9, 2.1)));
        ExplainContext c = builder.build(health, "pump", OptionalDouble.empty());
        assertThat(c.others()).containsExactly(Map.entry("flow", "down"), Map.entry("motor_current", "up"));
    }

    @Test
    void othersAfterTheAlertDoNotCount() {
        feed("pump-1", "vibration", N, k -> 2 + noise(0.1));
        builder.record(sample("pump-1", "vibration", N + 5, 9)); // after the alert's time
        ExplainContext c = explain("ewma", Double.NaN, k -> k == N - 1 ? 65 : 60 + noise(0.5));
        assertThat(c.others()).isEmpty();
    }

    @Test
    void theAlertingSampleCountsEvenWhenTheTapHasNotSeenItYet() {
        feed("pump-1", "bearing_temperature", N - 1, k -> 60 + noise(0.5));
        ExplainContext c = builder.build(alert("ewma", Double.NaN, N - 1, 66), "pump", OptionalDouble.of(25));
        assertThat(c.pattern()).isEqualTo("spike");
        assertThat(c.value()).isEqualTo(66);
        assertThat(c.rulCycles()).hasValue(25);
    }

    @Test
    void withoutHistoryOnlyTheAlertSpeaks() {
        ExplainContext none = builder.build(alert("ewma", Double.NaN, 0, 66), "pump", OptionalDouble.empty());
        assertThat(none.baseline()).isEmpty();
        assertThat(none.deviation()).isZero();
        assertThat(none.direction()).isEqualTo("flat");
        assertThat(none.pattern()).isEqualTo("level_shift");
        assertThat(none.durationS()).isZero();

        ExplainContext limit = builder.build(alert("threshold", 80, 0, 82), "pump", OptionalDouble.empty());
        assertThat(limit.baseline()).hasValue(80);
        assertThat(limit.deviation()).isZero();
        assertThat(limit.direction()).isEqualTo("up");
        assertThat(limit.pattern()).isEqualTo("threshold");
    }

    @Test
    void aFlatReferenceStillGivesFiniteNumbers() {
        ExplainContext c = explain("ewma", Double.NaN, k -> k == N - 1 ? 21 : 20);
        assertThat(c.baseline()).hasValue(20);
        assertThat(c.deviation()).isEqualTo(1 / (1e-3 * 21), within(1e-6));
        assertThat(c.pattern()).isEqualTo("spike");
    }

    @Test
    void badSamplesAreIgnoredAndSeriesAreBounded() {
        ContextBuilder small = new ContextBuilder(16, 2, s -> s);
        Instant t = Instant.ofEpochMilli(T0);
        small.record(new TelemetrySample("m-1", "a", Double.NaN, "", Quality.BAD, t, t, "x"));
        assertThat(small.seriesCount()).isZero();
        small.record(sample("m-1", "a", 0, 1));
        small.record(sample("m-1", "b", 0, 1));
        small.record(sample("m-2", "a", 0, 1));
        small.record(sample("m-1", "a", 1, 2));
        assertThat(small.seriesCount()).isEqualTo(2);
        assertThatThrownBy(() -> new ContextBuilder(4, 2, s -> s)).hasMessageContaining("capacity");
    }

    @Test
    void theRingKeepsTheNewestSamplesInOrder() {
        ContextBuilder.Ring r = new ContextBuilder.Ring(3);
        for (int k = 0; k < 5; k++) {
            r.add(k, 10 * k);
        }
        ContextBuilder.Snapshot s = r.snapshot();
        assertThat(s.t).containsExactly(2, 3, 4);
        assertThat(s.x).containsExactly(20, 30, 40);
        assertThat(s.until(3).x).containsExactly(20, 30);
    }

    @Test
    void recordIsSafeFromManyThreads() throws Exception {
        ContextBuilder b = new ContextBuilder(64, 100, s -> s);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        for (int w = 0; w < 4; w++) {
            String asset = "pump-" + w;
            pool.submit(() -> {
                start.await();
                for (int k = 0; k < 5000; k++) {
                    b.record(sample(asset, "s" + (k % 3), k, k));
                }
                return null;
            });
        }
        start.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(b.seriesCount()).isEqualTo(12);
    }

    @Test
    void signalNamesAreMappedToTheKnowledgeBase() {
        ContextBuilder b = new ContextBuilder(64, 100, s -> s.equals("Motor Amps") ? "motor_current" : s);
        for (int k = 0; k < 40; k++) {
            b.record(sample("pump-1", "Motor Amps", k, k < 39 ? 10 + (k % 2) * 0.1 : 20));
            b.record(sample("pump-1", "bearing temp", k, 60 + (k % 2) * 0.1));
        }
        Instant t = Instant.ofEpochMilli(T0 + 39_000);
        Alert a = new Alert("a", "pump-1", "bearing temp", "ewma", "", Severity.INFO, 1, Double.NaN, 60.1, "degC", t, t,
                "");
        ExplainContext c = b.build(a, "pump", OptionalDouble.empty());
        assertThat(c.signal()).isEqualTo("bearing_temp"); // unmapped, made a valid prompt token
        assertThat(c.others()).containsExactly(Map.entry("motor_current", "up"));
    }

    @Test
    void assetTypes() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("line?-p*", "pump");
        map.put("*", "motor");
        assertThat(ContextBuilder.assetTypeOf("line3-p7", map)).isEqualTo("pump");
        assertThat(ContextBuilder.assetTypeOf("pump-1", map)).isEqualTo("motor"); // the mapping comes first
        assertThat(ContextBuilder.assetTypeOf("pump-1", Map.of())).isEqualTo("pump");
        assertThat(ContextBuilder.assetTypeOf("compressor-1", Map.of())).isEqualTo("compressor");
        assertThat(ContextBuilder.assetTypeOf("Fan12", Map.of())).isEqualTo("fan");
        assertThat(ContextBuilder.assetTypeOf("gearbox", Map.of())).isEqualTo("gearbox");
        assertThat(ContextBuilder.assetTypeOf("42-a", Map.of())).isEqualTo(ContextBuilder.FALLBACK_ASSET_TYPE);
        assertThat(ContextBuilder.assetTypeOf("pump.1", Map.of("pump?1", "fan"))).isEqualTo("fan");
        assertThat(ContextBuilder.assetTypeOf("pump(1)", Map.of("pump(1)", "fan"))).isEqualTo("fan"); // quoted
    }
}

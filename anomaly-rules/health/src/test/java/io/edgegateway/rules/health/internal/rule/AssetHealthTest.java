package io.edgegateway.rules.health.internal.rule;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.api.AlertState;
import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;

class AssetHealthTest {

    static final int SIGNALS = 6;
    static final long TICK = 1000;

    /** Six sensors of one pump driven by two slow factors, plus noise; seeded. */
    static final class Pump {
        final Random random;
        double f1;
        double f2;
        long tick;

        Pump(long seed) {
            random = new Random(seed);
        }

        /** The samples of the next tick; {@code drift} is added to s3. */
        List<TelemetrySample> next(double drift) {
            f1 = 0.9 * f1 + 0.44 * random.nextGaussian();
            f2 = 0.9 * f2 + 0.44 * random.nextGaussian();
            List<TelemetrySample> out = new ArrayList<>();
            for (int j = 0; j < SIGNALS; j++) {
                double v = 20 + j + (j % 2 == 0 ? f1 : -f1) + (j < 3 ? f2 : 0.5 * f2) + 0.2 * random.nextGaussian();
                if (j == 3) {
                    v += drift;
                }
                out.add(sample("s" + j, v, tick * TICK + 10 * j, Quality.GOOD));
            }
            tick++;
            return out;
        }
    }

    static TelemetrySample sample(String signal, double value, long millis, Quality quality) {
        Instant t = Instant.ofEpochMilli(millis);
        return new TelemetrySample("pump-1", signal, value, "", quality, t, t, "test");
    }

    static HealthRuleSettings settings(int learnTicks) {
        return new HealthRuleSettings(TICK, learnTicks, 5 * TICK, HealthModelSettings.defaults(), 2, 3, 2, 1.0, 1,
                Severity.WARNING, Quality.GOOD, 3);
    }

    static final class Recorder implements AssetHealth.Listener {
        final List<HealthModel> learnt = new ArrayList<>();

        @Override
        public void learnt(String assetId, HealthModel model, long fitMillis) {
            learnt.add(model);
        }

        @Override
        public void failed(String assetId, String problem, Exception cause) {
            throw new AssertionError(problem, cause);
        }
    }

    static List<Detection> feed(AssetHealth asset, List<TelemetrySample> samples) {
        List<Detection> out = new ArrayList<>();
        for (TelemetrySample s : samples) {
            Detection d = asset.accept(s);
            if (d != null) {
                out.add(d);
            }
        }
        return out;
    }

    @Test
    void learnsFreezesThenRaisesHoldsAndClearsASustainedFault() {
        Pump pump = new Pump(1);
        Recorder recorder = new Recorder();
        AssetHealth asset = new AssetHealth("pump-1", settings(600), null, Runnable::run, recorder);
        for (int t = 0; t < 601; t++) {
            assertThat(feed(asset, pump.next(0))).isEmpty();
        }
        assertThat(recorder.learnt).hasSize(1);
        assertThat(recorder.learnt.get(0).learntRows()).isEqualTo(600);
        assertThat(recorder.learnt.get(0).signals()).containsExactly("s0", "s1", "s2", "s3", "s4", "s5");

        List<Detection> normal = new ArrayList<>();
        for (int t = 0; t < 300; t++) {
            normal.addAll(feed(asset, pump.next(0)));
        }
        assertThat(normal).as("alarms on normal data after the freeze").hasSizeLessThanOrEqualTo(2);

        // s3 slowly drifts up and stays up for 1,000 ticks
        List<Detection> fault = new ArrayList<>();
        for (int t = 0; t < 1000; t++) {
            fault.addAll(feed(asset, pump.next(Math.min(3.0, t * 0.01))));
        }
        List<Detection> raised = fault.stream().filter(d -> d.state() == AlertState.RAISED).toList();
        assertThat(raised).as("raised once, held for the whole fault").hasSize(1);
        assertThat(fault).hasSize(1);
        Detection r = raised.get(0);
        assertThat(r.signal()).isEqualTo("s3");
        assertThat(r.contributions()).hasSize(3);
        assertThat(r.contributions().get(0).signal()).isEqualTo("s3");
        assertThat(r.contributions().get(0).direction()).isEqualTo("up");
        assertThat(r.severity()).isEqualTo(Severity.WARNING);
        assertThat(r.message()).contains("s3").contains("above expected");
        assertThat(asset.status().alarmSince()).isEqualTo(r.activeSince());

        List<Detection> after = new ArrayList<>();
        for (int t = 0; t < 100; t++) {
            after.addAll(feed(asset, pump.next(0)));
        }
        assertThat(after).hasSize(1);
        Detection cleared = after.get(0);
        assertThat(cleared.state()).isEqualTo(AlertState.CLEARED);
        assertThat(cleared.activeSince()).isEqualTo(r.activeSince());
        assertThat(cleared.signal()).isEqualTo("s3");
        assertThat(cleared.message()).startsWith("back to normal after ");
        assertThat(asset.status().alarmSince()).isNull();
    }

    @Test
    void aSignalThatStopsReportingMakesTicksIncompleteAndIsNamed() {
        Pump pump = new Pump(2);
        AssetHealth asset = new AssetHealth("pump-1", settings(300), null, Runnable::run, new Recorder());
        for (int t = 0; t < 320; t++) {
            feed(asset, pump.next(0));
        }
        assertThat(asset.status().phase()).isEqualTo(AssetHealth.Phase.MONITORING);
        long incompleteBefore = asset.ticksIncomplete;
        // s5 stops for 20 ticks (timeout: 5 ticks); the others go on, s3 far off: nothing may be judged on a
        // vector that carries a stale s5
        for (int t = 0; t < 20; t++) {
            List<TelemetrySample> samples = new ArrayList<>(pump.next(0).subList(0, 5));
            feed(asset, samples);
        }
        assertThat(asset.status().staleSignals()).containsExactly("s5");
        assertThat(asset.ticksIncomplete - incompleteBefore).isBetween(14L, 16L);
        for (int t = 0; t < 5; t++) {
            feed(asset, pump.next(0));
        }
        assertThat(asset.status().staleSignals()).isEmpty();
    }

    @Test
    void aBadSampleMakesItsSignalStaleUntilAGoodOne() {
        Pump pump = new Pump(3);
        AssetHealth asset = new AssetHealth("pump-1", settings(300), null, Runnable::run, new Recorder());
        for (int t = 0; t < 305; t++) {
            feed(asset, pump.next(0));
        }
        long incomplete = asset.ticksIncomplete;
        List<TelemetrySample> samples = new ArrayList<>(pump.next(0));
        samples.set(2, sample("s2", Double.NaN, samples.get(2).sourceTime().toEpochMilli(), Quality.BAD));
        feed(asset, samples);
        feed(asset, pump.next(0).subList(0, 1)); // closes the tick with the BAD s2
        assertThat(asset.ticksIncomplete).isEqualTo(incomplete + 1);
        assertThat(asset.status().staleSignals()).containsExactly("s2");
    }

    @Test
    void aSignalAppearingWhileLearningRestartsItAndOneAfterTheFreezeIsIgnored() {
        Pump pump = new Pump(4);
        Recorder recorder = new Recorder();
        AssetHealth asset = new AssetHealth("pump-1", settings(200), null, Runnable::run, recorder);
        for (int t = 0; t < 100; t++) {
            feed(asset, pump.next(0));
        }
        List<TelemetrySample> withNew = new ArrayList<>(pump.next(0));
        withNew.add(sample("s6", 1, withNew.get(0).sourceTime().toEpochMilli() + 1, Quality.GOOD));
        feed(asset, withNew);
        for (int t = 0; t < 250; t++) {
            List<TelemetrySample> samples = new ArrayList<>(pump.next(0));
            samples.add(sample("s6", 1 + 0.1 * Math.sin(t), samples.get(0).sourceTime().toEpochMilli() + 1,
                    Quality.GOOD));
            feed(asset, samples);
        }
        assertThat(asset.learningRestarts).isEqualTo(1);
        assertThat(recorder.learnt).hasSize(1);
        assertThat(recorder.learnt.get(0).signals()).contains("s6").hasSize(7);

        List<TelemetrySample> later = new ArrayList<>(pump.next(0));
        later.add(sample("s7", 5, later.get(0).sourceTime().toEpochMilli() + 2, Quality.GOOD));
        feed(asset, later);
        assertThat(asset.status().ignoredSignals()).containsExactly("s7");
    }

    @Test
    void aStoredModelIsUsedAtOnceAndJudgesAsTheLearntOneDid(@TempDir Path dir) throws Exception {
        Pump pump = new Pump(5);
        Recorder recorder = new Recorder();
        AssetHealth first = new AssetHealth("pump-1", settings(300), null, Runnable::run, recorder);
        for (int t = 0; t < 301; t++) {
            feed(first, pump.next(0));
        }
        ModelStore store = new ModelStore(dir);
        store.save("pump-1", 1, recorder.learnt.get(0), java.util.Map.of("asset", "pump-1"));
        HealthModel stored = store.load("pump-1", 1).orElseThrow().model();
        AssetHealth second = new AssetHealth("pump-1", settings(300), stored, Runnable::run, new Recorder());
        assertThat(second.status().phase()).isEqualTo(AssetHealth.Phase.MONITORING);
        // both see the same fault and raise on the same tick
        Pump a = new Pump(9);
        Pump b = new Pump(9);
        a.tick = pump.tick; // the first asset's clock is already there
        b.tick = pump.tick;
        List<Detection> da = new ArrayList<>();
        List<Detection> db = new ArrayList<>();
        for (int t = 0; t < 400; t++) {
            da.addAll(feed(first, a.next(t > 100 ? 3 : 0)));
            db.addAll(feed(second, b.next(t > 100 ? 3 : 0)));
        }
        assertThat(da).isNotEmpty();
        assertThat(db).extracting(Detection::activeSince).isEqualTo(da.stream().map(Detection::activeSince).toList());
        assertThat(db).extracting(Detection::score).isEqualTo(da.stream().map(Detection::score).toList());
        assertThat(store.load("pump-2", 1)).isEmpty();
        assertThat(store.load("pump-1", 2)).isEmpty();
    }
}

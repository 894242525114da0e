package io.edgegateway.testbed.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;
import io.edgegateway.rules.health.internal.rule.AssetHealth;
import io.edgegateway.rules.health.internal.rule.HealthRuleSettings;

/**
 * The asset health model's part of {@code bench detector}: for an asset of {@code n} signals (synthetic: 5 slow
 * latent factors and sensor noise, seeded), the time to learn 2,000 ticks, then asset-ticks per second on one
 * thread through the rule's own per-asset path ({@link AssetHealth#accept}: one sample per signal, aligned into a
 * vector at each tick's end, judged, alarm held) and through the model alone, and heap per monitored asset.
 */
final class HealthModelBench {

    private static final int LEARN_TICKS = 2000;

    private HealthModelBench() {
    }

    /** Samples of {@code ticks} ticks of an asset with {@code n} signals, one tick a second. */
    static TelemetrySample[][] samples(int n, int ticks, long seed) {
        Random random = new Random(seed);
        double[][] mixing = new double[n][5];
        for (double[] row : mixing) {
            for (int k = 0; k < 5; k++) {
                row[k] = random.nextGaussian();
            }
        }
        String[] names = IntStream.range(0, n).mapToObj(j -> "signal_" + j).toArray(String[]::new);
        double[] latent = new double[5];
        TelemetrySample[][] out = new TelemetrySample[ticks][n];
        for (int t = 0; t < ticks; t++) {
            for (int k = 0; k < 5; k++) {
                latent[k] = 0.9 * latent[k] + 0.44 * random.nextGaussian();
            }
            for (int j = 0; j < n; j++) {
                double v = 50 + j;
                for (int k = 0; k < 5; k++) {
                    v += mixing[j][k] * latent[k];
                }
                Instant time = Instant.ofEpochMilli(1_700_000_000_000L + t * 1000L + j);
                out[t][j] = new TelemetrySample("asset", names[j], v + 0.3 * random.nextGaussian(), "",
                        Quality.GOOD, time, time, "bench");
            }
        }
        return out;
    }

    static Map<String, Object> run(int n, double warmupSeconds, double durationSeconds, int instances)
            throws Exception {
        TelemetrySample[][] ticks = samples(n, LEARN_TICKS + 4000, n);
        List<String> names = new ArrayList<>();
        for (TelemetrySample s : ticks[0]) {
            names.add(s.signal());
        }
        double[][] rows = new double[LEARN_TICKS][n];
        for (int t = 0; t < LEARN_TICKS; t++) {
            for (int j = 0; j < n; j++) {
                rows[t][j] = ticks[t][j].value();
            }
        }
        long t0 = System.nanoTime();
        HealthModel model = HealthModelLearner.learn(names, rows, HealthModelSettings.defaults());
        double learnMillis = (System.nanoTime() - t0) / 1e6;

        HealthRuleSettings settings = new HealthRuleSettings(1000, LEARN_TICKS, 10_000, HealthModelSettings.defaults(),
                2, 3, 2, 1.0, 1, Severity.WARNING, Quality.GOOD, 5);
        AssetHealth.Listener listener = new AssetHealth.Listener() {
            @Override
            public void learnt(String assetId, HealthModel m, long fitMillis) {
            }

            @Override
            public void failed(String assetId, String problem, Exception cause) {
                throw new IllegalStateException(problem, cause);
            }
        };
        // the rule's path: every sample of every signal, the tick closed by the next tick's first sample
        double pathRate = rate(warmupSeconds, durationSeconds, ticks, () -> new AssetHealth("asset", settings, model,
                Runnable::run, listener), n);

        // the model alone
        double[][] vectors = new double[ticks.length - LEARN_TICKS][n];
        for (int t = 0; t < vectors.length; t++) {
            for (int j = 0; j < n; j++) {
                vectors[t][j] = ticks[LEARN_TICKS + t][j].value();
            }
        }
        double modelRate = modelRate(model, vectors, warmupSeconds, durationSeconds);

        // heap held by the assets: measured as what a full GC frees when they are let go (the learning's garbage
        // is gone from both measurements)
        Object[] held = new Object[instances];
        for (int i = 0; i < instances; i++) {
            // each asset learns its own model: a copy per asset, as in the gateway (read back from its own rows)
            HealthModel own = HealthModelLearner.learn(names, rows, HealthModelSettings.defaults());
            AssetHealth asset = new AssetHealth("asset-" + i, settings, own, Runnable::run, listener);
            for (int t = LEARN_TICKS; t < LEARN_TICKS + 50; t++) {
                for (TelemetrySample s : ticks[t]) {
                    asset.accept(s);
                }
            }
            held[i] = asset;
        }
        if (held[instances - 1] == null) {
            throw new IllegalStateException("nothing held");
        }
        long withAssets = DetectorBench.usedAfterGc();
        java.util.Arrays.fill(held, null);
        long bytes = (withAssets - DetectorBench.usedAfterGc()) / instances;

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("signals", n);
        r.put("asset_ticks_per_s", Math.round(pathRate));
        r.put("samples_per_s", Math.round(pathRate * n));
        r.put("model_ticks_per_s", Math.round(modelRate));
        r.put("bytes_per_asset", bytes);
        r.put("learn_ms", Math.round(learnMillis));
        r.put("learn_ticks", LEARN_TICKS);
        Bench.log(String.format(Locale.ROOT, "health model, %d signals: %.0f asset-ticks/s (%.0f samples/s) through"
                + " the rule's path, %.0f ticks/s model alone, %d bytes per asset, learnt %d ticks in %.0f ms", n,
                pathRate, pathRate * n, modelRate, bytes, LEARN_TICKS, learnMillis));
        return r;
    }

    private static double sink;

    private static double rate(double warmupSeconds, double durationSeconds, TelemetrySample[][] ticks,
                               java.util.function.Supplier<AssetHealth> fresh, int n) {
        timed(ticks, fresh, (long) (warmupSeconds * 1e9), new long[1]);
        long[] count = new long[1];
        long elapsed = timed(ticks, fresh, (long) (durationSeconds * 1e9), count);
        return count[0] / (elapsed / 1e9);
    }

    /** Replays the monitored ticks again and again (a fresh asset state each round); returns nanoseconds. */
    private static long timed(TelemetrySample[][] ticks, java.util.function.Supplier<AssetHealth> fresh, long nanos,
                              long[] count) {
        long start = System.nanoTime();
        long elapsed;
        int alarms = 0;
        do {
            AssetHealth asset = fresh.get();
            for (int t = LEARN_TICKS; t < ticks.length; t++) {
                for (TelemetrySample s : ticks[t]) {
                    alarms += asset.accept(s) == null ? 0 : 1;
                }
            }
            count[0] += ticks.length - LEARN_TICKS;
            elapsed = System.nanoTime() - start;
        } while (elapsed < nanos);
        sink += alarms;
        return elapsed;
    }

    private static double modelRate(HealthModel model, double[][] vectors, double warmupSeconds,
                                    double durationSeconds) {
        for (int phase = 0; phase < 2; phase++) {
            long nanos = (long) ((phase == 0 ? warmupSeconds : durationSeconds) * 1e9);
            long start = System.nanoTime();
            long count = 0;
            double acc = 0;
            long elapsed;
            do {
                var monitor = model.newMonitor();
                for (double[] v : vectors) {
                    acc += monitor.update(v);
                }
                count += vectors.length;
                elapsed = System.nanoTime() - start;
            } while (elapsed < nanos);
            sink += acc;
            if (phase == 1) {
                return count / (elapsed / 1e9);
            }
        }
        throw new AssertionError();
    }

}

package io.edgegateway.testbed.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.api.Quality;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.rules.basic.internal.EwmaSettings;
import io.edgegateway.rules.basic.internal.EwmaSignalDetector;
import io.edgegateway.rules.statistical.internal.ConformalScorer;
import io.edgegateway.rules.statistical.internal.ConformalSettings;
import io.edgegateway.testbed.nab.Labels;
import io.edgegateway.testbed.nab.NabRun;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway bench detector}: single-threaded throughput and per-signal memory of the default detector
 * (rules-statistical's conformal scorer) on the concatenated NAB values, and of rules-basic's EWMA detector as the
 * baseline (loaded from its bundle jar, as the gateway would).
 */
@Command(name = "detector", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Throughput of the default anomaly detector, single-threaded: the scorer runs over the concatenated"
                    + " values of the NAB corpus (a fresh scorer per file, as a new signal would) for --duration"
                    + " seconds after --warmup seconds of JIT warm-up; samples/s is the measured phase's count over"
                    + " its time.",
            "Memory per signal: measured, as the heap growth (after GC) from holding --instances scorers that each"
                    + " scored 2,000 samples (so their histories are full), divided by their number; the scorer's"
                    + " own estimate from its array lengths is printed beside it.",
            "Asset health model (rules-health), for assets of --health-signals signals (synthetic, seeded):"
                    + " learning time for 2,000 ticks; asset-ticks/s on one thread through the rule's own per-asset"
                    + " path (every sample of every signal, aligned per tick, judged, alarm held) and through the"
                    + " model alone; heap per monitored asset, each with its own model (200 assets, 50 at 200"
                    + " signals). Beside it, the EWMA rule's samples/s divided by the asset's signals.",
            "Baseline: the same for rules-basic's EWMA z-score detector (EwmaSignalDetector.update on a"
                    + " TelemetrySample), loaded from rules-basic's jar in the distribution or the local Maven"
                    + " repository; skipped when not found.",
            ""})
public final class DetectorBench implements Callable<Integer> {

    @Option(names = "--nab", paramLabel = "DIR", description = "The NAB folder. Default: ${DEFAULT-VALUE}.",
            defaultValue = "../shared/nab")
    private Path nab;

    @Option(names = "--warmup", paramLabel = "S", defaultValue = "2", description = "Warm-up seconds (default 2).")
    private double warmupSeconds;

    @Option(names = "--duration", paramLabel = "S", defaultValue = "5", description = "Measured seconds (default 5).")
    private double durationSeconds;

    @Option(names = "--instances", paramLabel = "N", defaultValue = "2000",
            description = "Scorers held for the memory measurement (default 2000).")
    private int instances;

    @Option(names = "--health-signals", paramLabel = "N,N", split = ",", defaultValue = "20,50,200",
            description = "Asset sizes (signals) for the asset health model's part (default: ${DEFAULT-VALUE}).")
    private int[] healthSignals;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Path nabDir = nab.isAbsolute() || Files.isDirectory(nab) ? nab
                : Path.of(System.getProperty("gateway.dist", ".")).resolve("../../..").resolve(nab).normalize();
        Labels labels = Labels.read(nabDir.resolve("labels/combined_windows.json"));
        List<NabRun.DataFile> files = NabRun.readData(nabDir.resolve("data"), labels);
        int total = files.stream().mapToInt(f -> f.values().length).sum();
        long[] times = new long[total];
        double[] values = new double[total];
        int[] starts = new int[files.size() + 1];
        int k = 0;
        for (int f = 0; f < files.size(); f++) {
            starts[f] = k;
            NabRun.DataFile file = files.get(f);
            for (int i = 0; i < file.values().length; i++) {
                times[k] = file.timestamps()[i].toEpochSecond(java.time.ZoneOffset.UTC) * 1000;
                values[k++] = file.values()[i];
            }
        }
        starts[files.size()] = k;
        Bench.log("NAB: " + files.size() + " files, " + total + " samples");

        ConformalSettings settings = ConformalSettings.defaults();
        Runner conformal = new Runner() {
            ConformalScorer scorer;

            @Override
            public void reset() {
                scorer = new ConformalScorer(settings);
            }

            @Override
            public double step(long t, double v) {
                return scorer.score(t, v);
            }
        };
        double rate = measure(conformal, times, values, starts);
        long estimate = new ConformalScorer(settings).stateBytes();
        long measured = memory(() -> {
            ConformalScorer s = new ConformalScorer(settings);
            for (int i = 0; i < 2000; i++) {
                s.score(60_000L * i, values[i]);
            }
            return s;
        });
        Bench.log(String.format(Locale.ROOT, "conformal: %.0f samples/s, %d bytes/signal measured (%d estimated)",
                rate, measured, estimate));

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("samples", total);
        result.put("conformal_samples_per_s", Math.round(rate));
        result.put("conformal_bytes_per_signal_measured", measured);
        result.put("conformal_bytes_per_signal_estimated", estimate);
        Runner ewma = ewmaRunner();
        double ewmaRate = measure(ewma, times, values, starts);
        long ewmaBytes = memory(() -> {
            ewma.reset();
            for (int i = 0; i < 2000; i++) {
                ewma.step(60_000L * i, values[i]);
            }
            return ewma.state();
        });
        Bench.log(String.format(Locale.ROOT, "ewma (rules-basic): %.0f samples/s, %d bytes/signal", ewmaRate,
                ewmaBytes));
        result.put("ewma_samples_per_s", Math.round(ewmaRate));
        result.put("ewma_bytes_per_signal_measured", ewmaBytes);
        result.put("throughput_ratio_conformal_to_ewma", Bench.round(rate / ewmaRate, 3));
        List<Map<String, Object>> health = new java.util.ArrayList<>();
        for (int n : healthSignals) {
            Map<String, Object> h = HealthModelBench.run(n, warmupSeconds, durationSeconds, n >= 200 ? 50 : 200);
            // the baseline beside it: the EWMA rule's per-sample rate, as asset-ticks of n signals
            h.put("ewma_asset_ticks_per_s_equivalent", Math.round(ewmaRate / n));
            health.add(h);
        }
        result.put("health_model", health);
        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(result));
        } else {
            result.forEach((key, value) -> System.out.println(key + ": " + value));
        }
        return 0;
    }

    /** A detector under test. */
    private interface Runner {
        void reset();

        double step(long t, double v) throws Exception;

        default Object state() {
            return null;
        }
    }

    private double measure(Runner runner, long[] times, double[] values, int[] starts) throws Exception {
        run(runner, times, values, starts, (long) (warmupSeconds * 1e9));
        long[] count = new long[1];
        long elapsed = run(runner, times, values, starts, (long) (durationSeconds * 1e9), count);
        return count[0] / (elapsed / 1e9);
    }

    private static double sink;

    private static long run(Runner runner, long[] times, double[] values, int[] starts, long nanos) throws Exception {
        return run(runner, times, values, starts, nanos, new long[1]);
    }

    /** Runs file after file (a fresh detector each) until the time is up; returns the elapsed nanoseconds. */
    private static long run(Runner runner, long[] times, double[] values, int[] starts, long nanos, long[] count)
            throws Exception {
        long start = System.nanoTime();
        long elapsed;
        double acc = 0;
        do {
            for (int f = 0; f + 1 < starts.length; f++) {
                runner.reset();
                for (int i = starts[f]; i < starts[f + 1]; i++) {
                    acc += runner.step(times[i], values[i]);
                }
                count[0] += starts[f + 1] - starts[f];
                if (System.nanoTime() - start >= nanos) {
                    break;
                }
            }
            elapsed = System.nanoTime() - start;
        } while (elapsed < nanos);
        sink += acc;
        return elapsed;
    }

    /** Heap growth per instance from holding {@code instances} objects, after GC. */
    private long memory(Callable<Object> factory) throws Exception {
        Object[] held = new Object[instances];
        long before = usedAfterGc();
        for (int i = 0; i < instances; i++) {
            held[i] = factory.call();
        }
        long after = usedAfterGc();
        long bytes = (after - before) / instances;
        if (held[instances - 1] == null) {
            throw new IllegalStateException("nothing held");
        }
        return bytes;
    }

    /** Heap in use after a full GC (three, a little apart). */
    static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** rules-basic's EwmaSignalDetector as the pipeline calls it: a sample is built per value. */
    private static Runner ewmaRunner() {
        EwmaSettings settings = EwmaSettings.defaults();
        return new Runner() {
            EwmaSignalDetector detector;

            @Override
            public void reset() {
                detector = new EwmaSignalDetector(settings);
            }

            @Override
            public double step(long t, double v) {
                Instant time = Instant.ofEpochMilli(t);
                return detector.update(new TelemetrySample("asset", "signal", v, "", Quality.GOOD, time, time,
                        "bench")) == null ? 0 : 1;
            }

            @Override
            public Object state() {
                return detector;
            }
        };
    }

}

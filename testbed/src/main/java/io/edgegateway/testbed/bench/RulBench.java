package io.edgegateway.testbed.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.edgegateway.llm.internal.rul.DjlEngine;
import io.edgegateway.llm.internal.rul.RulPredictor;
import io.edgegateway.testbed.rul.Cmapss;
import io.edgegateway.testbed.rul.RulCommandSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway bench rul}: time per RUL estimate (batch 1, as the gateway's estimator calls it: windowing,
 * normalisation, DJL forward pass) over real C-MAPSS windows, after warm-up; median and p99.
 */
@Command(name = "rul", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time per remaining-useful-life estimate (Java, DJL/libtorch, batch 1).")
public final class RulBench implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "FILE", description = "C-MAPSS file. Default: ${DEFAULT-VALUE}.",
            defaultValue = "${sys:user.dir}/../shared/cmapss/train_FD001.txt")
    Path data;

    @Option(names = "--estimates", defaultValue = "1000", description = "Measured estimates (default 1000).")
    int estimates;

    @Option(names = "--warmup", defaultValue = "200", description = "Warm-up estimates (default 200).")
    int warmup;

    @Option(names = "--artifact", paramLabel = "KEY", description = "fp32 (default) or int8.")
    String artifact;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        try (RulPredictor p = RulCommandSupport.load(null, artifact)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            List<double[][]> windows = new ArrayList<>();
            for (Cmapss.Unit u : Cmapss.read(data)) {
                double[][] rows = u.select(p.descriptor().features());
                for (int end = 1; end <= rows.length && windows.size() < 5000; end += 7) {
                    windows.add(Arrays.copyOfRange(rows, Math.max(0, end - 30), end));
                }
            }
            for (int i = 0; i < warmup; i++) {
                p.predict(List.<double[][]>of(windows.get(i % windows.size())));
            }
            double[] ms = new double[estimates];
            for (int i = 0; i < estimates; i++) {
                double[][] w = windows.get((i * 31) % windows.size());
                long s = System.nanoTime();
                p.predict(List.<double[][]>of(w));
                ms[i] = (System.nanoTime() - s) / 1e6;
            }
            Arrays.sort(ms);
            double median = ms[ms.length / 2];
            double p99 = ms[(int) Math.min(ms.length - 1, Math.ceil(ms.length * 0.99) - 1)];
            double mean = Arrays.stream(ms).average().orElse(Double.NaN);
            long rss = rssBytes();
            if (json) {
                System.out.printf(Locale.ROOT, "{\"estimates\":%d,\"median_ms\":%.4f,\"p99_ms\":%.4f,\"mean_ms\":%.4f,"
                                + "\"max_ms\":%.4f,\"engine_start_ms\":%d,\"model_load_ms\":%d,\"warmup_ms\":%d,"
                                + "\"load_total_ms\":%.1f,\"rss_bytes\":%d,\"artifact\":\"%s\",\"target_ms\":2}%n",
                        estimates, median, p99, mean, ms[ms.length - 1], DjlEngine.startMillis(), p.loadMillis(),
                        p.warmupMillis(), loadMs, rss, p.descriptor().artifact());
            } else {
                System.out.printf(Locale.ROOT, "%d estimates (%s, batch 1): median %.3f ms, p99 %.3f ms, max %.3f ms "
                                + "(target <= 2 ms); engine start %d ms, model load %d ms, warm-up %d ms; RSS %d MB%n",
                        estimates, p.descriptor().artifact(), median, p99, ms[ms.length - 1], DjlEngine.startMillis(),
                        p.loadMillis(), p.warmupMillis(), rss >> 20);
            }
        }
        return 0;
    }

    private static long rssBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}

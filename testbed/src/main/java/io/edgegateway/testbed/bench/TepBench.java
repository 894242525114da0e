package io.edgegateway.testbed.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;
import io.edgegateway.rules.health.internal.model.ReferencePca;
import io.edgegateway.testbed.tep.TepData;
import io.edgegateway.testbed.tep.TepEvaluation;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway bench tep}: the asset health model and the textbook PCA reference on the Tennessee Eastman
 * process, in one run, same data, same protocol.
 */
@Command(name = "tep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Learns on d00.dat (500 samples of normal operation) and scores every test file by the usual protocol:"
                    + " false-alarm rate (far) on d00_te.dat, fault detection rate (fdr) = share of rows 161-960 of"
                    + " dNN_te.dat in alarm, detection delay = first alarm row after row 160.",
            "health: the gateway's asset health model (rules-health: windowed PCA level statistics, a dynamics"
                    + " statistic and per-signal levels, cross-validated limits) with its default alarm state"
                    + " (raised on 2 of 3 ticks over, cleared after 2 under); the alarm column is the state.",
            "baseline: textbook static PCA, T² (F distribution) and SPE (Jackson-Mudholkar) limits at 99 %,"
                    + " components up to 90 % of the variance, a row in alarm when either is over: no window, no"
                    + " filter.",
            "The health model's settings were chosen on the training files only (d00.dat cross-validated,"
                    + " d01..d21.dat); the test files are the evaluation set.",
            ""})
public final class TepBench implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "../shared/tep",
            description = "The Tennessee Eastman folder (default: ${DEFAULT-VALUE}).")
    private Path data;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        Path dir = data.isAbsolute() || Files.isDirectory(data) ? data
                : Path.of(System.getProperty("gateway.dist", ".")).resolve("../../..").resolve(data).normalize();
        double[][] training = TepData.training(dir);

        long t0 = System.nanoTime();
        HealthModel model = HealthModelLearner.learn(TepData.variableNames(), training, HealthModelSettings.defaults());
        double learnMillis = (System.nanoTime() - t0) / 1e6;
        TepEvaluation.Result health = TepEvaluation.evaluate(dir, TepEvaluation.healthModel(model));

        ReferencePca reference = ReferencePca.fit(training, 0.90, 0.99);
        TepEvaluation.Result baseline = TepEvaluation.evaluate(dir, TepEvaluation.reference(reference));

        int better = 0;
        int atLeast = 0;
        for (int k = 1; k <= 21; k++) {
            if (TepData.UNDETECTABLE.contains(k)) {
                continue;
            }
            double h = health.fault(k).fdr();
            double b = baseline.fault(k).fdr();
            better += h > b ? 1 : 0;
            atLeast += h >= b ? 1 : 0;
        }

        Map<String, Object> out = new LinkedHashMap<>(health.toJson());
        out.put("better_than_baseline_of_18", better);
        out.put("at_least_baseline_of_18", atLeast);
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("signals", model.signals().size());
        modelInfo.put("learnt_rows", model.learntRows());
        modelInfo.put("level_components", model.levelComponents());
        modelInfo.put("statistics", model.statistics());
        modelInfo.put("settings", model.settings().toString());
        modelInfo.put("learn_ms", Math.round(learnMillis));
        modelInfo.put("tuned_on", "d00.dat (5-fold cross-validated false alarms) and d01..d21.dat (training fault"
                + " files); test files dNN_te.dat not used for tuning");
        out.put("model", modelInfo);
        Map<String, Object> base = new LinkedHashMap<>(baseline.toJson());
        base.put("method", "static PCA, T2 and SPE at 99 %, " + reference.pca().retained() + " components (90 %"
                + " variance)");
        out.put("baseline", base);

        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(out));
        } else {
            System.out.printf(Locale.ROOT, "Tennessee Eastman, learnt on %d rows of d00.dat, %d variables%n",
                    training.length, training[0].length);
            System.out.printf(Locale.ROOT, "%-9s %8s %10s %11s %11s %12s%n", "", "far", "far(1-160)", "avg_fdr_18",
                    "avg_fdr_21", "median_delay");
            print("health", health);
            print("baseline", baseline);
            System.out.printf(Locale.ROOT, "%nfault   health fdr (delay)   baseline fdr (delay)%n");
            for (int k = 1; k <= 21; k++) {
                TepEvaluation.FaultResult h = health.fault(k);
                TepEvaluation.FaultResult b = baseline.fault(k);
                System.out.printf(Locale.ROOT, "%5d%s  %6.3f (%4s)         %6.3f (%4s)%n", k,
                        TepData.UNDETECTABLE.contains(k) ? "*" : " ", h.fdr(), delay(h), b.fdr(), delay(b));
            }
            System.out.printf(Locale.ROOT, "* not in the 18-fault average. Health model better than the baseline on"
                    + " %d of 18 faults, at least as good on %d.%n", better, atLeast);
        }
        return 0;
    }

    private static void print(String name, TepEvaluation.Result r) {
        System.out.printf(Locale.ROOT, "%-9s %8.4f %10.4f %11.4f %11.4f %12.1f%n", name, r.far(), r.farFirst160(),
                r.avgFdr18(), r.avgFdr21(), r.medianDelayRows());
    }

    private static String delay(TepEvaluation.FaultResult f) {
        return f.delayRows() < 0 ? "-" : Integer.toString(f.delayRows());
    }
}

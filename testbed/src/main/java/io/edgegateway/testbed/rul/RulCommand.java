package io.edgegateway.testbed.rul;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.edgegateway.llm.internal.rul.RulPredictor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway rul}: the RUL at the last cycle of every unit of a C-MAPSS file, computed by the same Java
 * predictor (windowing, normalisation, DJL) as the gateway's RUL estimator; with {@code --truth}, RMSE and the
 * PHM08 score.
 */
@Command(name = "rul", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict the remaining useful life at the last cycle of each unit of a C-MAPSS file.")
public final class RulCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "C-MAPSS format: unit cycle setting1-3 sensor1-21 per line (e.g. test_FD001.txt).")
    Path input;

    @Option(names = "--truth", paramLabel = "FILE",
            description = "True RUL per unit, one per line, in the units' order (e.g. RUL_FD001.txt).")
    Path truth;

    @Option(names = "--model", paramLabel = "DIR",
            description = "A folder with model.json. Default: the model bundle shipped with the gateway.")
    Path model;

    @Option(names = "--artifact", paramLabel = "KEY", description = "Artifact of model.json (fp32, int8). Default: "
            + "the descriptor's default_artifact.")
    String artifact;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    /** The result, also for tests. */
    public record Result(int units, double rmse, double phm08, List<Prediction> predictions) {
    }

    public record Prediction(int unit, int cycles, double rul, Double truth) {
    }

    @Override
    public Integer call() throws Exception {
        Result r = run(input, truth, model, artifact);
        if (json) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "{\"units\":%d,\"rmse\":%s,\"phm08\":%s,\"predictions\":[", r.units(),
                    num(r.rmse()), num(r.phm08())));
            for (int i = 0; i < r.predictions().size(); i++) {
                Prediction p = r.predictions().get(i);
                sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"unit\":%d,\"cycles\":%d,\"rul\":%.3f,\"truth\":%s}", p.unit(), p.cycles(), p.rul(),
                        p.truth() == null ? "null" : num(p.truth())));
            }
            System.out.println(sb.append("]}"));
        } else {
            for (Prediction p : r.predictions()) {
                System.out.printf(Locale.ROOT, "unit %d: %d cycles, RUL %.1f%s%n", p.unit(), p.cycles(), p.rul(),
                        p.truth() == null ? "" : String.format(Locale.ROOT, " (true %.0f)", p.truth()));
            }
            if (truth != null) {
                System.out.printf(Locale.ROOT, "%d units: RMSE %.2f, PHM08 score %.1f%n", r.units(), r.rmse(),
                        r.phm08());
            }
        }
        return 0;
    }

    public static Result run(Path input, Path truthFile, Path modelDir, String artifact) throws Exception {
        List<Cmapss.Unit> units = Cmapss.read(input);
        List<Double> truths = null;
        if (truthFile != null) {
            truths = new ArrayList<>();
            for (String line : Files.readAllLines(truthFile)) {
                if (!line.isBlank()) {
                    truths.add(Double.parseDouble(line.trim()));
                }
            }
            if (truths.size() != units.size()) {
                throw new IllegalArgumentException(truthFile + " has " + truths.size() + " values for " + units.size()
                        + " units");
            }
        }
        try (RulPredictor p = RulCommandSupport.load(modelDir, artifact)) {
            List<double[][]> histories = new ArrayList<>();
            for (Cmapss.Unit u : units) {
                histories.add(u.select(p.descriptor().features()));
            }
            float[] rul = p.predict(histories);
            List<Prediction> out = new ArrayList<>();
            double se = 0;
            double phm = 0;
            for (int i = 0; i < units.size(); i++) {
                Double t = truths == null ? null : truths.get(i);
                out.add(new Prediction(units.get(i).unit(), units.get(i).rows().size(), rul[i], t));
                if (t != null) {
                    se += (rul[i] - t) * (rul[i] - t);
                    phm += Cmapss.phm08(rul[i], t);
                }
            }
            double rmse = truths == null ? Double.NaN : Math.sqrt(se / units.size());
            return new Result(units.size(), rmse, truths == null ? Double.NaN : phm, out);
        }
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "null";
    }
}

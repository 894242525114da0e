package io.edgegateway.testbed.nab;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./gateway nab-score}: scores a detector's results on the Numenta Anomaly Benchmark with {@link Scorer}.
 */
@Command(name = "nab-score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Scores one detector's results on the Numenta Anomaly Benchmark (NAB): raw and normalised score per"
                    + " profile, normalised = 100 * (raw - raw_null) / (raw_perfect - raw_null).",
            "",
            "Results: --results is the detector's folder, results/<detector>/<category>/<detector>_<name>.csv"
                    + " (columns timestamp and anomaly_score at least, one row per data record); the detector's"
                    + " name is the folder's name unless --detector says otherwise. Or --results is the folder of"
                    + " detector folders and --detector NAME picks one.",
            "Thresholds: by default each profile's threshold is swept over all anomaly scores to maximise its raw"
                    + " score. --thresholds-file takes the detector's published thresholds; --threshold"
                    + " PROFILE=X fixes one (and wins over the file); profiles left without one are swept.",
            ""},
        footerHeading = "%nExamples (NAB = the NAB folder: data/, labels/, config/, results/):%n",
        footer = {
            "  ./gateway nab-score --results $NAB/results/numenta \\",
            "      --labels $NAB/labels/combined_windows.json",
            "  ./gateway nab-score --results $NAB/results --detector numenta --json \\",
            "      --labels $NAB/labels/combined_windows.json \\",
            "      --thresholds-file $NAB/config/thresholds.json",
            "  ./gateway nab-score --results out/mydetector \\",
            "      --labels $NAB/labels/combined_windows.json \\",
            "      --threshold standard=0.5 --threshold reward_low_FP_rate=0.6"},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:scored", "1:an input is missing, malformed or does not match its data file",
            "2:invalid options"})
public final class NabScoreCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--results", required = true, paramLabel = "DIR",
            description = "The detector's results folder, or (with --detector) a folder of detector folders.")
    private Path results;

    @Option(names = "--detector", paramLabel = "NAME",
            description = "The detector: the sub-folder of --results when there is one of that name, and the"
                    + " prefix of its file names. Default: the name of the --results folder.")
    private String detector;

    @Option(names = "--labels", required = true, paramLabel = "FILE",
            description = "The windows, e.g. nab/labels/combined_windows.json.")
    private Path labels;

    @Option(names = "--data", paramLabel = "DIR",
            description = "The data files, checked against the results (same records). Default: <labels dir>/../data.")
    private Path data;

    @Option(names = "--profiles", paramLabel = "FILE",
            description = "The profiles' cost matrices. Default: <labels dir>/../config/profiles.json.")
    private Path profiles;

    @Option(names = "--threshold", paramLabel = "PROFILE=X",
            description = "Score that profile at threshold X (anomaly score >= X is a detection); repeatable.")
    private Map<String, Double> thresholds = new LinkedHashMap<>();

    @Option(names = "--thresholds-file", paramLabel = "FILE",
            description = "Take the detector's thresholds from this file, {detector: {profile: {threshold}}}, e.g."
                    + " nab/config/thresholds.json.")
    private Path thresholdsFile;

    @Option(names = "--json", description = "Print one JSON object: {<profile>: normalised score (2 decimals), ...,"
            + " \"thresholds\": {<profile>: threshold}, \"raw\": {<profile>: raw score}}.")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Path labelsDir = labels.toAbsolutePath().getParent();
            Path profilesFile = profiles != null ? profiles : labelsDir.resolveSibling("config").resolve("profiles.json");
            Path dataDir = data != null ? data : labelsDir.resolveSibling("data");
            if (!Files.isDirectory(dataDir)) {
                throw new NabException("data folder " + dataDir + " does not exist (give it with --data DIR)");
            }

            Path detectorDir = results;
            String name = detector;
            if (name != null && Files.isDirectory(results.resolve(name))) {
                detectorDir = results.resolve(name);
            } else if (name == null) {
                Path fileName = results.toAbsolutePath().normalize().getFileName();
                if (fileName == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--results " + results + " has no name to take the detector's from: give --detector");
                }
                name = fileName.toString();
            }

            Map<String, Profile> profileMap = NabFiles.readProfiles(profilesFile);
            Map<String, Double> fixed = new LinkedHashMap<>();
            if (thresholdsFile != null) {
                NabFiles.readThresholds(thresholdsFile, name).forEach((profile, threshold) -> {
                    if (profileMap.containsKey(profile)) {
                        fixed.put(profile, threshold);
                    }
                });
            }
            for (Map.Entry<String, Double> entry : thresholds.entrySet()) {
                if (!profileMap.containsKey(entry.getKey())) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--threshold: no profile '"
                            + entry.getKey() + "' in " + profilesFile + " (it has " + profileMap.keySet() + ")");
                }
                fixed.put(entry.getKey(), entry.getValue());
            }

            Labels windows = Labels.read(labels);
            List<SeriesFile> series = NabFiles.readResults(detectorDir, name, windows, dataDir);
            Scorer scorer = new Scorer(windows, series);

            Map<String, Scorer.Score> scores = new LinkedHashMap<>();
            for (Profile profile : profileMap.values()) {
                Double threshold = fixed.get(profile.name());
                scores.put(profile.name(), threshold != null ? scorer.scoreAt(profile, threshold) : scorer.sweep(profile));
            }
            checkNullScores(detectorDir, profileMap, scorer, err);

            if (json) {
                out.println(toJson(scores));
            } else {
                printTable(out, name, detectorDir, scorer, scores, fixed);
            }
            out.flush();
            return 0;
        } catch (NabException e) {
            err.println("nab-score: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    /** Warns when the scorer's own raw_null differs from the published null detector's score, if it is there. */
    private static void checkNullScores(Path detectorDir, Map<String, Profile> profiles, Scorer scorer,
                                        PrintWriter err) {
        Path parent = detectorDir.toAbsolutePath().normalize().getParent();
        if (parent == null) {
            return;
        }
        for (Profile profile : profiles.values()) {
            Path published = parent.resolve("null").resolve("null_" + profile.name() + "_scores.csv");
            if (Files.isRegularFile(published)) {
                double expected = NabFiles.readPublishedRaw(published);
                if (Math.abs(expected - scorer.nullRaw(profile)) > 1e-6) {
                    err.printf(Locale.ROOT, "nab-score: warning: raw_null for %s is %.4f but %s says %.4f%n",
                            profile.name(), scorer.nullRaw(profile), published, expected);
                }
            }
        }
    }

    static String toJson(Map<String, Scorer.Score> scores) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ObjectNode thresholdNode = mapper.createObjectNode();
        ObjectNode rawNode = mapper.createObjectNode();
        scores.forEach((profile, score) -> {
            root.put(profile, BigDecimal.valueOf(score.normalised()).setScale(2, RoundingMode.HALF_UP));
            thresholdNode.put(profile, score.threshold());
            rawNode.put(profile, score.raw());
        });
        root.set("thresholds", thresholdNode);
        root.set("raw", rawNode);
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void printTable(PrintWriter out, String name, Path detectorDir, Scorer scorer,
                                   Map<String, Scorer.Score> scores, Map<String, Double> fixed) {
        out.printf(Locale.ROOT, "NAB scores of %s (%s): %d files, %d scored records, %d windows%n", name,
                detectorDir, scorer.files(), scorer.scoredRecords(), scorer.totalWindows());
        out.printf(Locale.ROOT, "%-20s %9s %-7s %10s %10s %10s %8s %6s%n", "profile", "threshold", "", "raw",
                "normalised", "raw_null", "windows", "FP");
        scores.forEach((profile, score) -> out.printf(Locale.ROOT, "%-20s %9.6f %-7s %10.3f %10.2f %10.3f %8s %6d%n",
                profile, score.threshold(), fixed.containsKey(profile) ? "given" : "swept", score.raw(),
                score.normalised(), scorer.nullRaw(score.profile()),
                score.detectedWindows() + "/" + score.windows(), score.falsePositives()));
    }
}

package io.edgegateway.testbed.nab;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./gateway nab}: runs the gateway's streaming detector over the NAB corpus with its default settings, writes
 * the results in NAB's layout and scores them with {@link Scorer} (threshold sweep per profile).
 */
@Command(name = "nab", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs a streaming detector of the gateway over every file of the Numenta Anomaly Benchmark (NAB), one"
                    + " fresh detector per file, with the same default settings the live rule uses (one"
                    + " configuration for the whole corpus, no labels at run time); writes"
                    + " <out>/<detector>/<category>/<detector>_<name>.csv (timestamp,value,anomaly_score,label) and"
                    + " prints the normalised scores of the three profiles (thresholds swept, as nab-score does).",
            "Detectors: conformal (rules-statistical: conformal p-values of spike, level, drift, volatility, step and"
                    + " time-of-day features, Bonferroni-combined, once per excursion).",
            "The default settings and alert threshold were tuned on this whole corpus (standard profile), so their"
                    + " scores here are in-sample. --held-out is an out-of-sample check: it splits the files, sorted by"
                    + " their path relative to --data, into those at even and odd indices, tunes the settings and"
                    + " threshold on one half using only that half's labels, scores the other half, and the reverse.",
            ""},
        footerHeading = "%nExample:%n",
        footer = {"  ./gateway nab --data $NAB/data --labels $NAB/labels/combined_windows.json --out out/nab",
            "  ./gateway nab --data $NAB/data --labels $NAB/labels/combined_windows.json --held-out --json"},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:scored", "1:an input is missing or malformed, or an output cannot be written",
            "2:invalid options"})
public final class NabRunCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "The NAB data folder (data/).")
    private Path data;

    @Option(names = "--labels", required = true, paramLabel = "FILE",
            description = "The windows, e.g. nab/labels/combined_windows.json.")
    private Path labels;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where to write the results: <out>/<detector>/... Required unless --held-out.")
    private Path out;

    @Option(names = "--detector", paramLabel = "NAME", defaultValue = "conformal",
            description = "The detector (default: ${DEFAULT-VALUE}).")
    private String detector;

    @Option(names = "--profiles", paramLabel = "FILE",
            description = "The profiles' cost matrices. Default: <labels dir>/../config/profiles.json.")
    private Path profiles;

    @Option(names = "--held-out", description = "Instead of scoring the defaults: a held-out check. The files,"
            + " sorted by relative path, are split into even and odd indices; on one half the settings are chosen"
            + " from a grid around the defaults (fast.alpha, history, refractory, tail.scale: each the default, half"
            + " and twice it, 81 settings) and the threshold is swept, standard profile, seeing that half's labels"
            + " only; the other half is scored with them; then the reverse. Prints both directions beside the"
            + " defaults' (in-sample) scores on each half. Writes no results; takes about a minute.")
    private boolean heldOut;

    @Option(names = "--json", description = "Print one JSON object, as nab-score --json does: {<profile>: normalised"
            + " score, ..., \"thresholds\": {...}, \"raw\": {...}}; with --held-out, one object with \"directions\""
            + " (settings, threshold, tuningHalf, heldOutHalf, defaultsInSample) and \"defaultsInSample\".")
    private boolean json;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!NabRun.DETECTORS.contains(detector)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--detector: unknown detector '" + detector
                    + "' (known: " + NabRun.DETECTORS + ")");
        }
        if (out == null && !heldOut) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out is required (unless --held-out)");
        }
        try {
            Path profilesFile = profiles != null ? profiles
                    : labels.toAbsolutePath().getParent().resolveSibling("config").resolve("profiles.json");
            Map<String, Profile> profileMap = NabFiles.readProfiles(profilesFile);
            Labels windows = Labels.read(labels);
            if (!Files.isDirectory(data)) {
                throw new NabException("data folder " + data + " does not exist");
            }
            List<NabRun.DataFile> files = NabRun.readData(data, windows);
            if (heldOut) {
                return heldOutCheck(files, windows, profileMap, stdout, err);
            }
            ConformalSettings settings = ConformalSettings.defaults();
            long start = System.nanoTime();
            List<SeriesFile> results = NabRun.run(files, settings);
            double seconds = (System.nanoTime() - start) / 1e9;
            Path detectorDir = out.resolve(detector);
            for (int i = 0; i < files.size(); i++) {
                NabRun.write(detectorDir, detector, files.get(i), results.get(i), windows);
            }
            Scorer scorer = new Scorer(windows, results);
            Map<String, Scorer.Score> scores = new LinkedHashMap<>();
            for (Profile profile : profileMap.values()) {
                scores.put(profile.name(), scorer.sweep(profile));
            }
            if (json) {
                stdout.println(NabScoreCommand.toJson(scores));
            } else {
                long records = files.stream().mapToLong(f -> f.values().length).sum();
                stdout.printf(Locale.ROOT, "%s over %d files (%d records, %.2f s), results in %s%n", detector,
                        files.size(), records, seconds, detectorDir);
                stdout.printf(Locale.ROOT, "%-20s %10s %10s %10s %8s %6s%n", "profile", "threshold", "raw",
                        "normalised", "windows", "FP");
                scores.forEach((name, score) -> stdout.printf(Locale.ROOT, "%-20s %10.6f %10.3f %10.2f %8s %6d%n",
                        name, score.threshold(), score.raw(), score.normalised(),
                        score.detectedWindows() + "/" + score.windows(), score.falsePositives()));
            }
            stdout.flush();
            return 0;
        } catch (NabException e) {
            err.println("nab: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private int heldOutCheck(List<NabRun.DataFile> files, Labels windows, Map<String, Profile> profileMap,
                             PrintWriter stdout, PrintWriter err) {
        Profile standard = profileMap.get(Profile.STANDARD.name());
        if (standard == null) {
            throw new NabException("no profile 'standard' in the profiles file (it has " + profileMap.keySet() + ")");
        }
        long start = System.nanoTime();
        SplitTuning.Result result = SplitTuning.run(files, windows, SettingsGrid.aroundDefaults(),
                ConformalSettings.defaults(), standard, message -> {
                    err.println("nab: " + message);
                    err.flush();
                });
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            stdout.println(SplitTuningReport.json(detector, result, seconds));
        } else {
            SplitTuningReport.printTable(stdout, detector, result, seconds);
        }
        stdout.flush();
        return 0;
    }
}

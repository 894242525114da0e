package io.edgegateway.testbed.nab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;

/**
 * The held-out check of {@code ./gateway nab --held-out}: the even/odd split, and tuning on one half (its labels
 * only) then scoring the other, on a small synthetic corpus (noisy daily signals with one spike each).
 */
class SplitTuningTest {

    private static final LocalDateTime START = LocalDateTime.of(2020, 1, 1, 0, 0);
    private static final int RECORDS = 1200;
    /** Four candidates: enough for the tuning to have a choice, few enough to run in a second. */
    private static final SettingsGrid SMALL_GRID = new SettingsGrid(List.of(0.1, 0.3), List.of(300),
            List.of(100, 20), List.of(0.1));

    @TempDir
    Path dir;

    /** Eight files in two categories, each with one spike at a different place. */
    private static List<NabRun.DataFile> corpus() {
        List<NabRun.DataFile> files = new ArrayList<>();
        for (int f = 0; f < 8; f++) {
            Random random = new Random(17 + f);
            LocalDateTime[] ts = new LocalDateTime[RECORDS];
            double[] values = new double[RECORDS];
            for (int i = 0; i < RECORDS; i++) {
                ts[i] = START.plusMinutes(5L * i);
                values[i] = 10 + 2 * Math.sin(2 * Math.PI * i / 288.0) + random.nextGaussian();
            }
            int spike = spikeAt(f);
            values[spike] += 6 + f;
            files.add(new NabRun.DataFile((f % 2 == 0 ? "cat" : "dog") + "/series_" + f + ".csv", ts, values));
        }
        return files;
    }

    private static int spikeAt(int file) {
        return 500 + 70 * file;
    }

    /**
     * A window of 41 records around each file's spike; for the files in {@code relabelled}, two windows away from the
     * spike instead (other places, and more windows: both the raw and the normalised score would notice them).
     */
    private static Labels labels(List<NabRun.DataFile> files, Set<String> relabelled) {
        Map<String, List<Window>> windows = new LinkedHashMap<>();
        for (int f = 0; f < files.size(); f++) {
            String key = files.get(f).key();
            windows.put(key, relabelled.contains(key) ? List.of(window(250), window(350)) : List.of(window(spikeAt(f))));
        }
        return new Labels(windows);
    }

    private static Window window(int centre) {
        return new Window(START.plusMinutes(5L * (centre - 20)), START.plusMinutes(5L * (centre + 20)));
    }

    @Test
    void theHalvesAlternateInPathOrderAreDisjointAndCoverTheCorpus() {
        CorpusSplit split = CorpusSplit.evenOdd(List.of("b/x.csv", "a/z.csv", "a/y.csv", "c/w.csv", "a/x.csv"));

        assertThat(split.even()).containsExactly("a/x.csv", "a/z.csv", "c/w.csv");
        assertThat(split.odd()).containsExactly("a/y.csv", "b/x.csv");
        assertThat(split.directions()).extracting(CorpusSplit.Half::tuningName).containsExactly("even", "odd");
        assertThat(split.directions().get(1).tuning()).isEqualTo(split.odd());
        assertThat(split.directions().get(1).heldOut()).isEqualTo(split.even());
    }

    @Test
    void theNabCorpusSplitsIntoTwoDisjointHalvesOf29() {
        List<String> files = NabTestCorpus.labels().files();

        CorpusSplit split = CorpusSplit.evenOdd(files);

        assertThat(split.even()).hasSize(29).doesNotContainAnyElementsOf(split.odd());
        assertThat(split.odd()).hasSize(29);
        Set<String> union = new HashSet<>(split.even());
        union.addAll(split.odd());
        assertThat(union).containsExactlyInAnyOrderElementsOf(files);
        assertThat(split.even()).isSorted();
        assertThat(split.even().get(0).compareTo(split.odd().get(0))).isNegative();
    }

    @Test
    void tuningRefusesLabelsOfFilesItDoesNotTuneOn() {
        List<NabRun.DataFile> files = corpus();
        Labels all = labels(files, Set.of());
        List<NabRun.DataFile> half = files.subList(0, 4);

        assertThatThrownBy(() -> HalfTuner.tune(half, all, SMALL_GRID.settings(ConformalSettings.defaults()),
                Profile.STANDARD)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
        assertThatThrownBy(() -> all.only(List.of("cat/none.csv"))).isInstanceOf(NabException.class);
    }

    @Test
    void tuningSeesTheTuningHalfOnlyAndTheHeldOutHalfIsScoredWithItsChoice() {
        List<NabRun.DataFile> files = corpus();
        Labels labels = labels(files, Set.of());

        SplitTuning.Result result = SplitTuning.run(files, labels, SMALL_GRID, ConformalSettings.defaults(),
                Profile.STANDARD, message -> { });

        assertThat(result.directions()).hasSize(2);
        for (SplitTuning.Direction d : result.directions()) {
            List<String> tuning = d.half().tuning();
            List<String> heldOut = d.half().heldOut();
            assertThat(tuning).hasSize(4).doesNotContainAnyElementsOf(heldOut);
            assertThat(d.tuned().score().files()).extracting(Scorer.FileScore::file)
                    .containsExactlyInAnyOrderElementsOf(tuning);
            assertThat(d.heldOut().files()).extracting(Scorer.FileScore::file)
                    .containsExactlyInAnyOrderElementsOf(heldOut);
            assertThat(d.tuned().score().windows()).isEqualTo(4);

            // the choice is the best candidate on the tuning half, the first of equals
            List<NabRun.DataFile> tuningFiles = files.stream().filter(f -> tuning.contains(f.key())).toList();
            double bestRaw = Double.NEGATIVE_INFINITY;
            ConformalSettings best = null;
            for (ConformalSettings candidate : SMALL_GRID.settings(ConformalSettings.defaults())) {
                double raw = new Scorer(labels.only(tuning), NabRun.run(tuningFiles, candidate))
                        .sweep(Profile.STANDARD).raw();
                if (raw > bestRaw) {
                    bestRaw = raw;
                    best = candidate;
                }
            }
            assertThat(d.tuned().settings()).isEqualTo(best);
            assertThat(d.tuned().score().raw()).isEqualTo(bestRaw);
            // the held-out half is scored at the tuned threshold, not one swept on it
            assertThat(d.heldOut().threshold()).isEqualTo(d.tuned().threshold());
            // the spikes are plain: the tuned detector finds some in the half it never saw
            assertThat(d.heldOut().detectedWindows()).isPositive();
            assertThat(d.defaultsOnHeldOut().threshold()).isEqualTo(ConformalSettings.DEFAULT_ALERT_THRESHOLD);
        }
        assertThat(result.defaultsOnCorpus().windows()).isEqualTo(8);
    }

    @Test
    void relabellingTheHeldOutHalfChangesItsScoreButNothingTuningChoseOrReported() {
        List<NabRun.DataFile> files = corpus();
        CorpusSplit split = CorpusSplit.evenOdd(files.stream().map(NabRun.DataFile::key).toList());
        Labels labels = labels(files, Set.of());
        Labels oddRelabelled = labels(files, new HashSet<>(split.odd()));

        SplitTuning.Direction original = SplitTuning.run(files, labels, SMALL_GRID, ConformalSettings.defaults(),
                Profile.STANDARD, message -> { }).directions().get(0);
        SplitTuning.Direction moved = SplitTuning.run(files, oddRelabelled, SMALL_GRID, ConformalSettings.defaults(),
                Profile.STANDARD, message -> { }).directions().get(0);

        assertThat(original.half().heldOutName()).isEqualTo("odd");
        // settings, threshold, raw and normalised score, per-file scores: all the same
        assertThat(moved.tuned()).isEqualTo(original.tuned());
        assertThat(moved.heldOut().raw()).isLessThan(original.heldOut().raw());
        assertThat(moved.heldOut().detectedWindows()).isLessThan(original.heldOut().detectedWindows());
    }

    @Test
    void theCommandPrintsBothDirectionsAsOneJsonObject() throws IOException {
        writeCorpus(corpus());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new NabRunCommand());
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));

        int code = command.execute("--data", dir.resolve("data").toString(), "--labels",
                dir.resolve("labels/combined_windows.json").toString(), "--held-out", "--json");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString().strip()).doesNotContain("\n");
        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get("profile").asText()).isEqualTo("standard");
        assertThat(json.get("grid").get("size").asInt()).isEqualTo(SettingsGrid.aroundDefaults().size());
        assertThat(json.get("directions")).hasSize(2);
        JsonNode first = json.get("directions").get(0);
        assertThat(first.get("tunedOn").asText()).isEqualTo("even");
        assertThat(first.get("scoredOn").asText()).isEqualTo("odd");
        assertThat(first.get("settings").get("history").isInt()).isTrue();
        assertThat(first.get("heldOutHalf").isNumber()).isTrue();
        assertThat(first.get("defaultsInSample").get("heldOutHalf").isNumber()).isTrue();
        assertThat(json.get("defaultsInSample").get("threshold").asDouble())
                .isEqualTo(ConformalSettings.DEFAULT_ALERT_THRESHOLD);
        assertThat(Files.exists(dir.resolve("out"))).isFalse();
    }

    @Test
    void withoutHeldOutTheOutFolderIsRequired() throws IOException {
        writeCorpus(corpus());
        CommandLine command = new CommandLine(new NabRunCommand());
        command.setOut(new PrintWriter(new StringWriter()));
        command.setErr(new PrintWriter(new StringWriter()));

        assertThat(command.execute("--data", dir.resolve("data").toString(), "--labels",
                dir.resolve("labels/combined_windows.json").toString())).isEqualTo(2);
    }

    private void writeCorpus(List<NabRun.DataFile> files) throws IOException {
        StringBuilder labels = new StringBuilder("{");
        for (int f = 0; f < files.size(); f++) {
            NabRun.DataFile file = files.get(f);
            StringBuilder csv = new StringBuilder("timestamp,value\n");
            for (int i = 0; i < file.values().length; i++) {
                csv.append(NabRun.format(file.timestamps()[i])).append(',').append(file.values()[i]).append('\n');
            }
            Path path = dir.resolve("data").resolve(file.key());
            Files.createDirectories(path.getParent());
            Files.writeString(path, csv);
            labels.append(f == 0 ? "" : ", ").append('"').append(file.key()).append("\": [[\"")
                    .append(NabRun.format(START.plusMinutes(5L * (spikeAt(f) - 20)))).append("\", \"")
                    .append(NabRun.format(START.plusMinutes(5L * (spikeAt(f) + 20)))).append("\"]]");
        }
        Files.createDirectories(dir.resolve("labels"));
        Files.writeString(dir.resolve("labels/combined_windows.json"), labels.append('}'));
        Files.createDirectories(dir.resolve("config"));
        Files.writeString(dir.resolve("config/profiles.json"), "{\"standard\": {\"CostMatrix\": {\"tpWeight\": 1.0,"
                + " \"fnWeight\": 1.0, \"fpWeight\": 0.11, \"tnWeight\": 1.0}}}");
    }
}

package io.edgegateway.testbed.nab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading labels, profiles and result files, and the checks on them. */
class NabFilesTest {

    @TempDir
    Path dir;

    private Path write(String relative, String content) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    private Labels oneFileLabels() throws IOException {
        return Labels.read(write("labels/w.json",
                "{\"cat/a.csv\": [[\"2020-01-01 00:02:00.000000\", \"2020-01-01 00:03:00.000000\"]]}"));
    }

    @Test
    void timestampsWithAndWithoutFractions() {
        assertThat(Timestamps.parse("2014-04-10 07:15:00")).isEqualTo(LocalDateTime.of(2014, 4, 10, 7, 15));
        assertThat(Timestamps.parse("2014-04-10 07:15:00.000000")).isEqualTo(LocalDateTime.of(2014, 4, 10, 7, 15));
        assertThat(Timestamps.parse("2014-04-10 07:15:00.5")).isEqualTo(LocalDateTime.of(2014, 4, 10, 7, 15, 0,
                500_000_000));
        assertThatThrownBy(() -> Timestamps.parse("10/04/2014 07:15")).isInstanceOf(NabException.class)
                .hasMessageContaining("10/04/2014 07:15");
        assertThatThrownBy(() -> Timestamps.parse("2014-13-10 07:15:00")).isInstanceOf(NabException.class);
    }

    @Test
    void labelsAreReadInTimeOrder() throws IOException {
        Labels labels = Labels.read(write("w.json", "{\"c/a.csv\": [[\"2020-01-02 00:00:00\", \"2020-01-02 01:00:00\"],"
                + " [\"2020-01-01 00:00:00\", \"2020-01-01 01:00:00\"]], \"c/b.csv\": []}"));

        assertThat(labels.files()).containsExactly("c/a.csv", "c/b.csv");
        assertThat(labels.windows("c/a.csv")).extracting(Window::start)
                .containsExactly(LocalDateTime.of(2020, 1, 1, 0, 0), LocalDateTime.of(2020, 1, 2, 0, 0));
        assertThat(labels.windows("c/b.csv")).isEmpty();
        assertThat(labels.totalWindows()).isEqualTo(2);
    }

    @Test
    void overlappingWindowsAreRejected() throws IOException {
        Path file = write("w.json", "{\"c/a.csv\": [[\"2020-01-01 00:00:00\", \"2020-01-01 01:00:00\"],"
                + " [\"2020-01-01 00:30:00\", \"2020-01-01 02:00:00\"]]}");

        assertThatThrownBy(() -> Labels.read(file)).isInstanceOf(NabException.class).hasMessageContaining("overlapping");
    }

    @Test
    void aResultFileIsReadByItsColumnNames() throws IOException {
        write("data/cat/a.csv", "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:01:00,2\n"
                + "2020-01-01 00:02:00,3\n2020-01-01 00:03:00,4\n");
        write("results/det/cat/det_a.csv", "anomaly_score,timestamp\n0.1,2020-01-01 00:00:00\n"
                + "0.2,2020-01-01 00:01:00\n0.9,2020-01-01 00:02:00\n0.3,2020-01-01 00:03:00\n\n");

        List<SeriesFile> results = NabFiles.readResults(dir.resolve("results/det"), "det", oneFileLabels(),
                dir.resolve("data"));

        assertThat(results).hasSize(1);
        assertThat(results.get(0).key()).isEqualTo("cat/a.csv");
        assertThat(results.get(0).scores()).containsExactly(0.1, 0.2, 0.9, 0.3);
        assertThat(results.get(0).timestamps()[2]).isEqualTo(LocalDateTime.of(2020, 1, 1, 0, 2));
    }

    @Test
    void aResultFileWithOtherRowsThanItsDataFileIsRejected() throws IOException {
        write("data/cat/a.csv", "timestamp,value\n2020-01-01 00:00:00,1\n2020-01-01 00:01:00,2\n"
                + "2020-01-01 00:02:00,3\n");
        write("results/det/cat/det_a.csv", "timestamp,value,anomaly_score\n2020-01-01 00:00:00,1,0.1\n"
                + "2020-01-01 00:01:00,2,0.2\n");

        assertThatThrownBy(() -> NabFiles.readResults(dir.resolve("results/det"), "det", oneFileLabels(),
                dir.resolve("data")))
                .isInstanceOf(NabException.class)
                .hasMessageContaining("det_a.csv has 2 records but its data file")
                .hasMessageContaining("has 3");
    }

    @Test
    void aMissingResultFileIsNamedAndAFolderOfDetectorsIsRecognised() throws IOException {
        write("results/det/cat/det_a.csv", "timestamp,anomaly_score\n2020-01-01 00:00:00,0.1\n");

        assertThatThrownBy(() -> NabFiles.readResults(dir.resolve("results"), "results", oneFileLabels(), null))
                .isInstanceOf(NabException.class)
                .hasMessageContaining("results_a.csv")
                .hasMessageContaining("[det]").hasMessageContaining("--detector");
    }

    @Test
    void aResultFileWithoutAnAnomalyScoreColumnIsRejected() throws IOException {
        write("results/det/cat/det_a.csv", "timestamp,score\n2020-01-01 00:00:00,0.1\n");

        assertThatThrownBy(() -> NabFiles.readResults(dir.resolve("results/det"), "det", oneFileLabels(), null))
                .isInstanceOf(NabException.class).hasMessageContaining("no column 'anomaly_score'");
    }

    @Test
    void profilesThresholdsAndPublishedScores() throws IOException {
        Path profiles = write("config/profiles.json", "{\"standard\": {\"CostMatrix\": {\"tpWeight\": 1.0,"
                + " \"fnWeight\": 1.0, \"fpWeight\": 0.11, \"tnWeight\": 1.0}}}");
        Path thresholds = write("config/thresholds.json", "{\"det\": {\"standard\": {\"score\": 3.5,"
                + " \"threshold\": 0.25}}}");
        Path scores = write("results/det/det_standard_scores.csv", "Detector,Profile,File,Threshold,Score\n"
                + "det,standard,cat/a.csv,0.25,1.5\nTotals,,,,3.5\n");

        assertThat(NabFiles.readProfiles(profiles)).containsExactly(java.util.Map.entry("standard", Profile.STANDARD));
        assertThat(NabFiles.readThresholds(thresholds, "det")).containsExactly(java.util.Map.entry("standard", 0.25));
        assertThatThrownBy(() -> NabFiles.readThresholds(thresholds, "other")).hasMessageContaining("[det]");
        assertThat(NabFiles.readPublishedRaw(scores)).isEqualTo(3.5);
    }
}

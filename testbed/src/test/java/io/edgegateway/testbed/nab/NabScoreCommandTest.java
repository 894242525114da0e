package io.edgegateway.testbed.nab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Iterator;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;

/** {@code nab-score} on the published numenta results. */
class NabScoreCommandTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new NabScoreCommand());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        int code = commandLine.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void jsonAtThePublishedThresholdsIsOneObjectWithTheScoreboard() throws Exception {
        Run run = run("--results", NabTestCorpus.dir().resolve("results").toString(), "--detector", "numenta",
                "--labels", NabTestCorpus.labelsFile().toString(), "--thresholds-file",
                NabTestCorpus.dir().resolve("config/thresholds.json").toString(),
                "--threshold", "reward_low_FN_rate=0.5421876907348634", "--json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).doesNotContain("\n");
        JsonNode json = new ObjectMapper().readTree(run.out());
        List<String> fields = new java.util.ArrayList<>();
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            fields.add(it.next());
        }
        assertThat(fields).containsExactly("standard", "reward_low_FP_rate", "reward_low_FN_rate", "thresholds",
                "raw");
        assertThat(json.get("standard").isNumber()).isTrue();
        assertThat(json.get("standard").decimalValue()).isEqualByComparingTo("70.10");
        assertThat(json.get("reward_low_FP_rate").decimalValue()).isEqualByComparingTo("63.12");
        assertThat(json.get("reward_low_FN_rate").decimalValue()).isEqualByComparingTo("74.32");
        assertThat(json.get("thresholds").get("reward_low_FP_rate").asDouble()).isEqualTo(0.5751955032348636);
        assertThat(json.get("raw").get("standard").asDouble()).isBetween(46.6344, 46.6345);
    }

    @Test
    void theTableSweepsByDefault() {
        Run run = run("--results", NabTestCorpus.dir().resolve("results/numenta").toString(),
                "--labels", NabTestCorpus.labelsFile().toString(), "--threshold", "standard=0.5421876907348634");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).contains("numenta").contains("58 files");
        assertThat(run.out().lines().filter(line -> line.startsWith("standard")).findFirst().orElseThrow())
                .contains("given").contains("46.634").contains("70.10");
        assertThat(run.out().lines().filter(line -> line.startsWith("reward_low_FP_rate")).findFirst().orElseThrow())
                .contains("swept").contains("63.21");
    }

    @Test
    void anUnknownProfileIsAUsageError() {
        Run run = run("--results", NabTestCorpus.dir().resolve("results/numenta").toString(),
                "--labels", NabTestCorpus.labelsFile().toString(), "--threshold", "nope=0.5");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("no profile 'nope'");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aFolderOfDetectorsWithoutDetectorFailsWithAHint() {
        Run run = run("--results", NabTestCorpus.dir().resolve("results").toString(),
                "--labels", NabTestCorpus.labelsFile().toString(), "--json");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--detector").contains("numenta");
        assertThat(run.out()).isEmpty();
    }
}

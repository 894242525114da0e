package io.edgegateway.testbed.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.Tools;

import picocli.CommandLine;

/** {@code detect --detector asset} and {@code fit} on CSV files: gaps, bad cells and bad options. */
class AssetCsvTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new Tools()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Two correlated signals and a third, one row a second; {@code gaps} leaves b's cell empty on some rows. */
    private Path csv(String name, int rows, boolean gaps) throws Exception {
        Random random = new Random(3);
        List<String> lines = new ArrayList<>();
        lines.add("timestamp;a;b;c");
        for (int i = 0; i < rows; i++) {
            double f = Math.sin(i / 30.0) + 0.1 * random.nextGaussian();
            String b = gaps && i % 7 == 3 ? "" : Double.toString(2 * f + 0.1 * random.nextGaussian());
            lines.add("2026-01-01 00:" + String.format("%02d:%02d", i / 60 % 60, i % 60) + ";" + f + ";" + b + ";"
                    + (5 + random.nextGaussian()));
        }
        Path file = dir.resolve(name);
        Files.write(file, lines);
        return file;
    }

    @Test
    void emptyCellsTakeThePreviousValueAndTheTimeColumnKeepsItsName() throws Exception {
        Path in = csv("gaps.csv", 600, true);
        Path out = dir.resolve("out.csv");
        Run r = run("detect", "--input", in.toString(), "--out", out.toString(), "--detector", "asset",
                "--train-rows", "400");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("600 rows, 3 signal(s), learnt on the first 400");
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(601);
        assertThat(lines.get(0)).isEqualTo("timestamp,anomaly_score,alarm,top_signals");
    }

    @Test
    void aBadCellOrASignalWithoutLearningDataIsNamed() throws Exception {
        Path in = csv("ok.csv", 300, false);
        List<String> lines = new ArrayList<>(Files.readAllLines(in));
        lines.set(10, lines.get(10).replaceFirst(";[^;]*$", ";n/a"));
        Path bad = dir.resolve("bad.csv");
        Files.write(bad, lines);
        Run r = run("detect", "--input", bad.toString(), "--out", dir.resolve("o.csv").toString(), "--detector",
                "asset", "--train-rows", "200");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("bad.csv:11: column 'c': not a number: 'n/a'");

        List<String> late = new ArrayList<>();
        late.add("time,a,b");
        for (int i = 0; i < 300; i++) {
            late.add(i + "," + Math.sin(i / 9.0) + "," + (i < 250 ? "" : "1.0"));
        }
        Path lateFile = dir.resolve("late.csv");
        Files.write(lateFile, late);
        r = run("detect", "--input", lateFile.toString(), "--out", dir.resolve("o.csv").toString(), "--detector",
                "asset", "--train-rows", "200");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("column 'b' has no number in the first 200 rows");

        assertThat(run("detect", "--input", in.toString(), "--out", "x.csv", "--detector", "asset").code())
                .isEqualTo(2);
        assertThat(run("fit", "--input", in.toString(), "--out", dir.toString(), "--asset-type", "Pump 1").code())
                .isEqualTo(2);
    }

    @Test
    void fitWritesAModelBundleWithItsReport() throws Exception {
        Path in = csv("normal.csv", 500, true);
        Run r = run("fit", "--input", in.toString(), "--asset-type", "pump", "--out", dir.resolve("m").toString(),
                "--version", "2.1.0");
        assertThat(r.code()).as(r.err()).isZero();
        Path jar = dir.resolve("m/health-model-pump-2.1.0.jar");
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            assertThat(j.getManifest().getMainAttributes().getValue("Bundle-SymbolicName"))
                    .isEqualTo("io.edgegateway.health-model.pump");
            assertThat(j.getManifest().getMainAttributes().getValue("Gateway-Health-Model-Asset-Type"))
                    .isEqualTo("pump");
            assertThat(new String(j.getInputStream(j.getEntry("health/report.json")).readAllBytes()))
                    .contains("\"rows\" : 500").contains("in_sample_alarm_rate");
            assertThat(j.getEntry("health/model.json")).isNotNull();
        }
    }
}

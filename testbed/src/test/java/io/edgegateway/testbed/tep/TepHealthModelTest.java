package io.edgegateway.testbed.tep;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;
import io.edgegateway.rules.health.internal.model.ReferencePca;
import io.edgegateway.testbed.Tools;

import picocli.CommandLine;

/** The asset health model on real data: the Tennessee Eastman files of the shared folder. */
class TepHealthModelTest {

    static final Path TEP = Path.of(System.getProperty("tep.dir", "../../shared/tep"));

    @Test
    void healthModelMeetsItsTargetsBesideTheTextbookReference() throws Exception {
        double[][] training = TepData.training(TEP);
        HealthModel model = HealthModelLearner.learn(TepData.variableNames(), training, HealthModelSettings.defaults());
        TepEvaluation.Result health = TepEvaluation.evaluate(TEP, TepEvaluation.healthModel(model));
        ReferencePca reference = ReferencePca.fit(training, 0.90, 0.99);
        TepEvaluation.Result baseline = TepEvaluation.evaluate(TEP, TepEvaluation.reference(reference));

        // the targets: avg FDR over the 18 detectable faults >= 0.85 at a false-alarm rate <= 5 %
        assertThat(health.far()).isLessThanOrEqualTo(0.05);
        assertThat(health.avgFdr18()).isGreaterThanOrEqualTo(0.85);
        // the textbook reference, same data: more false alarms, and fault 5 (compensated by control) mostly missed
        assertThat(baseline.far()).isGreaterThan(health.far());
        assertThat(health.fault(5).fdr()).isGreaterThan(0.95);
        assertThat(baseline.fault(5).fdr()).isLessThan(0.6);
    }

    @Test
    void detectCommandLearnsOnTheFirstRowsAndHoldsTheAlarmOnAFault(@TempDir Path dir) throws Exception {
        // d00.dat (500 normal rows) followed by d01_te.dat (normal for 160 rows, then fault 1: a step)
        List<String> lines = new ArrayList<>();
        lines.add("time," + String.join(",", TepData.variableNames()));
        int t = 0;
        for (double[][] part : new double[][][] {TepData.training(TEP), TepData.test(TEP, 1)}) {
            for (double[] row : part) {
                StringBuilder line = new StringBuilder(Integer.toString(t++ * 180));
                for (double v : row) {
                    line.append(',').append(v);
                }
                lines.add(line.toString());
            }
        }
        Path csv = dir.resolve("tep.csv");
        Files.write(csv, lines);
        Path out = dir.resolve("out.csv");
        int code = new CommandLine(new Tools()).execute("detect", "--input", csv.toString(), "--out", out.toString(),
                "--detector", "asset", "--train-rows", "500");
        assertThat(code).isZero();
        List<String> result = Files.readAllLines(out);
        assertThat(result.get(0)).isEqualTo("time,anomaly_score,alarm,top_signals");
        int normalAlarms = 0;
        int faultAlarms = 0;
        for (int r = 1; r < result.size(); r++) {
            boolean alarm = result.get(r).split(",", -1)[2].equals("1");
            if (r > 500 + 160) {
                faultAlarms += alarm ? 1 : 0;
            } else if (r > 500) {
                normalAlarms += alarm ? 1 : 0;
            }
        }
        assertThat(normalAlarms).as("alarm rows among the 160 normal rows after learning").isLessThanOrEqualTo(8);
        assertThat(faultAlarms).as("alarm rows among the 800 rows of fault 1").isGreaterThan(780);

        int bad = new CommandLine(new Tools()).execute("detect", "--input", csv.toString(), "--out",
                out.toString(), "--detector", "asset", "--train-rows", "20");
        assertThat(bad).isEqualTo(1);
    }
}

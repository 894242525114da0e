package io.edgegateway.llm.internal.rul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** golden.json's raw windows through the Java contract (padding, normalisation, DJL) give Python's outputs. */
class RulPredictorGoldenTest {

    static final Path MODEL = Path.of(System.getProperty("rul.model.dir",
            "../model-bundles/rul-cmapss-fd001/src/main/resources/model"));
    static RulPredictor fp32;

    @BeforeAll
    static void load() throws Exception {
        fp32 = RulPredictor.load(ModelDescriptor.read(MODEL, null));
    }

    @AfterAll
    static void close() {
        fp32.close();
    }

    @Test
    void goldenCasesMatchPythonWithin1e3() throws Exception {
        Map<String, Object> golden = MiniJson.object(MiniJson.parse(Files.readString(MODEL.resolve("golden.json"))), "golden");
        assertThat(MiniJson.strings(golden.get("features"), "features")).isEqualTo(fp32.descriptor().features());
        List<double[][]> windows = new ArrayList<>();
        List<Double> expected = new ArrayList<>();
        for (Object c : MiniJson.array(golden.get("cases"), "cases")) {
            Map<String, Object> kase = MiniJson.object(c, "case");
            List<?> raw = MiniJson.array(kase.get("raw"), "raw");
            double[][] rows = new double[raw.size()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = MiniJson.doubles(raw.get(i), "row");
            }
            windows.add(rows);
            expected.add((Double) kase.get("expected_fp32"));
        }
        assertThat(windows).anyMatch(w -> w.length < 30); // the padding is exercised
        float[] batch = fp32.predict(windows);
        for (int i = 0; i < windows.size(); i++) {
            assertThat((double) batch[i]).as("case %d batched", i).isCloseTo(expected.get(i), within(1e-3));
            float single = fp32.predict(List.<double[][]>of(windows.get(i)))[0];
            assertThat((double) single).as("case %d alone", i).isCloseTo(expected.get(i), within(1e-3));
        }
    }

    @Test
    void int8ArtifactLoadsAndIsClose() throws Exception {
        try (RulPredictor int8 = RulPredictor.load(ModelDescriptor.read(MODEL, "int8"))) {
            double[][] rows = {fp32.descriptor().mean()};
            assertThat((double) int8.predict(List.<double[][]>of(rows))[0])
                    .isCloseTo(fp32.predict(List.<double[][]>of(rows))[0], within(2.0));
        }
    }

    @Test
    void aTamperedArtifactIsRejected(@TempDir Path dir) throws Exception {
        for (String f : List.of("model.json", "normalisation.json", "rul-fd001-fp32.pt", "rul-fd001-int8.pt")) {
            Files.copy(MODEL.resolve(f), dir.resolve(f));
        }
        byte[] pt = Files.readAllBytes(dir.resolve("rul-fd001-fp32.pt"));
        pt[pt.length / 2] ^= 1;
        Files.write(dir.resolve("rul-fd001-fp32.pt"), pt);
        assertThatThrownBy(() -> RulPredictor.load(ModelDescriptor.read(dir, null))).hasMessageContaining("sha256");
    }
}

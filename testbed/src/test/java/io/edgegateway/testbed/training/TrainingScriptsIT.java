package io.edgegateway.testbed.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.llm.internal.explain.ExplainerDescriptor;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;
import io.edgegateway.testbed.rul.RulCommandSupport;

/**
 * The training scripts still work: each runs its tiny configuration on Debian's python3-torch (installed by
 * {@code ./gateway test} through llm-bundle/training/setup.sh), and what it exports loads and runs in the
 * gateway's own Java code through DJL (the KV-cache interface, the tokenizer, the RUL window). The tiny models are
 * not accurate; this proves the pipeline from script to gateway, not the model.
 */
class TrainingScriptsIT {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;

    @Test
    void theExplainerScriptsTinyRunExportsAModelTheGatewayRuns() throws Exception {
        Path out = dir.resolve("model");
        run(List.of("llm-bundle/training/explainer/train_explainer.py", "--tiny", "--out", out.toString(),
                "--report", dir.resolve("report").toString()), 300);
        RulCommandSupport.configureDjl();
        JsonNode golden = new ObjectMapper().readTree(out.resolve("golden.json").toFile());
        for (String artifact : List.of("fp32", "int8")) {
            try (ExplainerModel m = ExplainerModel.load(ExplainerDescriptor.read(out, artifact))) {
                assertThat(golden.path("cases").size()).isPositive();
                for (JsonNode c : golden.path("cases")) {
                    String prompt = c.path("prompt").asText();
                    int[] expected = new ObjectMapper().convertValue(c.path("prompt_ids"), int[].class);
                    assertThat(m.promptIds(prompt)).as("Java and Python tokenize alike: %s", prompt)
                            .containsExactly(expected);
                    ExplainerModel.Generation g = m.generate(prompt, 24, Long.MAX_VALUE, true);
                    ExplainerModel.Generation h = m.generate(prompt, 24, Long.MAX_VALUE, false);
                    assertThat(g.newTokens() + (g.stop() == ExplainerModel.Stop.EOS ? 1 : 0)).isPositive();
                    if (artifact.equals("fp32")) {
                        assertThat(g.text()).as("with and without the KV cache").isEqualTo(h.text());
                    }
                }
            }
        }
    }

    @Test
    void theRulScriptsTinyRunExportsAModelTheGatewayRuns() throws Exception {
        Path out = dir.resolve("rul");
        run(List.of("llm-bundle/training/rul/train_rul.py", "--tiny", "--out", out.toString(), "--report",
                dir.resolve("rul-report").toString()), 300);
        RulCommandSupport.configureDjl();
        try (RulPredictor p = RulPredictor.load(ModelDescriptor.read(out, null))) {
            double[][] window = new double[30][];
            for (int t = 0; t < window.length; t++) {
                window[t] = p.descriptor().mean().clone();
            }
            float rul = p.predict(List.<double[][]>of(window))[0];
            assertThat(rul).isBetween(0f, (float) p.descriptor().cap());
        }
    }

    private void run(List<String> args, int timeoutS) throws IOException, InterruptedException {
        assertThat(Path.of(PYTHON)).as("Debian's python3 (llm-bundle/training/setup.sh installs python3-torch)")
                .exists();
        List<String> cmd = new ArrayList<>(List.of("nice", "-n", "10", PYTHON));
        cmd.addAll(args);
        Path log = dir.resolve("python-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("PYTHONUNBUFFERED", "1"));
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String text = Files.readString(log);
        System.out.printf("TrainingScriptsIT: %s took %.0f s%n", args.get(0), (System.nanoTime() - t0) / 1e9);
        assertThat(done).as("finished within %d s; output:%n%s", timeoutS, text).isTrue();
        assertThat(p.exitValue()).as("exit status; output:%n%s", text).isZero();
    }
}

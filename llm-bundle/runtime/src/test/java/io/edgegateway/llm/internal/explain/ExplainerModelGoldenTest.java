package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.GeneratedOutput;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import io.edgegateway.llm.internal.rul.MiniJson;

/**
 * The shipped explainer model through the gateway's own code (DJL's libtorch 2.7, our tokenizer and decoder) does
 * what it did in Python (torch 1.13) when it was exported: the same prompt token ids, and the same greedy output
 * for every golden case, with and without the KV cache; and the gateway builds the golden prompt from the golden
 * context with the shipped knowledge base (signal family and pattern group included), as the trainer did.
 */
class ExplainerModelGoldenTest {

    static final Path DIR = Path.of(System.getProperty("explainer.model.dir"));
    static final Path KB = Path.of(System.getProperty("explainer.knowledge.file"));

    @Test
    void javaTokenizesAndGeneratesLikePython() throws Exception {
        Map<String, Object> golden = MiniJson.object(MiniJson.parse(Files.readString(DIR.resolve("golden.json"))),
                "golden.json");
        List<?> cases = MiniJson.array(golden.get("cases"), "cases");
        assertThat(cases).isNotEmpty();
        KnowledgeBase kb = KnowledgeBase.load(KB);
        assertThat(golden.get("knowledge_version")).as("golden.json was made with the shipped knowledge base")
                .isEqualTo(kb.version());
        for (Object o : cases) {
            Map<String, Object> c = MiniJson.object(o, "case");
            ExplainContext context = ExplainContext.fromJson(MiniJson.object(c.get("context"), "context"));
            assertThat(kb.prompt(context)).as("Java prompt of %s", c.get("context")).isEqualTo(c.get("prompt"));
        }
        for (String artifact : List.of("fp32", "int8", "student")) {
            try (ExplainerModel m = ExplainerModel.load(ExplainerDescriptor.read(DIR, artifact))) {
                int sameText = 0;
                for (Object o : cases) {
                    Map<String, Object> c = MiniJson.object(o, "case");
                    String prompt = (String) c.get("prompt");
                    int[] expectedIds = java.util.Arrays.stream(MiniJson.doubles(c.get("prompt_ids"), "prompt_ids"))
                            .mapToInt(d -> (int) d).toArray();
                    assertThat(m.promptIds(prompt)).as("prompt ids of %s", prompt).containsExactly(expectedIds);
                    String python = (String) c.get("output_" + artifact);
                    ExplainerModel.Generation g = m.generate(prompt, m.descriptor().maxNewTokens(), Long.MAX_VALUE, true);
                    ExplainerModel.Generation h = m.generate(prompt, m.descriptor().maxNewTokens(), Long.MAX_VALUE, false);
                    GeneratedOutput java = GeneratedOutput.parse(g.text());
                    GeneratedOutput py = GeneratedOutput.parse(python);
                    assertThat(java.cause()).as("%s cause for %s", artifact, prompt).isEqualTo(py.cause());
                    assertThat(java.action()).as("%s action for %s", artifact, prompt).isEqualTo(py.action());
                    assertThat(GeneratedOutput.parse(h.text()).cause()).as("no-cache cause").isEqualTo(py.cause());
                    if (artifact.equals("fp32")) {
                        assertThat(g.text()).as("fp32: cache and no cache alike").isEqualTo(h.text());
                    }
                    if (g.text().equals(python)) {
                        sameText++;
                    }
                }
                System.out.printf("golden %s: %d of %d outputs identical to Python's, all causes and actions equal%n",
                        artifact, sameText, cases.size());
                if (artifact.equals("fp32")) {
                    assertThat(sameText).as("fp32 greedy text identical to Python's in most cases")
                            .isGreaterThanOrEqualTo(cases.size() - 1);
                }
            }
        }
    }
}

package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCaseTest {

    static String line(String id, ExplainContext c, String cause, String action, String urgency) {
        return "{\"id\":\"" + id + "\",\"context\":" + c.toJson() + ",\"expected\":{\"cause\":\"" + cause
                + "\",\"action\":\"" + action + "\",\"urgency\":\"" + urgency + "\"}}";
    }

    @Test
    void readsJsonlSkippingBlankLines(@TempDir Path dir) throws Exception {
        ExplainContext c = ctx().other("vibration", "up").build();
        String text = line("e-0001", c, "bearing wear", "check bearing lubrication and clearance", "medium") + "\n\n"
                + line("e-0002", ctx().build(), "lubrication starvation", "top up", "low") + "\n";
        Path file = Files.writeString(dir.resolve("eval_cases.jsonl"), text);
        List<EvalCase> cases = EvalCase.readJsonl(file);
        assertThat(cases).extracting(EvalCase::id).containsExactly("e-0001", "e-0002");
        assertThat(cases.get(0).context()).isEqualTo(c);
        assertThat(cases.get(0).expectedCause()).isEqualTo("bearing wear");
        assertThat(cases.get(0).expectedUrgency()).isEqualTo("medium");
    }

    @Test
    void errorsNameTheLineAndField() {
        String good = line("e-1", ctx().build(), "a", "b", "low");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader(good + "\n\n" + good.replace("\"drift\"", "\"x\"")),
                "cases.jsonl")).hasMessageStartingWith("cases.jsonl line 3: e-1: context.pattern");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader(good + "\n" + good), "cases.jsonl"))
                .hasMessage("cases.jsonl line 2: duplicate id e-1");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader("{\"id\": \"e-9\""), "cases.jsonl"))
                .hasMessageStartingWith("cases.jsonl line 1: JSON:");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader(good.replace("\"low\"", "\"soon\"")), "c"))
                .hasMessageContaining("line 1: e-1: expected.urgency");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader(good.replace("\"cause\":\"a\",", "")), "c"))
                .hasMessageContaining("line 1: e-1: expected.cause");
        assertThatThrownBy(() -> EvalCase.readJsonl(new StringReader(good.replace("\"id\":\"e-1\",", "")), "c"))
                .hasMessageContaining("line 1: id");
    }
}

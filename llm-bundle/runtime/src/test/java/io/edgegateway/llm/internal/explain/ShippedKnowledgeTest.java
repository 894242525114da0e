package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegateway.llm.internal.explain.knowledge.EvalCase;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;

/**
 * The knowledge base the gateway ships (llm-bundle/training/explainer/knowledge) loads under the gateway's strict
 * validation, and the gateway's matching agrees with the Python generator's on every held-out eval case: the
 * expected cause, action and urgency written by Python are what Java's template fallback gives.
 */
class ShippedKnowledgeTest {

    static final Path KB = Path.of(System.getProperty("explainer.knowledge.file"));
    static final Path CASES = Path.of(System.getProperty("explainer.eval.cases"));

    @Test
    void theShippedKnowledgeBaseLoadsAndMatchesLikeTheGenerator() throws Exception {
        KnowledgeBase kb = KnowledgeBase.load(KB);
        assertThat(kb.entries()).hasSizeGreaterThan(20);
        List<EvalCase> cases = EvalCase.readJsonl(CASES);
        assertThat(cases).hasSizeGreaterThan(100);
        for (EvalCase c : cases) {
            KnowledgeBase.TemplateExplanation t = kb.template(c.context());
            assertThat(t.cause()).as(c.id()).isEqualTo(c.expectedCause());
            assertThat(t.action()).as(c.id()).isEqualTo(c.expectedAction());
            assertThat(kb.match(c.context()).urgency()).as(c.id()).isEqualTo(c.expectedUrgency());
            assertThat(t.text()).as(c.id()).isNotBlank().doesNotContain("{");
        }
    }
}

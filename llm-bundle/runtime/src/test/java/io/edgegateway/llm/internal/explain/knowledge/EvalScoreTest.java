package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EvalScoreTest {

    @Test
    void accumulatesAccuracyAndHallucinationRate() {
        EvalScore score = new EvalScore(new HallucinationCheck(Ctx.kb()));
        assertThat(score.toJson())
                .isEqualTo("{\"cause_accuracy\":0,\"action_accuracy\":0,\"hallucination_rate\":0,\"cases\":0}");
        EvalCase c = new EvalCase("e-1", ctx().build(), "bearing wear", "check bearings", "medium");

        assertThat(score.add(c, GeneratedOutput.parse("cause: bearing wear | action: check bearings | urgency: medium | "
                + "The {signal} rises."))).isEmpty();
        assertThat(score.add(c, GeneratedOutput.parse("cause:  bearing wear  | action: grease | urgency: low | "
                + "The {signal} rises by 3."))).containsExactly("contains the digit '3'");
        score.add(c, GeneratedOutput.parse("cause: cavitation | action: check bearings | urgency: low | ok"));
        score.add(c, GeneratedOutput.parse("nonsense"));

        assertThat(score.cases()).isEqualTo(4);
        assertThat(score.causeAccuracy()).isEqualTo(0.5);
        assertThat(score.actionAccuracy()).isEqualTo(0.5);
        assertThat(score.hallucinationRate()).isEqualTo(0.25);
        assertThat(score.toJson())
                .isEqualTo("{\"cause_accuracy\":0.5,\"action_accuracy\":0.5,\"hallucination_rate\":0.25,\"cases\":4}");
    }
}

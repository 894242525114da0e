package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decoder's constraints on plain token ids: banned tokens, and no n-gram twice within one output field. */
class ExplainerConstraintsTest {

    private static final int SEP = 9; // stands for the tokens of " |"
    private static final int PROMPT = 2; // seq[0..1] is the prompt

    private static float[] scores() {
        return new float[12];
    }

    @Test
    void aTokenThatWouldRepeatAFourGramOfTheSameFieldIsBanned() {
        // output: 4 5 6 7 4 5 6 -> a 7 next would repeat "4 5 6 7"
        int[] seq = {1, 3, 4, 5, 6, 7, 4, 5, 6, 0, 0};
        float[] s = scores();
        ExplainerModel.constrain(s, new ExplainerModel.Constraints(Set.of(), 4, new int[] {SEP}), seq, PROMPT, 9);
        assertThat(s[7]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(s[8]).isZero();
    }

    @Test
    void theSameFourTokensInAnotherFieldAreAllowed() {
        // cause "4 5 6 7", separator, action "4 5 6" -> 7 completes the cause's words in the action: allowed
        int[] seq = {1, 3, 4, 5, 6, 7, SEP, 4, 5, 6, 0, 0};
        float[] s = scores();
        ExplainerModel.constrain(s, new ExplainerModel.Constraints(Set.of(), 4, new int[] {SEP}), seq, PROMPT, 10);
        assertThat(s[7]).isZero();
        // without field separators the whole output is one field: banned
        float[] whole = scores();
        ExplainerModel.constrain(whole, new ExplainerModel.Constraints(Set.of(), 4, new int[0]), seq, PROMPT, 10);
        assertThat(whole[7]).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void aSeparatorOfSeveralTokensIsFoundAndBannedTokensAlwaysApply() {
        int[] sep = {9, 10};
        int[] seq = {1, 3, 4, 5, 6, 7, 9, 10, 4, 5, 6, 0};
        assertThat(ExplainerModel.fieldStart(sep, seq, PROMPT, 11)).isEqualTo(8);
        assertThat(ExplainerModel.fieldStart(sep, seq, PROMPT, 7)).isEqualTo(PROMPT); // only half a separator yet
        float[] s = scores();
        ExplainerModel.constrain(s, new ExplainerModel.Constraints(Set.of(11), 4, sep), seq, PROMPT, 11);
        assertThat(s[7]).isZero();
        assertThat(s[11]).isEqualTo(Float.NEGATIVE_INFINITY);
    }
}

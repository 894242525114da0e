package io.edgegateway.llm.internal.explain.knowledge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Severity;

class GeneratedOutputTest {

    @Test
    void parsesTheTargetFormat() {
        GeneratedOutput o = GeneratedOutput.parse(
                "cause: bearing wear | action: check bearing lubrication | urgency: medium | The {signal} of {asset} rises.");
        assertThat(o.cause()).isEqualTo("bearing wear");
        assertThat(o.action()).isEqualTo("check bearing lubrication");
        assertThat(o.urgency()).isEqualTo("medium");
        assertThat(o.text()).isEqualTo("The {signal} of {asset} rises.");
        assertThat(o.wellFormed()).isTrue();
        assertThat(o.severity()).contains(Severity.WARNING);
    }

    @Test
    void aBarInTheTextStaysInTheText() {
        GeneratedOutput o = GeneratedOutput.parse("cause: a | action: b | urgency: low | one | two");
        assertThat(o.text()).isEqualTo("one | two");
        assertThat(o.wellFormed()).isTrue();
    }

    @Test
    void missingPartsAreEmptyAndNotWellFormed() {
        GeneratedOutput noUrgency = GeneratedOutput.parse("cause: a | action: b | the text");
        assertThat(noUrgency.urgency()).isEmpty();
        assertThat(noUrgency.text()).isEqualTo("the text");
        assertThat(noUrgency.wellFormed()).isFalse();
        assertThat(noUrgency.severity()).isEmpty();

        GeneratedOutput noText = GeneratedOutput.parse("cause: a | action: b | urgency: high");
        assertThat(noText.urgency()).isEqualTo("high");
        assertThat(noText.text()).isEmpty();
        assertThat(noText.wellFormed()).isFalse();

        GeneratedOutput truncated = GeneratedOutput.parse("cause: bearing we");
        assertThat(truncated.cause()).isEqualTo("bearing we");
        assertThat(truncated.action()).isEmpty();
        assertThat(truncated.wellFormed()).isFalse();

        GeneratedOutput garbage = GeneratedOutput.parse("the pump is sad");
        assertThat(garbage.cause()).isEmpty();
        assertThat(garbage.text()).isEqualTo("the pump is sad");
        assertThat(garbage.wellFormed()).isFalse();

        assertThat(GeneratedOutput.parse(null).raw()).isEmpty();
    }

    @Test
    void badUrgencyOrOrderIsNotWellFormed() {
        assertThat(GeneratedOutput.parse("cause: a | action: b | urgency: soon | t").wellFormed()).isFalse();
        GeneratedOutput swapped = GeneratedOutput.parse("action: b | cause: a | urgency: low | t");
        assertThat(swapped.cause()).isEqualTo("a");
        assertThat(swapped.action()).isEqualTo("b");
        assertThat(swapped.wellFormed()).isFalse();
        GeneratedOutput repeated = GeneratedOutput.parse("cause: a | cause: c | action: b | urgency: low | t");
        assertThat(repeated.cause()).isEqualTo("a");
        assertThat(repeated.wellFormed()).isFalse();
    }

    @Test
    void labelsAreCaseInsensitiveAndSpacesTrimmed() {
        GeneratedOutput o = GeneratedOutput.parse("  Cause:a|ACTION:  b |urgency:low|  t  ");
        assertThat(o.cause()).isEqualTo("a");
        assertThat(o.action()).isEqualTo("b");
        assertThat(o.text()).isEqualTo("t");
        assertThat(o.wellFormed()).isTrue();
    }
}

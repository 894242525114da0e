package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SlotFillerTest {

    private final SlotFiller filler = Ctx.kb().slotFiller();

    @Test
    void numbersHaveThreeSignificantDigitsBelowAHundredAndAreWholeAbove() {
        assertThat(SlotFiller.number(81.23)).isEqualTo("81.2");
        assertThat(SlotFiller.number(4.567)).isEqualTo("4.57");
        assertThat(SlotFiller.number(0.012345)).isEqualTo("0.0123");
        assertThat(SlotFiller.number(0.0000001234)).isEqualTo("0.000000123");
        assertThat(SlotFiller.number(1234.5)).isEqualTo("1235");
        assertThat(SlotFiller.number(101325)).isEqualTo("101325");
        assertThat(SlotFiller.number(99.96)).isEqualTo("100");
        assertThat(SlotFiller.number(20.0)).isEqualTo("20");
        assertThat(SlotFiller.number(4.5)).isEqualTo("4.5");
        assertThat(SlotFiller.number(2.675)).isEqualTo("2.68"); // half-up on the printed decimal
        assertThat(SlotFiller.number(-4.567)).isEqualTo("-4.57");
        assertThat(SlotFiller.number(0)).isEqualTo("0");
        assertThat(SlotFiller.number(-0.0)).isEqualTo("0");
        assertThat(SlotFiller.number(1e20)).isEqualTo("100000000000000000000");
    }

    @Test
    void durationsForPeople() {
        assertThat(SlotFiller.duration(0)).isEqualTo("0 s");
        assertThat(SlotFiller.duration(45.4)).isEqualTo("45 s");
        assertThat(SlotFiller.duration(59.6)).isEqualTo("1 min");
        assertThat(SlotFiller.duration(720)).isEqualTo("12 min");
        assertThat(SlotFiller.duration(3599)).isEqualTo("1 h");
        assertThat(SlotFiller.duration(3.5 * 3600)).isEqualTo("3.5 h");
        assertThat(SlotFiller.duration(7200)).isEqualTo("2 h");
        assertThat(SlotFiller.duration(150 * 3600.0 + 1000)).isEqualTo("150 h");
        assertThat(SlotFiller.duration(-5)).isEqualTo("0 s");
        assertThat(SlotFiller.duration(Double.NaN)).isEqualTo("0 s");
    }

    @Test
    void presentSlotsFollowTheSpecColumn() {
        assertThat(SlotFiller.presentSlots(ctx().unit("").baseline(null).dev(0).pattern("spike").build()))
                .containsExactly("{asset}", "{signal}", "{type}", "{value}", "{duration}");
        assertThat(SlotFiller.presentSlots(ctx().other("vibration", "up").rul(40.0).build()))
                .containsExactlyInAnyOrderElementsOf(SlotFiller.SLOTS);
        assertThat(SlotFiller.presentSlots(ctx().pattern("level_shift").build())).doesNotContain("{slope}");
    }

    @Test
    void fillsEverySlot() {
        ExplainContext c = ctx().value(81.23).baseline(62.0).dev(-4.56).slope(-0.256).dur(2700)
                .other("vibration", "up").other("motor_current", "down").rul(41.6).build();
        String text = String.join("|", SlotFiller.SLOTS);
        assertThat(filler.fill(text, c)).isEqualTo(
                "pump-1|bearing temperature|pump|81.2|degC|62|19.2|4.6|45 min|0.256|42|motor current and vibration");
    }

    @Test
    void absentAndUnknownSlotsStayVerbatim() {
        ExplainContext c = ctx().baseline(null).build();
        assertThat(filler.fill("from {baseline} via {colour} to {value}", c)).isEqualTo("from {baseline} via {colour} to 81.2");
        assertThat(filler.fill("no slots, a { brace", c)).isEqualTo("no slots, a { brace");
        assertThat(SlotFiller.slotsIn("{a} x {b}{c} {")).containsExactly("{a}", "{b}", "{c}");
    }

    @Test
    void othersWordsJoinWithCommasAndAFinalAnd() {
        assertThat(filler.words(List.of("vibration"))).isEqualTo("vibration");
        assertThat(filler.words(List.of("motor_current", "vibration"))).isEqualTo("motor current and vibration");
        assertThat(filler.words(List.of("motor_current", "oil_level", "vibration")))
                .isEqualTo("motor current, oil level and vibration");
    }

    @Test
    void valuesHoldOnlyPresentSlots() {
        assertThat(filler.values(ctx().baseline(null).dev(0).build())).doesNotContainKeys("{baseline}", "{delta}", "{dev}")
                .containsEntry("{value}", "81.2");
    }
}

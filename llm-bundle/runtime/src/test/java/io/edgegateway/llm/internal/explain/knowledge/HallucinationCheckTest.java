package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HallucinationCheckTest {

    private final HallucinationCheck check = new HallucinationCheck(Ctx.kb());

    private static GeneratedOutput out(String text) {
        return GeneratedOutput.parse("cause: bearing wear | action: check it | urgency: low | " + text);
    }

    @Test
    void aCleanTextHasNoReasons() {
        ExplainContext c = ctx().other("vibration", "up").build();
        assertThat(check.check(c, out("The {signal} of {asset} rose to {value} {unit} with {others}; "
                + "bearing temperature and Vibration both rise on this pump."))).isEmpty();
    }

    @Test
    void aSlotNotPresentForTheContext() {
        ExplainContext c = ctx().baseline(null).dev(0).pattern("level_shift").build();
        assertThat(check.check(c, out("{value} against {baseline}, {dev} sigma, rising {slope} per minute")))
                .containsExactly("slot {baseline} is not present for the context",
                        "slot {dev} is not present for the context", "slot {slope} is not present for the context");
        assertThat(check.check(c, out("{colour}"))).containsExactly("unknown slot {colour}");
    }

    @Test
    void aDigit() {
        assertThat(check.check(ctx().build(), out("up by 5 degrees"))).containsExactly("contains the digit '5'");
    }

    @Test
    void wordsOfAnotherSignal() {
        ExplainContext c = ctx().build();
        assertThat(check.check(c, out("the discharge  Pressure is low"))).singleElement().asString()
                .contains("discharge_pressure");
        // the phrase must match as whole words
        assertThat(check.check(c, out("the speedometer and the discharge valve"))).isEmpty();
        // but it is allowed when it is one of the others
        assertThat(check.check(ctx().other("discharge_pressure", "down").build(), out("the discharge pressure is low")))
                .isEmpty();
    }

    @Test
    void aSignalsWordsInsideTheContextsOwnPhraseDoNotCount() {
        // "temperature" is a signal of its own, but here it is part of the context's "bearing temperature"
        assertThat(check.check(ctx().build(), out("the bearing temperature rises"))).isEmpty();
        assertThat(check.check(ctx().build(), out("the temperature rises"))).singleElement().asString()
                .contains("signal temperature");
    }

    @Test
    void anotherAssetType() {
        ExplainContext c = ctx().build(); // a pump
        assertThat(check.check(c, out("the Motor overheats"))).containsExactly("names asset type motor, not the context's pump");
        assertThat(check.check(c, out("the pump overheats"))).isEmpty();
        // "motor" inside the allowed "motor current" of an other signal is not an asset type
        assertThat(check.check(ctx().other("motor_current", "up").build(), out("the motor current rises"))).isEmpty();
        // ... but it is when motor current is not one of the context's others
        assertThat(check.check(c, out("the motor current rises"))).hasSize(2);
    }

    @Test
    void aMalformedOutputIsCheckedWhole() {
        GeneratedOutput o = GeneratedOutput.parse("cause: fan blade damage | action: stop");
        assertThat(o.wellFormed()).isFalse();
        assertThat(check.check(ctx().build(), o)).containsExactly("names asset type fan, not the context's pump");
        assertThat(check.checkText(ctx().build(), "fine {value}")).isEmpty();
    }
}

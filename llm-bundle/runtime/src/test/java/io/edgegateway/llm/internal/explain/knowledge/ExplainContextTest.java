package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalDouble;

import org.junit.jupiter.api.Test;

class ExplainContextTest {

    @Test
    void promptIsTheSpecExampleExactly() {
        ExplainContext c = ctx().pattern("drift").dir("up").dev(4.2).dur(3600).other("vibration", "up").rul(55.0)
                .build();
        assertThat(c.prompt("temperature", "sustained")).isEqualTo("type=pump family=temperature "
                + "signal=bearing_temperature group=sustained pattern=drift dir=up dev=medium dur=long "
                + "others=vibration:up rul=medium\n");
    }

    @Test
    void promptSortsOthersAndSaysNoneWhenEmpty() {
        ExplainContext c = ctx().other("vibration", "up").other("motor_current", "down").other("speed", "up").build();
        assertThat(c.othersToken()).isEqualTo("motor_current:down,speed:up,vibration:up");
        assertThat(c.prompt("f", "g")).contains(" others=motor_current:down,speed:up,vibration:up ");
        assertThat(ctx().rul(null).build().prompt("f", "g")).endsWith(" others=none rul=none\n");
        assertThat(c.others().keySet()).containsExactly("motor_current", "speed", "vibration");
    }

    @Test
    void bucketsAtTheirBoundaries() {
        assertThat(ExplainContext.devBucket(2.999)).isEqualTo("low");
        assertThat(ExplainContext.devBucket(-2.999)).isEqualTo("low");
        assertThat(ExplainContext.devBucket(3)).isEqualTo("medium");
        assertThat(ExplainContext.devBucket(-5.99)).isEqualTo("medium");
        assertThat(ExplainContext.devBucket(-6)).isEqualTo("high");
        assertThat(ExplainContext.durBucket(59.9)).isEqualTo("short");
        assertThat(ExplainContext.durBucket(60)).isEqualTo("medium");
        assertThat(ExplainContext.durBucket(1799)).isEqualTo("medium");
        assertThat(ExplainContext.durBucket(1800)).isEqualTo("long");
        assertThat(ExplainContext.rulBucket(OptionalDouble.empty())).isEqualTo("none");
        assertThat(ExplainContext.rulBucket(OptionalDouble.of(29.9))).isEqualTo("short");
        assertThat(ExplainContext.rulBucket(OptionalDouble.of(30))).isEqualTo("medium");
        assertThat(ExplainContext.rulBucket(OptionalDouble.of(80))).isEqualTo("long");
        ExplainContext c = ctx().dev(-7).dur(10).rul(12.0).build();
        assertThat(c.devBucket() + c.durBucket() + c.rulBucket()).isEqualTo("highshortshort");
    }

    @Test
    void jsonRoundTrips() {
        ExplainContext c = ctx().other("vibration", "up").rul(42.5).build();
        String json = c.toJson();
        assertThat(json).startsWith("{\"assetType\":\"pump\",\"assetId\":\"pump-1\",\"signal\":\"bearing_temperature\"")
                .contains("\"baseline\":62,").contains("\"others\":{\"vibration\":\"up\"}").endsWith(",\"rulCycles\":42.5}");
        assertThat(ExplainContext.fromJson(json)).isEqualTo(c);

        ExplainContext noBaseline = ctx().baseline(null).dev(0).unit("").build();
        assertThat(noBaseline.toJson()).contains("\"baseline\":null").doesNotContain("rulCycles");
        assertThat(ExplainContext.fromJson(noBaseline.toJson())).isEqualTo(noBaseline);
    }

    @Test
    void jsonWithQuotesInTheIdIsEscaped() {
        Ctx x = ctx();
        x.assetId = "pump \"A\"\\1";
        ExplainContext c = x.build();
        assertThat(ExplainContext.fromJson(c.toJson()).assetId()).isEqualTo("pump \"A\"\\1");
    }

    @Test
    void badJsonNamesTheField() {
        String good = ctx().build().toJson();
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"drift\"", "\"wobble\"")))
                .hasMessageContaining("context.pattern").hasMessageContaining("wobble");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"direction\":\"up\"", "\"direction\":\"left\"")))
                .hasMessageContaining("context.direction");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"value\":81.23,", "")))
                .hasMessageContaining("context.value: missing");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"value\":81.23", "\"value\":\"81\"")))
                .hasMessageContaining("context.value: expected a number");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"baseline\":62,", "")))
                .hasMessageContaining("context.baseline");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"others\":{}", "\"others\":{\"vibration\":\"flat\"}")))
                .hasMessageContaining("context.others.vibration");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("{\"assetType\"", "{\"colour\":\"red\",\"assetType\"")))
                .hasMessageContaining("context.colour: unknown field");
        assertThatThrownBy(() -> ExplainContext.fromJson(good.replace("\"pump\"", "\"big pump\"")))
                .hasMessageContaining("context.assetType");
    }

    @Test
    void constructorRejectsNonFiniteNumbers() {
        assertThatThrownBy(() -> ctx().dur(Double.NaN).build()).hasMessageContaining("context.durationS");
        assertThatThrownBy(() -> ctx().baseline(Double.POSITIVE_INFINITY).build())
                .hasMessageContaining("context.baseline");
    }
}

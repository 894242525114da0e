package io.edgegateway.llm.internal.explain.knowledge;

import static io.edgegateway.llm.internal.explain.knowledge.Ctx.ctx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.api.Severity;

class KnowledgeBaseTest {

    private final KnowledgeBase kb = Ctx.kb();

    @Test
    void loadsFromStreamAndPath(@TempDir Path dir) throws Exception {
        KnowledgeBase fromStream = KnowledgeBase.load(
                new ByteArrayInputStream(Ctx.fixtureJson().getBytes(StandardCharsets.UTF_8)));
        Path file = Files.writeString(dir.resolve("failure_modes.json"), Ctx.fixtureJson());
        KnowledgeBase fromPath = KnowledgeBase.load(file);
        assertThat(fromStream.version()).isEqualTo("0.1.0-test");
        assertThat(fromPath.entries()).hasSize(5);
        assertThat(fromPath.assetTypes()).containsExactly("pump", "motor", "compressor", "fan");
        assertThat(fromPath.signals()).contains("bearing_temperature", "vibration");
    }

    @Test
    void firstMatchInFileOrderHonoursWith() {
        ExplainContext withVibration = ctx().other("vibration", "up").build();
        assertThat(kb.match(withVibration).entry().id()).isEqualTo("bearing-wear");
        // same context without the companion signal: the next entry
        assertThat(kb.match(ctx().build()).entry().id()).isEqualTo("lubrication-starvation");
        // vibration going down does not satisfy vibration:up
        assertThat(kb.match(ctx().other("vibration", "down").build()).entry().id())
                .isEqualTo("lubrication-starvation");
        // direction must equal unless the entry says any
        assertThat(kb.match(ctx().dir("down").build()).entry().id()).isEqualTo("unclassified");
        // pattern
        assertThat(kb.match(ctx().pattern("stuck").dir("flat").build()).entry().id()).isEqualTo("sensor-stuck");
        // asset type not listed by the entry
        assertThat(kb.match(ctx().type("compressor").build()).entry().id()).isEqualTo("unclassified");
        assertThat(kb.match(ctx().signal("vibration").pattern("oscillation").build()).entry().id())
                .isEqualTo("cavitation");
    }

    @Test
    void urgencyEscalatesOneStepOnHighDeviationOrShortRulAndMapsToSeverity() {
        KnowledgeBase.Match plain = kb.match(ctx().dev(4).build());
        assertThat(plain.urgency()).isEqualTo("low");
        assertThat(plain.severity()).isEqualTo(Severity.INFO);
        assertThat(kb.match(ctx().dev(-6.5).build()).urgency()).isEqualTo("medium");
        assertThat(kb.match(ctx().dev(4).rul(10.0).build()).urgency()).isEqualTo("medium");
        assertThat(kb.match(ctx().dev(9).rul(10.0).build()).urgency()).isEqualTo("medium"); // one step, not two
        assertThat(kb.match(ctx().dev(4).rul(50.0).build()).urgency()).isEqualTo("low");
        KnowledgeBase.Match capped = kb.match(ctx().signal("vibration").pattern("spike").dev(9).build());
        assertThat(capped.urgency()).isEqualTo("high");
        assertThat(capped.severity()).isEqualTo(Severity.CRITICAL);
        assertThat(KnowledgeBase.severity("medium")).isEqualTo(Severity.WARNING);
        assertThatThrownBy(() -> KnowledgeBase.severity("urgent")).hasMessageContaining("urgent");
    }

    @Test
    void signalWordsFallBackToTheName() {
        assertThat(kb.signalWords("bearing_temperature")).isEqualTo("bearing temperature");
        assertThat(kb.signalWords("oil_level")).isEqualTo("oil level");
        assertThat(kb.signalUnit("vibration")).isEqualTo("mm/s");
        assertThat(kb.signalUnit("oil_level")).isEmpty();
    }

    @Test
    void templateFillsTheFirstTextWhoseSlotsArePresent() {
        KnowledgeBase.TemplateExplanation t = kb.template(ctx().other("vibration", "up").dur(720).build());
        assertThat(t.entryId()).isEqualTo("bearing-wear");
        assertThat(t.cause()).isEqualTo("bearing wear");
        assertThat(t.action()).isEqualTo("check bearing lubrication and clearance");
        assertThat(t.urgency()).isEqualTo(Severity.WARNING);
        assertThat(t.text()).isEqualTo("The bearing temperature of pump-1 has risen to 81.2 degC over 12 min, "
                + "together with vibration: typical of bearing wear.");

        // catch-all: its first text needs {baseline} and {dev}; without a baseline the second one is used
        KnowledgeBase.TemplateExplanation noBaseline =
                kb.template(ctx().type("compressor").baseline(null).dev(0).build());
        assertThat(noBaseline.entryId()).isEqualTo("unclassified");
        assertThat(noBaseline.text()).isEqualTo("The bearing temperature of pump-1 reads 81.2 degC, outside its usual range.");
        assertThat(kb.template(ctx().type("compressor").build()).text())
                .isEqualTo("The bearing temperature of pump-1 is 4.6 sigma away from 62 degC, now 81.2 degC.");
    }

    @Test
    void templateUsesTheFirstTextWhenNoneFitsAndLeavesAbsentSlotsVerbatim() {
        KnowledgeBase.TemplateExplanation t = kb.template(ctx().pattern("stuck").dir("flat").unit("").dur(30).build());
        assertThat(t.text()).isEqualTo("The bearing temperature of pump-1 has not changed for 30 s: "
                + "the sensor keeps reading 81.2 {unit}.");
    }

    @Test
    void validationNamesEntryAndField() {
        String j = Ctx.fixtureJson();
        assertInvalid(j.replace("\"patterns\": [\"oscillation\", \"spike\"]", "\"patterns\": [\"wobble\"]"),
                "entry cavitation: patterns: unknown pattern 'wobble'");
        assertInvalid(j.replace("\"direction\": \"up\",\n      \"with\"", "\"direction\": \"sideways\",\n      \"with\""),
                "entry bearing-wear: direction");
        assertInvalid(j.replace("\"urgency\": \"high\"", "\"urgency\": \"urgent\""), "entry cavitation: urgency");
        assertInvalid(j.replace("\"cause\": \"cavitation\",", ""), "entry cavitation: cause: missing");
        assertInvalid(j.replace("\"texts\": [\"The {signal} of {asset} swings", "\"txts\": [\"The {signal} of {asset} swings"),
                "entry cavitation: unknown field 'txts'");
        assertInvalid(j.replace("\"vibration:up\"", "\"vibration:sideways\""), "entry bearing-wear: with");
        assertInvalid(j.replace("\"vibration:up\"", "\"oil:up\""), "entry bearing-wear: with");
        assertInvalid(j.replace("\"signals\": [\"vibration\", \"discharge_pressure\"]", "\"signals\": [\"flow\"]"),
                "entry cavitation: signals: unknown signal 'flow'");
        assertInvalid(j.replace("\"asset_types\": [\"pump\"],", "\"asset_types\": [\"boiler\"],"),
                "entry cavitation: asset_types: unknown asset type 'boiler'");
        assertInvalid(j.replace("\"sources\": [\"vendor-notes\"]", "\"sources\": [\"nowhere\"]"),
                "entry lubrication-starvation: sources: unknown source 'nowhere'");
        assertInvalid(j.replace("swings around {value}", "swings around {value} by 3"), "entry cavitation: texts");
        assertInvalid(j.replace("swings around {value}", "swings around {amplitude}"), "unknown slot {amplitude}");
        assertInvalid(j.replace("\"cause\": \"cavitation\"", "\"cause\": \"cavitation | air\""), "entry cavitation: cause");
        assertInvalid(j.replace("\"id\": \"cavitation\"", "\"id\": \"sensor-stuck\""), "entry sensor-stuck: duplicate id");
        assertInvalid(j.replace("\"urgencies\": [\"low\", \"medium\", \"high\"]", "\"urgencies\": [\"low\", \"high\"]"),
                "urgencies");
        assertInvalid(j.replace("\"patterns\": [\"*\"],\n      \"direction\": \"any\",\n      \"with\": [],\n      \"cause\": \"unclassified",
                "\"patterns\": [\"drift\"],\n      \"direction\": \"any\",\n      \"with\": [],\n      \"cause\": \"unclassified"),
                "entry unclassified: the last entry must be the catch-all");
        assertInvalid("{\"version\": \"1\", \"asset_types\": [], \"signals\": {}, \"pattern_groups\": {\"all\": "
                + "[\"spike\", \"drift\", \"level_shift\", \"stuck\", \"oscillation\", \"threshold\"]}, \"entries\": []}", "entries");
        // version 2: families and pattern groups (prompt tokens), entries made of whole groups
        assertInvalid(j.replace("\"patterns\": [\"oscillation\", \"spike\"]", "\"patterns\": [\"oscillation\"]"),
                "entry cavitation: patterns: [oscillation] split the pattern group 'unsteady' (missing 'spike')");
        assertInvalid(j.replace(", \"family\": \"speed\"", ""), "signal speed: family: missing");
        assertInvalid(j.replace("\"family\": \"speed\"", "\"family\": \"speed=x\""), "must be lower-case letters");
        assertInvalid(j.replace("\"frozen\": [\"stuck\"],", ""), "every pattern");
        assertInvalid(j.replace("\"frozen\": [\"stuck\"],", "\"frozen\": [\"stuck\", \"drift\"],"),
                "pattern 'drift' is in more than one group");
        assertInvalid(j.replace("\"frozen\": [\"stuck\"],", "\"frozen\": [\"stuck\", \"wobble\"],"),
                "pattern_groups.frozen: unknown pattern 'wobble'");
        assertInvalid(j.replace("\"pattern_groups\"", "\"groups\""), "pattern_groups: missing");
        assertInvalid("{\"asset_types\": [], \"signals\": {}, \"entries\": []}", "version: missing");
    }

    @Test
    void familiesAndGroupsGoIntoThePrompt() {
        KnowledgeBase kb = Ctx.kb();
        assertThat(kb.signalFamily("bearing_temperature")).isEqualTo("temperature");
        assertThat(kb.signalFamily("oil_level")).isEqualTo("other");
        assertThat(kb.patternGroup("spike")).isEqualTo("unsteady");
        assertThat(kb.patternGroup("oscillation")).isEqualTo("unsteady");
        assertThat(kb.patternGroup("drift")).isEqualTo("slow");
        assertThat(kb.prompt(Ctx.ctx().pattern("oscillation").dir("flat").dev(1.0).dur(300).rul(null).build()))
                .isEqualTo("type=pump family=temperature signal=bearing_temperature group=unsteady pattern=oscillation "
                        + "dir=flat dev=low dur=medium others=none rul=none\n");
    }

    @Test
    void optionalEntryFieldsDefaultToEmpty() {
        String j = Ctx.fixtureJson().replace("\"checks\": [\"check suction pressure\"],", "");
        KnowledgeBase k = KnowledgeBase.parse(j);
        assertThat(k.entries().get(3).checks()).isEmpty();
        assertThat(k.entries().get(1).with()).isEmpty(); // the fixture's lubrication entry has no "with"
    }

    private static void assertInvalid(String json, String message) {
        assertThatThrownBy(() -> KnowledgeBase.parse(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}

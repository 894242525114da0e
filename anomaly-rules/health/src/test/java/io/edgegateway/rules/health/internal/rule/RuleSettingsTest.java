package io.edgegateway.rules.health.internal.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class RuleSettingsTest {

    @Test
    void learningPeriodInTicksOrTime() {
        assertThat(LearnPeriod.parse("3600 ticks", 1000).ticks()).isEqualTo(3600);
        assertThat(LearnPeriod.parse("30m", 1000).ticks()).isEqualTo(1800);
        assertThat(LearnPeriod.parse("2h", 500).ticks()).isEqualTo(14_400);
        assertThat(LearnPeriod.parse(" 1d ", 60_000).ticks()).isEqualTo(1440);
        assertThatThrownBy(() -> LearnPeriod.parse("an hour", 1000)).hasMessageContaining("'learn.duration'")
                .hasMessageContaining("'an hour'");
        assertThatThrownBy(() -> LearnPeriod.parse("100d", 10)).hasMessageContaining("at most 10,000,000");
    }

    @Test
    void aliasFromTheFileOrThePid() {
        assertThat(HealthModelRule.alias(Map.of("felix.fileinstall.filename",
                "file:/opt/gw/deploy/io.edgegateway.rules.health-pumps.cfg"))).isEqualTo("pumps");
        assertThat(HealthModelRule.alias(Map.of("service.pid", "io.edgegateway.rules.health~fans"))).isEqualTo("fans");
    }

    @Test
    void storeFileNamesNeverCollide() {
        assertThat(ModelStore.safe("pump-1")).isEqualTo("pump-1");
        assertThat(ModelStore.safe("line/1")).isNotEqualTo(ModelStore.safe("line_1")).startsWith("line_1-");
        assertThat(ModelStore.safe("../x")).doesNotContain("/").doesNotContain("..");
    }
}

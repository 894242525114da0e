package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicPatternTest {

    @Test
    void capturesAssetAndSignal() {
        TopicPattern p = TopicPattern.parse("plant/{asset}/{signal}");
        assertThat(p.match("plant/pump-1/temp")).isEqualTo(new TopicPattern.Match("pump-1", "temp"));
        assertThat(p.match("plant/pump-1")).isNull();
        assertThat(p.match("plant/pump-1/temp/x")).isNull();
        assertThat(p.match("Plant/pump-1/temp")).isNull();
        assertThat(p.match("plant//temp")).isNull();
        assertThat(p.match("")).isNull();
        assertThat(p.match(null)).isNull();
    }

    @Test
    void wildcards() {
        TopicPattern p = TopicPattern.parse("+/{signal}/x/{asset}/#");
        assertThat(p.match("site/temp/x/p1")).isEqualTo(new TopicPattern.Match("p1", "temp"));
        assertThat(p.match("site/temp/x/p1/a/b")).isEqualTo(new TopicPattern.Match("p1", "temp"));
        assertThat(p.match("site/temp/y/p1")).isNull();
        assertThat(TopicPattern.parse("a/+").match("a/")).isEqualTo(new TopicPattern.Match(null, null));
        assertThat(TopicPattern.parse("#").match("anything/at/all")).isNotNull();
    }

    @Test
    void capturesFlags() {
        assertThat(TopicPattern.parse("a/{asset}").capturesAsset()).isTrue();
        assertThat(TopicPattern.parse("a/{asset}").capturesSignal()).isFalse();
    }

    @Test
    void invalidPatterns() {
        assertThatThrownBy(() -> TopicPattern.parse("a/#/b")).hasMessageContaining("last");
        assertThatThrownBy(() -> TopicPattern.parse("a/{assett}")).hasMessageContaining("{assett}");
        assertThatThrownBy(() -> TopicPattern.parse("a/x+")).hasMessageContaining("whole level");
        assertThatThrownBy(() -> TopicPattern.parse("{asset}/{asset}")).hasMessageContaining("twice");
        assertThatThrownBy(() -> TopicPattern.parse(" ")).hasMessageContaining("empty");
    }
}

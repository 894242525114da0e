package io.edgegateway.management.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    @SuppressWarnings("unchecked")
    void roundTripsObjectsArraysAndScalars() throws Exception {
        String text = "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":2.5},\"e\":123456789012345678901234567890}";
        Map<String, Object> m = Json.parseObject(text.getBytes(StandardCharsets.UTF_8));
        assertThat(m.get("a")).isEqualTo(1L);
        assertThat((List<Object>) m.get("b")).containsExactly(true, null, "x");
        assertThat(((Map<?, ?>) m.get("c")).get("d")).isEqualTo(2.5);
        assertThat(Json.write(m)).isEqualTo(text);
        assertThat(Json.write(Json.obj("nan", Double.NaN))).isEqualTo("{\"nan\":null}");
    }

    @Test
    void badInputSaysWhereAndWhat() {
        assertThatThrownBy(() -> Json.parseObject("{\"a\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(Json.JsonException.class).hasMessageContaining("line 1");
        assertThatThrownBy(() -> Json.parseObject("[1]".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("expected a JSON object, got an array");
        assertThatThrownBy(() -> Json.parseObject(new byte[0])).hasMessageContaining("empty");
        assertThatThrownBy(() -> Json.parse("{} {}")).hasMessageContaining("after the JSON value");
        assertThatThrownBy(() -> Json.parse("[".repeat(100) + "]".repeat(100))).hasMessageContaining("depth");
    }

    @Test
    void urlsAreNormalisedAndBadOnesExplained() {
        assertThat(MqttLink.normalizeUrl("mqtts://broker")).isEqualTo("ssl://broker:8883");
        assertThat(MqttLink.normalizeUrl("tcp://127.0.0.1")).isEqualTo("tcp://127.0.0.1:1883");
        assertThatThrownBy(() -> MqttLink.normalizeUrl("http://x")).hasMessageContaining("not a valid MQTT URL");
    }

    @Test
    void topicsAndIds() {
        assertThat(Protocol.responseTopic("gw-1", "status")).isEqualTo("gateway/gw-1/cmd/status/response");
        assertThat(Protocol.gatewayOfStatusTopic("gateway/gw-1/status")).isEqualTo("gw-1");
        assertThat(Protocol.gatewayOfStatusTopic("gateway/a/b/status")).isNull();
        assertThat(Protocol.validId("cli-1a:2")).isTrue();
        assertThat(Protocol.validId("../x")).isFalse();
    }
}

package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The offload configuration: defaults, and a clear error naming the setting for each bad value. */
class OffloadConfigTest {

    static MqttOffload.Config config(Object... kv) {
        Object[] all = new Object[kv.length + 2];
        all[0] = "broker_url";
        all[1] = "tcp://127.0.0.1:1883";
        System.arraycopy(kv, 0, all, 2, kv.length);
        return ConfigTest.config(MqttOffload.Config.class, all);
    }

    @Test
    void defaults() {
        MqttOffload.Settings s = MqttOffload.validate(config(), "line-1");
        assertThat(s.clientId()).isEqualTo("edgegw-offload-line-1");
        assertThat(s.topics().requestTopic()).isEqualTo("edgegateway/offload/explain");
        assertThat(s.topics().sharedFilter()).isEqualTo("$share/explainers/edgegateway/offload/explain");
        assertThat(s.topics().replyTopic("line-1")).isEqualTo("gateway/line-1/offload/reply");
        assertThat(s.serve()).isTrue();
        assertThat(s.maxPending()).isEqualTo(256);
        assertThat(s.checkIntervalMs()).isEqualTo(200);
        assertThat(s.tls()).isNull();
    }

    @Test
    void badValuesNameTheSetting() {
        assertThatThrownBy(() -> MqttOffload.validate(config("request_topic", "edgegateway/+/explain"), "g"))
                .hasMessageStartingWith("io.edgegateway.mqtt.offload: setting 'request.topic' = 'edgegateway/+/explain'");
        assertThatThrownBy(() -> MqttOffload.validate(config("request_topic", "$SYS/x"), "g"))
                .hasMessageContaining("'request.topic'");
        assertThatThrownBy(() -> MqttOffload.validate(config("group", "a/b"), "g"))
                .hasMessageContaining("setting 'group' = 'a/b' must be one topic level");
        assertThatThrownBy(() -> MqttOffload.validate(config("reply_topic", "gateway/replies"), "g"))
                .hasMessageContaining("setting 'reply.topic' = 'gateway/replies' must contain {gatewayId}");
        assertThatThrownBy(() -> MqttOffload.validate(config("reply_topic", "x/#/{gatewayId}"), "g"))
                .hasMessageContaining("'reply.topic'");
        assertThatThrownBy(() -> MqttOffload.validate(config("max_pending", 0), "g"))
                .hasMessageContaining("setting 'max.pending' = '0' is out of range");
        assertThatThrownBy(() -> MqttOffload.validate(config("broker_url", "http://x"), "g"))
                .hasMessageContaining("'broker.url'");
        assertThatThrownBy(() -> MqttOffload.validate(config("tls_ca_file", "ca.pem"), "g"))
                .hasMessageContaining("needs a TLS broker");
    }
}

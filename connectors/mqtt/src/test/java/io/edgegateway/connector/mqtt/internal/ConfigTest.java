package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigTest {

    /** An instance of a config annotation: the given values, the annotation's defaults for the rest. */
    @SuppressWarnings("unchecked")
    static <A> A config(Class<A> type, Object... keyValues) {
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            if (values.containsKey(method.getName())) {
                return values.get(method.getName());
            }
            return method.getDefaultValue();
        });
    }

    static MqttTelemetrySource.Config source(Object... kv) {
        Object[] all = new Object[kv.length + 4];
        all[0] = "broker_url";
        all[1] = "tcp://127.0.0.1:1883";
        all[2] = "topics";
        all[3] = new String[] {"plant/+/+"};
        System.arraycopy(kv, 0, all, 4, kv.length);
        return config(MqttTelemetrySource.Config.class, all);
    }

    @Test
    void sourceDefaults() {
        MqttTelemetrySource.Settings s = MqttTelemetrySource.validate(source());
        assertThat(s.broker().url()).isEqualTo("tcp://127.0.0.1:1883");
        assertThat(s.sourceName()).isEqualTo("127.0.0.1:1883");
        assertThat(s.sourceId()).isEqualTo("mqtt:127.0.0.1:1883");
        assertThat(s.qos()).isEqualTo(1);
        assertThat(s.cleanSession()).isFalse();
        assertThat(s.format()).isEqualTo(PayloadDecoder.Format.JSON);
        assertThat(s.topicPattern()).isNull();
        assertThat(s.fields()).isEqualTo(PayloadDecoder.Fields.DEFAULT);
        assertThat(s.maxPayloadBytes()).isEqualTo(65536);
        assertThat(s.reconnectMinMs()).isEqualTo(500);
        assertThat(s.reconnectMaxMs()).isEqualTo(30000);
        assertThat(s.maxInflight()).isEqualTo(1000);
        assertThat(s.clientId()).isNull();
        assertThat(s.username()).isNull();
        assertThat(s.password()).isNull();
    }

    @Test
    void commaSeparatedTopicsAndNames() {
        MqttTelemetrySource.Settings s = MqttTelemetrySource.validate(source("topics",
                new String[] {" plant/+/+ , plant/+/batch", "x/#"}, "source_name", "plant-broker",
                "payload_format", "NUMBER", "topic_pattern", "plant/{asset}/{signal}"));
        assertThat(s.topics()).containsExactly("plant/+/+", "plant/+/batch", "x/#");
        assertThat(s.sourceId()).isEqualTo("mqtt:plant-broker");
        assertThat(s.format()).isEqualTo(PayloadDecoder.Format.NUMBER);
    }

    @Test
    void sslDefaultPort() {
        assertThat(MqttTelemetrySource.validate(source("broker_url", "ssl://broker.example.com")).sourceName())
                .isEqualTo("broker.example.com:8883");
    }

    @Test
    void tlsSettings() {
        MqttTelemetrySource.Settings s = MqttTelemetrySource.validate(source("broker_url", "mqtts://broker:8884",
                "tls_ca_file", "conf/tls/ca.pem", "tls_cert_file", "/etc/gw/gw.pem", "tls_key_file", "/etc/gw/gw.key"));
        assertThat(s.broker().url()).isEqualTo("ssl://broker:8884");
        assertThat(s.tls()).isEqualTo(new TlsSettings("conf/tls/ca.pem", "/etc/gw/gw.pem", "/etc/gw/gw.key", true));
        assertThat(s.tls().create("/var/lib/gw").caFile()).isEqualTo(java.nio.file.Path.of("/var/lib/gw/conf/tls/ca.pem"));
        assertThat(MqttTelemetrySource.validate(source("broker_url", "ssl://b")).tls())
                .isEqualTo(new TlsSettings(null, null, null, true));
        assertThat(MqttTelemetrySource.validate(source()).tls()).isNull();
        assertThat(MqttUplink.validate(uplink("broker_url", "mqtts://b", "tls_hostname_verification", false), "g")
                .tls().hostnameVerification()).isFalse();
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("tls_ca_file", "ca.pem")))
                .hasMessage("io.edgegateway.mqtt.source: setting 'tls.ca.file' = 'ca.pem' needs a TLS broker: "
                        + "broker.url is tcp://127.0.0.1:1883 (use ssl://host:port or mqtts://host:port, default "
                        + "port 8883)");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("broker_url", "ssl://b", "tls_cert_file", "c.pem"), "g"))
                .hasMessageContaining("io.edgegateway.mqtt.uplink: setting 'tls.key.file' is missing");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("broker_url", "ssl://b", "tls_key_file", "k.pem"), "g"))
                .hasMessageContaining("setting 'tls.cert.file' is missing");
    }

    @Test
    void sourceErrorsNameTheSetting() {
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("broker_url", "localhost:1883")))
                .hasMessage("io.edgegateway.mqtt.source: setting 'broker.url' = 'localhost:1883' is not a valid MQTT "
                        + "URL (expected tcp://host:port, ssl://host:port or mqtts://host:port)");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("broker_url", "http://h:1")))
                .hasMessageContaining("'broker.url'");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("broker_url", "tcp://h:99999")))
                .hasMessageContaining("'broker.url'").hasMessageContaining("port");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("broker_url", null)))
                .hasMessageContaining("'broker.url' is missing");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("qos", 3)))
                .hasMessage("io.edgegateway.mqtt.source: setting 'qos' = '3' is out of range (0..2)");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("payload_format", "xml")))
                .hasMessageContaining("'payload.format' = 'xml'");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("topics", new String[] {" , "})))
                .hasMessageContaining("'topics' is missing");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("topics", null)))
                .hasMessageContaining("'topics' is missing");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("topics", new String[] {"a/#/b"})))
                .hasMessageContaining("'topics'").hasMessageContaining("a/#/b");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("payload_format", "number")))
                .hasMessageContaining("'topic.pattern' is missing");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("payload_format", "number",
                "topic_pattern", "plant/{asset}/+"))).hasMessageContaining("{signal}");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("topic_pattern", "a/{x}")))
                .hasMessageContaining("'topic.pattern' = 'a/{x}'");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("json_value", " ")))
                .hasMessageContaining("'json.value'");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("reconnect_min_ms", 50000L)))
                .hasMessageContaining("'reconnect.max.ms'");
        assertThatThrownBy(() -> MqttTelemetrySource.validate(source("max_payload_bytes", 0)))
                .hasMessageContaining("'max.payload.bytes'");
    }

    static MqttUplink.Config uplink(Object... kv) {
        Object[] all = new Object[kv.length + 2];
        all[0] = "broker_url";
        all[1] = "tcp://10.0.0.5:1883";
        System.arraycopy(kv, 0, all, 2, kv.length);
        return config(MqttUplink.Config.class, all);
    }

    @Test
    void uplinkDefaults() {
        MqttUplink.Settings s = MqttUplink.validate(uplink(), "line-1");
        assertThat(s.clientId()).isEqualTo("edgegw-line-1");
        assertThat(s.alertQos()).isEqualTo(1);
        assertThat(s.queueCapacity()).isEqualTo(100000);
        assertThat(s.outboxDir()).isNull();
        assertThat(s.fsync()).isEqualTo(io.edgegateway.connector.mqtt.internal.outbox.Outbox.Fsync.BATCH);
        assertThat(s.fsyncIntervalMs()).isZero();
        assertThat(s.outboxMaxBytes()).isEqualTo(64L << 20);
        assertThat(s.outboxMaxAgeS()).isEqualTo(604800);
        assertThat(s.overflow()).isEqualTo(io.edgegateway.connector.mqtt.internal.outbox.Outbox.Overflow.DROP_OLDEST);
        assertThat(s.segmentBytes()).isEqualTo(4 << 20);
        assertThat(s.drainRate()).isEqualTo(500);
        MqttUplink.Settings t = MqttUplink.validate(uplink("outbox_fsync", " Always ", "outbox_overflow",
                "REJECT_NEW", "outbox_dir", " /var/outbox "), "g");
        assertThat(t.fsync()).isEqualTo(io.edgegateway.connector.mqtt.internal.outbox.Outbox.Fsync.ALWAYS);
        assertThat(t.overflow()).isEqualTo(io.edgegateway.connector.mqtt.internal.outbox.Outbox.Overflow.REJECT_NEW);
        assertThat(t.outboxDir()).isEqualTo("/var/outbox");
        assertThat(s.metricsIntervalS()).isEqualTo(10);
        assertThat(s.maxInflight()).isEqualTo(1000);
        assertThat(s.reconnectMinMs()).isEqualTo(500);
        assertThat(s.reconnectMaxMs()).isEqualTo(30000);
        assertThat(MqttUplink.validate(uplink("client_id", "me", "metrics_interval_s", 0), "g").clientId())
                .isEqualTo("me");
    }

    @Test
    void uplinkErrors() {
        assertThatThrownBy(() -> MqttUplink.validate(uplink("broker_url", "tcp:/x"), "g"))
                .hasMessageStartingWith("io.edgegateway.mqtt.uplink: setting 'broker.url' = 'tcp:/x'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("alert_qos", -1), "g"))
                .hasMessageContaining("'alert.qos'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("queue_capacity", 0), "g"))
                .hasMessageContaining("'queue.capacity'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("metrics_interval_s", -5), "g"))
                .hasMessageContaining("'metrics.interval.s'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("outbox_fsync", "sometimes"), "g"))
                .hasMessage("io.edgegateway.mqtt.uplink: setting 'outbox.fsync' = 'sometimes' is not one of always, "
                        + "batch, never");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("outbox_overflow", "drop"), "g"))
                .hasMessageContaining("'outbox.overflow'").hasMessageContaining("drop-oldest, reject-new");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("outbox_drain_rate", -1), "g"))
                .hasMessageContaining("'outbox.drain.rate'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("outbox_max_age_s", 0L), "g"))
                .hasMessageContaining("'outbox.max.age.s'");
        assertThatThrownBy(() -> MqttUplink.validate(uplink("outbox_max_bytes", 10L), "g"))
                .hasMessageContaining("'outbox.max.bytes'");
    }

    @Test
    void outboxDirectory() {
        java.nio.file.Path data = java.nio.file.Path.of("/bundle/data/outbox");
        assertThat(MqttUplink.outboxDir(null, "/opt/gw", data)).isEqualTo(java.nio.file.Path.of("/opt/gw/data/outbox"));
        assertThat(MqttUplink.outboxDir("spool", "/opt/gw", data)).isEqualTo(java.nio.file.Path.of("/opt/gw/spool"));
        assertThat(MqttUplink.outboxDir("/var/spool", "/opt/gw", data)).isEqualTo(java.nio.file.Path.of("/var/spool"));
        assertThat(MqttUplink.outboxDir(null, null, data)).isEqualTo(data);
    }

    @Test
    void gatewayIdAndTopicLevels() {
        assertThat(MqttUplink.gatewayId(null)).isEqualTo("gateway");
        assertThat(MqttUplink.gatewayId("  ")).isEqualTo("gateway");
        assertThat(MqttUplink.gatewayId("line-1")).isEqualTo("line-1");
        assertThatThrownBy(() -> MqttUplink.gatewayId("a/b")).hasMessageContaining("'gateway.id' = 'a/b'");
        assertThat(MqttUplink.topicLevel("pump-1")).isEqualTo("pump-1");
        assertThat(MqttUplink.topicLevel("a/b+c#")).isEqualTo("a_b_c_");
        assertThat(MqttUplink.topicLevel("")).isEqualTo("_");
    }
}

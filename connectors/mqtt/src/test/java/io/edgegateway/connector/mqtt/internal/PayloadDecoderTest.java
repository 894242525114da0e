package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.edgegateway.api.Quality;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.connector.mqtt.internal.PayloadDecoder.Fields;
import io.edgegateway.connector.mqtt.internal.PayloadDecoder.Format;
import io.edgegateway.connector.mqtt.internal.PayloadDecoder.Result;

class PayloadDecoderTest {

    static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    static final String SRC = "mqtt:test";

    static PayloadDecoder json(String pattern) {
        return new PayloadDecoder(Format.JSON, pattern == null ? null : TopicPattern.parse(pattern), Fields.DEFAULT,
                1024, SRC);
    }

    static Result decode(PayloadDecoder d, String topic, String payload) {
        return d.decode(topic, payload.getBytes(StandardCharsets.UTF_8), NOW);
    }

    static void assertRejected(Result r, RejectReason reason, String... detailParts) {
        assertThat(r.samples()).isEmpty();
        assertThat(r.rejects()).hasSize(1);
        assertThat(r.rejects().get(0).reason()).isEqualTo(reason);
        if (detailParts.length > 0) {
            assertThat(r.rejects().get(0).detail()).contains(detailParts);
        }
    }

    @Nested
    class JsonObject {

        @Test
        void fullObject() {
            Result r = decode(json(null), "plant/x",
                    "{\"asset\":\"pump-1\",\"signal\":\"temp\",\"value\":21.5,\"unit\":\"degC\","
                            + "\"ts\":1714564800123,\"quality\":\"good\"}");
            assertThat(r.rejects()).isEmpty();
            assertThat(r.samples()).containsExactly(new TelemetrySample("pump-1", "temp", 21.5, "degC", Quality.GOOD,
                    Instant.ofEpochMilli(1714564800123L), NOW, SRC));
        }

        @Test
        void integerValueAndIgnoredFields() {
            Result r = decode(json(null), "t", "{\"meta\":{\"a\":[1,2,{\"b\":null}]},\"asset\":\"a\",\"signal\":\"s\","
                    + "\"value\":-3,\"extra\":true}");
            assertThat(r.samples()).singleElement().satisfies(s -> {
                assertThat(s.value()).isEqualTo(-3.0);
                assertThat(s.unit()).isEmpty();
                assertThat(s.quality()).isEqualTo(Quality.GOOD);
                assertThat(s.sourceTime()).isEqualTo(NOW);
                assertThat(s.receiveTime()).isEqualTo(NOW);
                assertThat(s.sourceId()).isEqualTo(SRC);
            });
        }

        @Test
        void topicDefaultsForMissingAssetAndSignal() {
            PayloadDecoder d = json("plant/{asset}/{signal}");
            assertThat(decode(d, "plant/p1/temp", "{\"value\":1}").samples())
                    .singleElement().satisfies(s -> {
                        assertThat(s.assetId()).isEqualTo("p1");
                        assertThat(s.signal()).isEqualTo("temp");
                    });
            // fields in the payload win over the topic
            assertThat(decode(d, "plant/p1/temp", "{\"asset\":\"p2\",\"value\":1}").samples())
                    .singleElement().satisfies(s -> {
                        assertThat(s.assetId()).isEqualTo("p2");
                        assertThat(s.signal()).isEqualTo("temp");
                    });
        }

        @Test
        void patternNotNeededWhenFieldsPresent() {
            Result r = decode(json("plant/{asset}/{signal}"), "other/topic",
                    "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1}");
            assertThat(r.samples()).hasSize(1);
        }

        @Test
        void customFieldNames() {
            PayloadDecoder d = new PayloadDecoder(Format.JSON, null,
                    new Fields("machine", "tag", "v", "u", "time", "q"), 1024, SRC);
            Result r = decode(d, "t", "{\"machine\":\"m\",\"tag\":\"t\",\"v\":2,\"u\":\"bar\","
                    + "\"time\":\"2024-01-01T00:00:00Z\",\"q\":\"Uncertain\",\"value\":\"ignored\"}");
            assertThat(r.samples()).singleElement().satisfies(s -> {
                assertThat(s.assetId()).isEqualTo("m");
                assertThat(s.unit()).isEqualTo("bar");
                assertThat(s.quality()).isEqualTo(Quality.UNCERTAIN);
                assertThat(s.sourceTime()).isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
            });
        }

        @Test
        void numericAssetIdAccepted() {
            assertThat(decode(json(null), "t", "{\"asset\":17,\"signal\":\"s\",\"value\":1}").samples())
                    .singleElement().extracting(TelemetrySample::assetId).isEqualTo("17");
        }
    }

    @Nested
    class Timestamps {

        Instant ts(String json) {
            Result r = decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1,\"ts\":" + json + "}");
            assertThat(r.rejects()).isEmpty();
            return r.samples().get(0).sourceTime();
        }

        @Test
        void epochMillis() {
            assertThat(ts("1714564800123")).isEqualTo(Instant.ofEpochMilli(1714564800123L));
            assertThat(ts("1714564800123.5")).isEqualTo(Instant.ofEpochMilli(1714564800123L).plusNanos(500_000));
            assertThat(ts("0")).isEqualTo(Instant.EPOCH);
        }

        @Test
        void iso() {
            assertThat(ts("\"2024-05-01T12:00:00Z\"")).isEqualTo(Instant.parse("2024-05-01T12:00:00Z"));
            assertThat(ts("\"2024-05-01T12:00:00.250Z\"")).isEqualTo(Instant.parse("2024-05-01T12:00:00.250Z"));
            assertThat(ts("\"2024-05-01T14:00:00+02:00\"")).isEqualTo(Instant.parse("2024-05-01T12:00:00Z"));
        }

        @Test
        void nullMeansReceiveTime() {
            assertThat(ts("null")).isEqualTo(NOW);
        }

        @Test
        void badTimestampsRejected() {
            for (String bad : new String[] {"\"yesterday\"", "\"2024-05-01 12:00\"", "true", "{}", "[1]",
                    "1e300", "123456789012345678901234567890"}) {
                Result r = decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1,\"ts\":" + bad + "}");
                assertRejected(r, RejectReason.MALFORMED_PAYLOAD, "field 'ts'");
            }
        }
    }

    @Nested
    class QualityMapping {

        Result q(String quality, String value) {
            return decode(json(null), "t",
                    "{\"asset\":\"a\",\"signal\":\"s\",\"value\":" + value + ",\"quality\":" + quality + "}");
        }

        @Test
        void caseInsensitive() {
            assertThat(q("\"GOOD\"", "1").samples().get(0).quality()).isEqualTo(Quality.GOOD);
            assertThat(q("\"uncertain\"", "1").samples().get(0).quality()).isEqualTo(Quality.UNCERTAIN);
            assertThat(q("\"Bad\"", "1").samples().get(0).quality()).isEqualTo(Quality.BAD);
            assertThat(q("null", "1").samples().get(0).quality()).isEqualTo(Quality.GOOD);
        }

        @Test
        void unknownQualityRejected() {
            assertRejected(q("\"excellent\"", "1"), RejectReason.MALFORMED_PAYLOAD, "'quality'", "excellent");
            assertRejected(q("192", "1"), RejectReason.MALFORMED_PAYLOAD, "'quality'");
        }

        @Test
        void badQualityAllowsNonFiniteOrMissingValue() {
            assertThat(q("\"BAD\"", "NaN").samples()).singleElement()
                    .satisfies(s -> assertThat(s.value()).isNaN());
            assertThat(q("\"BAD\"", "null").samples()).singleElement()
                    .satisfies(s -> assertThat(s.value()).isNaN());
            Result r = decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"quality\":\"BAD\"}");
            assertThat(r.samples()).singleElement().satisfies(s -> assertThat(s.value()).isNaN());
        }

        @Test
        void uncertainNeedsFiniteValue() {
            assertRejected(q("\"UNCERTAIN\"", "Infinity"), RejectReason.NON_FINITE_VALUE, "UNCERTAIN");
        }
    }

    @Nested
    class Rejects {

        @Test
        void oversized() {
            PayloadDecoder d = new PayloadDecoder(Format.JSON, null, Fields.DEFAULT, 10, SRC);
            assertRejected(decode(d, "plant/a", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1}"),
                    RejectReason.OVERSIZED_PAYLOAD, "plant/a", "bytes", "max.payload.bytes=10");
        }

        @Test
        void empty() {
            assertRejected(json(null).decode("t", new byte[0], NOW), RejectReason.MALFORMED_PAYLOAD, "empty");
            assertRejected(json(null).decode("t", null, NOW), RejectReason.MALFORMED_PAYLOAD, "empty");
            assertRejected(decode(json(null), "t", "   "), RejectReason.MALFORMED_PAYLOAD);
        }

        @Test
        void notJson() {
            assertRejected(decode(json(null), "plant/a", "hello world"), RejectReason.MALFORMED_PAYLOAD,
                    "topic 'plant/a'", "invalid JSON");
        }

        @Test
        void truncated() {
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"val"),
                    RejectReason.MALFORMED_PAYLOAD, "truncated");
            assertRejected(decode(json(null), "t", "[{\"asset\":\"a\",\"signal\":\"s\",\"value\":1},"),
                    RejectReason.MALFORMED_PAYLOAD, "truncated");
        }

        @Test
        void trailingGarbage() {
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1} x"),
                    RejectReason.MALFORMED_PAYLOAD);
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1}{}"),
                    RejectReason.MALFORMED_PAYLOAD);
        }

        @Test
        void wrongStructure() {
            assertRejected(decode(json("p/{asset}/{signal}"), "p/a/s", "42"), RejectReason.MALFORMED_PAYLOAD,
                    "expected a JSON object or array", "a number");
            assertRejected(decode(json(null), "t", "\"text\""), RejectReason.MALFORMED_PAYLOAD, "text");
        }

        @Test
        void nonNumericValues() {
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":\"12.5\"}"),
                    RejectReason.NON_NUMERIC_VALUE, "field 'value' is text", "\"12.5\"");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":true}"),
                    RejectReason.NON_NUMERIC_VALUE, "a boolean");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":{\"x\":1}}"),
                    RejectReason.NON_NUMERIC_VALUE, "an object");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":[1]}"),
                    RejectReason.NON_NUMERIC_VALUE, "an array");
        }

        @Test
        void offendingTextIsTruncated() {
            String longText = "x".repeat(500);
            Result r = decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":\"" + longText + "\"}");
            assertThat(r.rejects().get(0).detail()).contains("x".repeat(80) + "\"... (500 chars)")
                    .doesNotContain("x".repeat(81)).hasSizeLessThan(200);
        }

        @Test
        void nonFinite() {
            for (String v : new String[] {"NaN", "Infinity", "-Infinity"}) {
                assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":" + v + "}"),
                        RejectReason.NON_FINITE_VALUE, v, "GOOD");
            }
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1e400}"),
                    RejectReason.NON_FINITE_VALUE, "outside the double range");
            assertRejected(decode(json(null), "t",
                            "{\"asset\":\"a\",\"signal\":\"s\",\"value\":-" + "9".repeat(400) + "}"),
                    RejectReason.NON_FINITE_VALUE, "outside the double range");
        }

        @Test
        void missingFieldsWithoutPattern() {
            assertRejected(decode(json(null), "t", "{\"signal\":\"s\",\"value\":1}"), RejectReason.MISSING_FIELD,
                    "field 'asset' missing", "no topic.pattern");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"value\":1}"), RejectReason.MISSING_FIELD,
                    "field 'signal' missing");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\"}"), RejectReason.MISSING_FIELD,
                    "field 'value' missing");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":null}"),
                    RejectReason.MISSING_FIELD, "field 'value' is null");
            assertRejected(decode(json(null), "t", "{\"asset\":\"  \",\"signal\":\"s\",\"value\":1}"),
                    RejectReason.MISSING_FIELD, "field 'asset' missing");
        }

        @Test
        void missingFieldWithPatternLackingPlaceholder() {
            assertRejected(decode(json("plant/{asset}/+"), "plant/a/x", "{\"value\":1}"),
                    RejectReason.MISSING_FIELD, "'signal'", "has no {signal}");
        }

        @Test
        void unknownTopicWhenPatternNeeded() {
            assertRejected(decode(json("plant/{asset}/{signal}"), "factory/a/b", "{\"value\":1}"),
                    RejectReason.UNKNOWN_TOPIC, "factory/a/b", "plant/{asset}/{signal}");
        }

        @Test
        void wrongFieldTypes() {
            assertRejected(decode(json(null), "t", "{\"asset\":{\"id\":1},\"signal\":\"s\",\"value\":1}"),
                    RejectReason.MALFORMED_PAYLOAD, "field 'asset' is an object");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":[],\"value\":1}"),
                    RejectReason.MALFORMED_PAYLOAD, "field 'signal' is an array");
            assertRejected(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1,\"unit\":true}"),
                    RejectReason.MALFORMED_PAYLOAD, "field 'unit' is a boolean");
        }

        @Test
        void invalidUtf8() {
            byte[] bad = {'{', '"', 'a', 's', 's', 'e', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', ',',
                    '"', 's', 'i', 'g', 'n', 'a', 'l', '"', ':', '"', 's', '"', ',', '"', 'v', 'a', 'l', 'u', 'e', '"',
                    ':', '1', '}'};
            assertRejected(json(null).decode("t", bad, NOW), RejectReason.MALFORMED_PAYLOAD, "not valid UTF-8");
            // also inside a field we ignore
            byte[] ignored = "{\"x\":\"\u0000\",\"asset\":\"a\",\"signal\":\"s\",\"value\":1}"
                    .getBytes(StandardCharsets.UTF_8);
            ignored[6] = (byte) 0xFF;
            assertRejected(json(null).decode("t", ignored, NOW), RejectReason.MALFORMED_PAYLOAD, "not valid UTF-8");
        }

        @Test
        void deeplyNested() {
            String deep = "[".repeat(5000) + "]".repeat(5000);
            assertRejected(decode(new PayloadDecoder(Format.JSON, null, Fields.DEFAULT, 100_000, SRC), "t",
                    "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1,\"meta\":" + deep + "}"),
                    RejectReason.MALFORMED_PAYLOAD, "nesting");
            // moderately nested metadata is fine
            String ok = "{\"m\":".repeat(20) + "1" + "}".repeat(20);
            assertThat(decode(json(null), "t", "{\"asset\":\"a\",\"signal\":\"s\",\"value\":1,\"meta\":" + ok + "}")
                    .samples()).hasSize(1);
        }

        @Test
        void neverThrowsOnGarbage() {
            java.util.Random rnd = new java.util.Random(42);
            PayloadDecoder d = json("plant/{asset}/{signal}");
            for (int i = 0; i < 2000; i++) {
                byte[] b = new byte[rnd.nextInt(64)];
                rnd.nextBytes(b);
                Result r = d.decode("plant/a/s", b, NOW);
                assertThat(r.samples().size() + r.rejects().size()).isGreaterThan(0);
            }
        }
    }

    @Nested
    class Batch {

        @Test
        void goodElementsPassBadOnesAreRejectedEach() {
            Result r = decode(json("plant/{asset}/batch"), "plant/p1/batch", "["
                    + "{\"signal\":\"temp\",\"value\":20.5,\"unit\":\"degC\"},"
                    + "{\"signal\":\"pressure\",\"value\":\"high\"},"
                    + "42,"
                    + "{\"value\":3},"
                    + "{\"asset\":\"p2\",\"signal\":\"flow\",\"value\":7,\"ts\":\"2024-05-01T11:59:59Z\"}"
                    + "]");
            assertThat(r.samples()).extracting(TelemetrySample::assetId, TelemetrySample::signal,
                            TelemetrySample::value)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("p1", "temp", 20.5),
                            org.assertj.core.groups.Tuple.tuple("p2", "flow", 7.0));
            assertThat(r.rejects()).extracting(PayloadDecoder.Reject::reason).containsExactly(
                    RejectReason.NON_NUMERIC_VALUE, RejectReason.MALFORMED_PAYLOAD, RejectReason.MISSING_FIELD);
            assertThat(r.rejects().get(0).detail()).contains("plant/p1/batch", "batch element 1", "'value'", "high");
            assertThat(r.rejects().get(1).detail()).contains("batch element 2", "a number");
            assertThat(r.rejects().get(2).detail()).contains("batch element 3", "'signal'");
        }

        @Test
        void emptyBatch() {
            Result r = decode(json(null), "t", "[]");
            assertThat(r.samples()).isEmpty();
            assertThat(r.rejects()).isEmpty();
        }

        @Test
        void syntaxErrorRejectsWholeBatchOnce() {
            Result r = decode(json(null), "t", "[{\"asset\":\"a\",\"signal\":\"s\",\"value\":1},"
                    + "{\"asset\":\"a\",\"signal\":\"s\",\"value\":\"x\"},{\"asset\":}]");
            assertRejected(r, RejectReason.MALFORMED_PAYLOAD, "invalid JSON");
        }
    }

    @Nested
    class PlainNumber {

        PayloadDecoder number() {
            return new PayloadDecoder(Format.NUMBER, TopicPattern.parse("plant/+/{asset}/{signal}"), Fields.DEFAULT,
                    64, SRC);
        }

        @Test
        void valueFromPayloadAssetSignalFromTopic() {
            Result r = decode(number(), "plant/hall-2/pump-1/temp", " 21.75\n");
            assertThat(r.samples()).containsExactly(new TelemetrySample("pump-1", "temp", 21.75, "", Quality.GOOD,
                    NOW, NOW, SRC));
            assertThat(decode(number(), "plant/h/p/s", "-1e3").samples().get(0).value()).isEqualTo(-1000.0);
            assertThat(decode(number(), "plant/h/p/s", "42").samples().get(0).value()).isEqualTo(42.0);
            assertThat(decode(number(), "plant/h/p/s", ".5").samples().get(0).value()).isEqualTo(0.5);
        }

        @Test
        void rejects() {
            assertRejected(decode(number(), "plant/p/s", "1"), RejectReason.UNKNOWN_TOPIC, "plant/p/s");
            assertRejected(decode(number(), "other/h/p/s", "1"), RejectReason.UNKNOWN_TOPIC);
            assertRejected(decode(number(), "plant/h/p/s", "abc"), RejectReason.NON_NUMERIC_VALUE, "\"abc\"");
            assertRejected(decode(number(), "plant/h/p/s", "true"), RejectReason.NON_NUMERIC_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "0x10"), RejectReason.NON_NUMERIC_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "1.5f"), RejectReason.NON_NUMERIC_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "{\"value\":1}"), RejectReason.NON_NUMERIC_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "NaN"), RejectReason.NON_FINITE_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "-Infinity"), RejectReason.NON_FINITE_VALUE);
            assertRejected(decode(number(), "plant/h/p/s", "1e999"), RejectReason.NON_FINITE_VALUE, "double range");
            assertRejected(decode(number(), "plant/h/p/s", ""), RejectReason.MALFORMED_PAYLOAD, "empty");
            assertRejected(decode(number(), "plant/h/p/s", "  "), RejectReason.MALFORMED_PAYLOAD, "blank");
            assertRejected(number().decode("plant/h/p/s", new byte[] {'1', (byte) 0xFF}, NOW),
                    RejectReason.MALFORMED_PAYLOAD, "UTF-8");
            assertRejected(decode(number(), "plant/h/p/s", "1".repeat(65)), RejectReason.OVERSIZED_PAYLOAD);
        }

        @Test
        void needsPatternWithAssetAndSignal() {
            assertThatThrownBy(() -> new PayloadDecoder(Format.NUMBER, null, Fields.DEFAULT, 64, SRC))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new PayloadDecoder(Format.NUMBER, TopicPattern.parse("a/{asset}/+"),
                    Fields.DEFAULT, 64, SRC)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

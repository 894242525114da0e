package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.RejectReason;

/** The decoder's UTF-8 check: what RFC 3629 calls well-formed, nothing more, nothing less. */
class Utf8ValidationTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void acceptsEveryWellFormedCodePoint() {
        StringBuilder all = new StringBuilder();
        for (int cp = 0; cp <= 0x10FFFF; cp += cp < 0x800 ? 1 : 7) {
            if (cp < 0xD800 || cp > 0xDFFF) {
                all.appendCodePoint(cp);
            }
        }
        all.appendCodePoint(0x10FFFF).appendCodePoint(0xFFFF).appendCodePoint(0xD7FF).appendCodePoint(0xE000);
        assertThat(PayloadDecoder.isValidUtf8(all.toString().getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(PayloadDecoder.isValidUtf8("{\"asset\":\"Pumpe-Süd\",\"unit\":\"°C\",\"v\":\"€𝄞\"}"
                .getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(PayloadDecoder.isValidUtf8(new byte[0])).isTrue();
    }

    @Test
    void rejectsOverlongSurrogatesOutOfRangeAndTruncated() {
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xC0, 0x80))).as("overlong NUL").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xC1, 0xBF))).as("overlong 2-byte").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xE0, 0x80, 0x80))).as("overlong 3-byte").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xF0, 0x80, 0x80, 0x80))).as("overlong 4-byte").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xED, 0xA0, 0x80))).as("surrogate U+D800").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xED, 0xBF, 0xBF))).as("surrogate U+DFFF").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xF4, 0x90, 0x80, 0x80))).as("above U+10FFFF").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xF5, 0x80, 0x80, 0x80))).as("F5 lead").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xFF))).as("FF").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0x80))).as("lone continuation").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xE2, 0x82))).as("truncated").isFalse();
        assertThat(PayloadDecoder.isValidUtf8(bytes(0xE2, 0x28, 0xA1))).as("bad continuation").isFalse();
    }

    @Test
    void agreesWithTheJdkStrictDecoderOnRandomBytes() throws Exception {
        Random random = new Random(5);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[1 + random.nextInt(6)];
            random.nextBytes(b);
            boolean jdk;
            try {
                StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            assertThat(PayloadDecoder.isValidUtf8(b)).as("bytes %s", java.util.HexFormat.of().formatHex(b))
                    .isEqualTo(jdk);
        }
    }

    @Test
    void jsonWithOverlongOrSurrogateBytesIsRejectedAsMalformed() {
        PayloadDecoder d = PayloadDecoderTest.json("plant/{asset}/{signal}");
        byte[] overlong = "{\"asset\":\"p\u0001\",\"value\":1}".getBytes(StandardCharsets.UTF_8);
        overlong[11] = (byte) 0xC0; // replace the control char by an overlong NUL: C0 80
        byte[] withNul = new byte[overlong.length + 1];
        System.arraycopy(overlong, 0, withNul, 0, 12);
        withNul[12] = (byte) 0x80;
        System.arraycopy(overlong, 12, withNul, 13, overlong.length - 12);
        PayloadDecoder.Result r = d.decode("plant/p/s", withNul, Instant.EPOCH);
        assertThat(r.samples()).isEmpty();
        assertThat(r.rejects()).extracting(PayloadDecoder.Reject::reason).containsExactly(RejectReason.MALFORMED_PAYLOAD);
        assertThat(r.rejects().get(0).detail()).contains("UTF-8");

        byte[] good = "{\"asset\":\"p\",\"value\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(d.decode("plant/p/s", good, Instant.EPOCH).samples()).hasSize(1);
    }
}

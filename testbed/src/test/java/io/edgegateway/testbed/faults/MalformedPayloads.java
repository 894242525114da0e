package io.edgegateway.testbed.faults;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * Generates MQTT telemetry messages for the JSON source of the default configuration (topic
 * {@code plant/{asset}/{signal}}, {@code max.payload.bytes} 65536) together with what the decoder must make of each,
 * following its documented rules (PayloadDecoder's class comment, the README's configuration reference): a valid
 * message becomes {@link Case#samples} samples and no reject; an invalid one exactly one reject with
 * {@link Case#reason} and no sample. Families: valid objects (any field order, unicode text, every timestamp and
 * quality form, unknown fields nested up to 40 levels, numbers from 4.9e-324 to 1.79e308 and up to 300 digits,
 * asset/signal from the topic), quality BAD with null, missing or non-finite values, batches; and invalid: empty,
 * blank, invalid UTF-8, NaN/Infinity without quality BAD, numbers beyond the double range or longer than 1000
 * characters, nesting beyond 64 levels, truncated documents, trailing garbage, non-numeric values, missing values,
 * bad timestamps, qualities and field types, non-objects, oversized payloads.
 *
 * <p>Not generated: overlong UTF-8 ({@code C0 80}) and UTF-8-encoded surrogates ({@code ED A0 80}). They are invalid
 * UTF-8, but the decoder (Jackson underneath) accepts them today, as U+0000 and a lone U+D800 in the text; whether
 * that is a bug is for the decoder's owners to decide, so this generator stays within what the decoder is known to do.
 *
 * <p>Deterministic for a given {@link Random}: a failure is reproduced by the seed.
 */
final class MalformedPayloads {

    static final String MALFORMED = "malformed_payload";
    static final String NON_NUMERIC = "non_numeric_value";
    static final String NON_FINITE = "non_finite_value";
    static final String MISSING = "missing_field";
    static final String OVERSIZED = "oversized_payload";
    static final int MAX_PAYLOAD = 65536;

    /** One message and what must become of it: {@code samples} > 0 and reason null, or 0 and one reject. */
    record Case(String family, String topic, byte[] payload, int samples, String reason) {
        boolean valid() {
            return reason == null;
        }

        @Override
        public String toString() {
            String text = new String(payload, 0, Math.min(payload.length, 300), StandardCharsets.UTF_8);
            return family + " on " + topic + " (" + payload.length + " bytes, expect "
                    + (valid() ? samples + " samples" : reason) + "): " + text;
        }
    }

    private static final String[] ASSETS = {"pump-1", "pump-2", "line-7", "kiln", "Pumpe-Ä", "泵-3", "conv/4",
            "m+1", "valve#2", "42", "tank 9", "ölpumpe", "a\"b", "x\\y"};
    private static final String[] TOPIC_ASSETS = {"pump-1", "pump-2", "line-7", "kiln", "tank-9", "fan-3"};
    /** No rule of the default deploy/ matches these signals: no alert traffic. */
    private static final String[] SIGNALS = {"flow", "pressure", "level", "speed", "current", "Durchfluss", "温度"};
    private static final String[] KNOWN = {"asset", "signal", "value", "unit", "ts", "quality"};
    private static final String[] WS = {"", "", "", " ", "\n", "\t", "\r\n", "  "};

    private MalformedPayloads() {
    }

    static Case next(Random r) {
        int k = r.nextInt(1000);
        // valid: 60 %
        if (k < 380) {
            return validObject(r, "valid");
        }
        if (k < 430) {
            return badQuality(r);
        }
        if (k < 480) {
            return batch(r);
        }
        if (k < 530) {
            return topicFallback(r);
        }
        if (k < 600) {
            return nestedOk(r);
        }
        // invalid: 40 %
        if (k < 615) {
            return invalid("empty", topic(r), new byte[0], MALFORMED);
        }
        if (k < 625) {
            return invalid("blank", topic(r), ws(r, 1 + r.nextInt(5)).getBytes(StandardCharsets.UTF_8), MALFORMED);
        }
        if (k < 665) {
            return invalidUtf8(r);
        }
        if (k < 695) {
            return nonFinite(r);
        }
        if (k < 720) {
            return huge(r);
        }
        if (k < 730) {
            return tooLongNumber(r);
        }
        if (k < 750) {
            return deep(r);
        }
        if (k < 810) {
            return truncated(r);
        }
        if (k < 825) {
            return trailing(r);
        }
        if (k < 850) {
            return nonNumeric(r);
        }
        if (k < 870) {
            return missingValue(r);
        }
        if (k < 890) {
            return badTimestamp(r);
        }
        if (k < 905) {
            return badQualityText(r);
        }
        if (k < 920) {
            return badFieldType(r);
        }
        if (k < 935) {
            return notAnObject(r);
        }
        if (k < 945) {
            return badBatchElement(r);
        }
        if (k < 950) {
            return oversized(r);
        }
        return validObject(r, "valid");
    }

    // ------------------------------------------------------------------ valid

    /** A JSON object as (name, raw JSON value) pairs, written in random order with random whitespace. */
    private static final class Obj {
        final List<String[]> fields = new ArrayList<>();

        Obj put(String name, String rawValue) {
            fields.removeIf(f -> f[0].equals(name));
            if (rawValue != null) {
                fields.add(new String[] {name, rawValue});
            }
            return this;
        }

        String write(Random r) {
            List<String[]> order = new ArrayList<>(fields);
            Collections.shuffle(order, r);
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < order.size(); i++) {
                if (i > 0) {
                    b.append(ws(r)).append(',');
                }
                b.append(ws(r)).append(str(order.get(i)[0])).append(ws(r)).append(':').append(ws(r))
                        .append(order.get(i)[1]);
            }
            return b.append(ws(r)).append('}').toString();
        }
    }

    /** A valid sample object; asset, signal and value always present (callers change them). */
    private static Obj sample(Random r) {
        Obj o = new Obj();
        o.put("asset", r.nextInt(20) == 0 ? "42" : str(pick(r, ASSETS)));
        o.put("signal", str(pick(r, SIGNALS)));
        o.put("value", finiteNumber(r));
        switch (r.nextInt(4)) {
            case 0 -> o.put("unit", str(unicode(r, r.nextInt(12))));
            case 1 -> o.put("unit", "null");
            case 2 -> o.put("unit", str(pick(r, new String[] {"degC", "bar", "m³/h", "mm/s", "%", ""})));
            default -> { }
        }
        switch (r.nextInt(7)) {
            case 0 -> o.put("ts", Long.toString(1_700_000_000_000L + r.nextInt(1_000_000_000)));
            case 1 -> o.put("ts", str(Instant.ofEpochMilli(1_700_000_000_000L + r.nextInt(1_000_000_000)).toString()));
            case 2 -> o.put("ts", str(Instant.ofEpochMilli(1_700_000_000_000L).atOffset(ZoneOffset.ofHours(
                    r.nextInt(25) - 12)).toString()));
            case 3 -> o.put("ts", (1_700_000_000_000L + r.nextInt(1000)) + "." + r.nextInt(1000));
            case 4 -> o.put("ts", "null");
            case 5 -> o.put("ts", pick(r, new String[] {"0", "-1", "9223372036854775807", "-9223372036854775808",
                    "253402300799999"}));
            default -> { }
        }
        switch (r.nextInt(6)) {
            case 0 -> o.put("quality", str(pick(r, new String[] {"GOOD", "good", "Uncertain", " UNCERTAIN "})));
            case 1 -> o.put("quality", "null");
            default -> { }
        }
        int extra = r.nextInt(4);
        for (int i = 0; i < extra; i++) {
            o.put(unknownName(r), anyJson(r, r.nextInt(4)));
        }
        return o;
    }

    private static Case validObject(Random r, String family) {
        return valid(family, topic(r), sample(r).write(r), 1);
    }

    private static Case badQuality(Random r) {
        Obj o = sample(r);
        o.put("quality", str(pick(r, new String[] {"BAD", "bad", "Bad"})));
        switch (r.nextInt(6)) {
            case 0 -> o.put("value", null);
            case 1 -> o.put("value", "null");
            case 2 -> o.put("value", pick(r, new String[] {"NaN", "Infinity", "-Infinity", "+Infinity", "+INF",
                    "-INF"}));
            case 3 -> o.put("value", "1e" + (309 + r.nextInt(600)));
            default -> { }
        }
        return valid("valid-bad-quality", topic(r), o.write(r), 1);
    }

    private static Case batch(Random r) {
        int n = 1 + r.nextInt(5);
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(ws(r)).append(sample(r).write(r));
        }
        return valid("valid-batch", topic(r), b.append(ws(r)).append(']').toString(), n);
    }

    private static Case topicFallback(Random r) {
        Obj o = sample(r);
        switch (r.nextInt(4)) {
            case 0 -> o.put("asset", null);
            case 1 -> o.put("asset", "null");
            case 2 -> o.put("asset", str(ws(r, r.nextInt(3))));
            default -> o.put("signal", r.nextBoolean() ? null : "\"\"");
        }
        return valid("valid-topic-fallback", topic(r), o.write(r), 1);
    }

    private static Case nestedOk(Random r) {
        Obj o = sample(r);
        int depth = 1 + r.nextInt(40); // the object itself is level 1: at most 41 levels
        o.put("meta", nest(r, depth, "1"));
        return valid("valid-nested", topic(r), o.write(r), 1);
    }

    // ------------------------------------------------------------------ invalid

    private static Case invalidUtf8(Random r) {
        Obj o = sample(r);
        String marker = "@@MARK@@";
        // in a field the decoder reads (unit or asset): its text is decoded, so any broken sequence is found
        o.put(r.nextBoolean() ? "unit" : "asset", str("x" + marker + "y"));
        String json = o.write(r);
        byte[] bad = pick(r, new byte[][] {
                {(byte) 0x80},                          // continuation byte without a lead byte
                {(byte) 0xBF, 'a'},
                {(byte) 0xC3, '('},                     // lead byte, then no continuation
                {(byte) 0xE2, (byte) 0x82, 'z'},        // 3-byte sequence cut short
                {(byte) 0xF0, (byte) 0x9F, (byte) 0x98}, // 4-byte sequence cut short (then 'y')
                {(byte) 0xFF},
                {(byte) 0xFE, (byte) 0xFE},
                {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}});
        byte[] payload = replace(json.getBytes(StandardCharsets.UTF_8), marker, bad);
        return invalid("invalid-utf8", topic(r), payload, MALFORMED);
    }

    private static Case nonFinite(Random r) {
        Obj o = sample(r);
        o.put("value", pick(r, new String[] {"NaN", "Infinity", "-Infinity", "+Infinity", "+INF", "-INF"}));
        notBad(r, o);
        return invalid("nan-infinity", topic(r), o.write(r), NON_FINITE);
    }

    private static Case huge(Random r) {
        Obj o = sample(r);
        o.put("value", switch (r.nextInt(3)) {
            case 0 -> (r.nextBoolean() ? "-" : "") + "1e" + (309 + r.nextInt(5000));
            case 1 -> digits(r, 310 + r.nextInt(600));   // integer beyond 1.8e308, within 1000 characters
            default -> "1.8e308";
        });
        notBad(r, o);
        return invalid("huge-number", topic(r), o.write(r), NON_FINITE);
    }

    private static Case tooLongNumber(Random r) {
        Obj o = sample(r);
        String n = digits(r, 1001 + r.nextInt(3000));
        if (r.nextBoolean()) {
            o.put("value", n);
        } else {
            o.put("x_big", r.nextBoolean() ? n : "0." + n); // even in a field nobody reads
        }
        return invalid("number-too-long", topic(r), o.write(r), MALFORMED);
    }

    private static Case deep(Random r) {
        Obj o = sample(r);
        int depth = 70 + r.nextInt(r.nextBoolean() ? 100 : 8_000); // at most ~48 KB: not oversized
        o.put(r.nextInt(4) == 0 ? "value" : "meta", nest(r, depth, "1"));
        return invalid("deep-nesting", topic(r), o.write(r), MALFORMED);
    }

    private static Case truncated(Random r) {
        Case whole = r.nextInt(5) == 0 ? batch(r) : validObject(r, "valid");
        byte[] p = whole.payload();
        int cut = 1 + r.nextInt(p.length - 1);
        byte[] part = new byte[cut];
        System.arraycopy(p, 0, part, 0, cut);
        return invalid("truncated", whole.topic(), part, MALFORMED);
    }

    private static Case trailing(Random r) {
        String json = sample(r).write(r) + ws(r)
                + pick(r, new String[] {"x", "{}", "1", "]", "}", "[", "\"a\"", "{\"value\":1}", "null", ","});
        return invalid("trailing-garbage", topic(r), json, MALFORMED);
    }

    private static Case nonNumeric(Random r) {
        Obj o = sample(r);
        o.put("value", pick(r, new String[] {"\"12.5\"", "\"abc\"", "\"\"", "true", "false", "{}", "[]", "[1]",
                "{\"v\":1}", str(unicode(r, 5))}));
        if (r.nextInt(3) == 0) {
            o.put("quality", "\"BAD\""); // quality does not excuse a value of the wrong type
        }
        return invalid("non-numeric", topic(r), o.write(r), NON_NUMERIC);
    }

    private static Case missingValue(Random r) {
        Obj o = sample(r);
        o.put("value", r.nextBoolean() ? null : "null");
        notBad(r, o);
        return invalid("missing-value", topic(r), o.write(r), MISSING);
    }

    private static Case badTimestamp(Random r) {
        Obj o = sample(r);
        o.put("ts", pick(r, new String[] {"\"yesterday\"", "\"2024-13-01T00:00:00Z\"", "\"2024-05-01 12:00:00\"",
                "\"\"", "true", "{}", "[1]", "1e20", "-3.1e14", "99999999999999999999", "NaN"}));
        return invalid("bad-timestamp", topic(r), o.write(r), MALFORMED);
    }

    private static Case badQualityText(Random r) {
        Obj o = sample(r);
        o.put("quality", pick(r, new String[] {"\"OK\"", "\"\"", "\"GOODISH\"", "1", "true", "{}", "[\"GOOD\"]"}));
        return invalid("bad-quality", topic(r), o.write(r), MALFORMED);
    }

    private static Case badFieldType(Random r) {
        Obj o = sample(r);
        o.put(pick(r, new String[] {"asset", "signal", "unit"}), pick(r, new String[] {"true", "false", "{}",
                "[]", "[\"a\"]", "{\"name\":\"x\"}"}));
        return invalid("bad-field-type", topic(r), o.write(r), MALFORMED);
    }

    private static Case notAnObject(Random r) {
        String json = pick(r, new String[] {"42", "-1.5", "\"text\"", "true", "null", "NaN", "hello", "<xml/>",
                "'single'", "{'a':1}", "{asset:\"a\"}", "}", "]"});
        return invalid("not-an-object", topic(r), ws(r) + json, MALFORMED);
    }

    private static Case badBatchElement(Random r) {
        String json = "[" + ws(r) + pick(r, new String[] {"1", "\"a\"", "null", "true", "[]", "[{}]"}) + ws(r) + "]";
        return invalid("batch-non-object", topic(r), json, MALFORMED);
    }

    private static Case oversized(Random r) {
        Obj o = sample(r);
        o.put("x_pad", str("p".repeat(MAX_PAYLOAD + r.nextInt(2000))));
        return invalid("oversized", topic(r), o.write(r), OVERSIZED);
    }

    // ------------------------------------------------------------------ helpers

    /** Quality absent, null, GOOD or UNCERTAIN: anything but BAD. */
    private static void notBad(Random r, Obj o) {
        switch (r.nextInt(4)) {
            case 0 -> o.put("quality", null);
            case 1 -> o.put("quality", "null");
            case 2 -> o.put("quality", "\"GOOD\"");
            default -> o.put("quality", "\"uncertain\"");
        }
    }

    private static Case valid(String family, String topic, String json, int samples) {
        return new Case(family, topic, json.getBytes(StandardCharsets.UTF_8), samples, null);
    }

    private static Case invalid(String family, String topic, String json, String reason) {
        return invalid(family, topic, json.getBytes(StandardCharsets.UTF_8), reason);
    }

    private static Case invalid(String family, String topic, byte[] payload, String reason) {
        return new Case(family, topic, payload, 0, reason);
    }

    private static String topic(Random r) {
        return "plant/" + pick(r, TOPIC_ASSETS) + "/" + pick(r, new String[] {"flow", "pressure", "level"});
    }

    /** A finite number as JSON text, in many spellings. */
    private static String finiteNumber(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> Integer.toString(r.nextInt(2000) - 1000);
            case 1 -> Double.toString(r.nextGaussian() * 100);
            case 2 -> String.format(Locale.ROOT, "%.3f", r.nextDouble() * 500);
            case 3 -> pick(r, new String[] {"0", "-0", "-0.0", "0.0", "1e308", "-1.7976931348623157E308",
                    "1.7976931348623157e308", "4.9e-324", "1e-400", "2.2250738585072014E-308", "1E+2", "1e0"});
            case 4 -> (r.nextBoolean() ? "-" : "") + digits(r, 1 + r.nextInt(300)); // up to 300 digits: finite
            case 5 -> "0." + digits(r, 1 + r.nextInt(300));
            case 6 -> Long.toString(r.nextLong());
            case 7 -> Double.toString(Double.longBitsToDouble(r.nextLong() & 0x7FEFFFFFFFFFFFFFL)); // any finite
            default -> String.format(Locale.ROOT, "%.2f", 20 + r.nextDouble() * 60);
        };
    }

    /** A number of {@code n} digits, no leading zero. */
    private static String digits(Random r, int n) {
        StringBuilder b = new StringBuilder(n);
        b.append((char) ('1' + r.nextInt(9)));
        for (int i = 1; i < n; i++) {
            b.append((char) ('0' + r.nextInt(10)));
        }
        return b.toString();
    }

    /** Arrays and objects nested {@code depth} levels around {@code inner}. */
    private static String nest(Random r, int depth, String inner) {
        StringBuilder open = new StringBuilder(depth * 6);
        StringBuilder close = new StringBuilder(depth);
        for (int i = 0; i < depth; i++) {
            if (r.nextBoolean()) {
                open.append('[');
                close.append(']');
            } else {
                open.append("{\"n\":");
                close.append('}');
            }
        }
        return open + inner + close.reverse();
    }

    /** Random valid JSON (no number longer than 300 digits) nested at most {@code depth} more levels. */
    private static String anyJson(Random r, int depth) {
        int k = r.nextInt(depth > 0 ? 9 : 6);
        switch (k) {
            case 0:
                return str(unicode(r, r.nextInt(20)));
            case 1:
                return finiteNumber(r);
            case 2:
                return pick(r, new String[] {"true", "false", "null", "NaN", "-Infinity", "1e999"});
            case 3:
                return str(pick(r, KNOWN)); // known names as values are harmless
            case 4:
                return "\"\"";
            case 5:
                return Integer.toString(r.nextInt());
            case 6: {
                int n = r.nextInt(4);
                StringBuilder b = new StringBuilder("[");
                for (int i = 0; i < n; i++) {
                    b.append(i == 0 ? "" : ",").append(anyJson(r, depth - 1));
                }
                return b.append(']').toString();
            }
            default: {
                int n = r.nextInt(4);
                StringBuilder b = new StringBuilder("{");
                for (int i = 0; i < n; i++) {
                    // any names: inside a nested object even "value" is just data
                    b.append(i == 0 ? "" : ",").append(str(r.nextBoolean() ? pick(r, KNOWN) : unicode(r, 4)))
                            .append(':').append(anyJson(r, depth - 1));
                }
                return b.append('}').toString();
            }
        }
    }

    private static String unknownName(Random r) {
        while (true) {
            String name = r.nextBoolean() ? "x_" + r.nextInt(100) : unicode(r, 1 + r.nextInt(6));
            boolean known = false;
            for (String k : KNOWN) {
                known |= k.equals(name);
            }
            if (!known) {
                return name;
            }
        }
    }

    /** Random text: ASCII, control characters, Latin, CJK, emoji (never a lone surrogate). */
    static String unicode(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int cp = switch (r.nextInt(6)) {
                case 0 -> r.nextInt(0x20);                 // control characters: escaped in JSON
                case 1 -> 0x20 + r.nextInt(0x5F);
                case 2 -> 0xA0 + r.nextInt(0x700);
                case 3 -> 0x4E00 + r.nextInt(0x5000);
                case 4 -> 0x1F300 + r.nextInt(0x300);      // outside the BMP
                default -> 0xE000 + r.nextInt(0x1000);     // private use
            };
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    /** A JSON string literal. */
    static String str(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }

    private static String ws(Random r) {
        return WS[r.nextInt(WS.length)];
    }

    private static String ws(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(pick(r, new String[] {" ", "\t", "\n", "\r"}));
        }
        return b.toString();
    }

    private static <T> T pick(Random r, T[] options) {
        return options[r.nextInt(options.length)];
    }

    private static byte[] replace(byte[] in, String marker, byte[] with) {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + with.length);
        for (int i = 0; i < in.length; i++) {
            if (i + m.length <= in.length && java.util.Arrays.equals(in, i, i + m.length, m, 0, m.length)) {
                out.write(with, 0, with.length);
                i += m.length - 1;
            } else {
                out.write(in[i]);
            }
        }
        return out.toByteArray();
    }
}

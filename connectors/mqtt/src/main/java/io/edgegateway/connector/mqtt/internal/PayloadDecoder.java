package io.edgegateway.connector.mqtt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import io.edgegateway.api.Quality;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.TelemetrySample;

/**
 * Turns one MQTT message into samples and rejects. Pure logic: no I/O, no logging, no state between calls, so one
 * instance may be used from any thread.
 *
 * <p>Formats:
 * <ul>
 * <li>{@code json}: one object, or an array of objects (a batch; each element is one sample or one reject).
 *     Fields are named by {@link Fields}; missing asset/signal fall back to the topic pattern's {@code {asset}} /
 *     {@code {signal}} levels. Timestamps are epoch milliseconds (number) or ISO-8601 text; quality is
 *     GOOD/UNCERTAIN/BAD (any case, default GOOD). A missing or null value is accepted only with quality BAD
 *     (the sample's value is then NaN). Unknown fields are ignored.</li>
 * <li>{@code number}: the payload is one decimal number as text; asset and signal come from the topic.</li>
 * </ul>
 * A syntax error anywhere in a JSON document rejects the whole message once ({@code MALFORMED_PAYLOAD}); nothing
 * of it is delivered.
 */
final class PayloadDecoder {

    /** Payload format. */
    enum Format { JSON, NUMBER }

    /** JSON field names. */
    record Fields(String asset, String signal, String value, String unit, String timestamp, String quality) {

        static final Fields DEFAULT = new Fields("asset", "signal", "value", "unit", "ts", "quality");

        Fields {
            Objects.requireNonNull(asset, "asset");
            Objects.requireNonNull(signal, "signal");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(unit, "unit");
            Objects.requireNonNull(timestamp, "timestamp");
            Objects.requireNonNull(quality, "quality");
        }
    }

    /** One input the decoder could not turn into a sample. */
    record Reject(RejectReason reason, String detail) {
    }

    /** What one message became. */
    record Result(List<TelemetrySample> samples, List<Reject> rejects) {
    }

    /** Longest excerpt of offending input quoted in a reject detail. */
    static final int EXCERPT = 80;
    /** JSON nesting deeper than this is rejected as malformed (telemetry is flat; this bounds the work). */
    static final int MAX_NESTING = 64;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
            .build();
    /** A plain decimal number (what {@code number} payloads must look like). */
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");
    private static final Pattern NON_FINITE =
            Pattern.compile("[-+]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    private final Format format;
    private final TopicPattern topicPattern;
    private final Fields fields;
    private final int maxPayloadBytes;
    private final String sourceId;

    /**
     * @param format          payload format
     * @param topicPattern    topic layout; null when none is configured (required for {@link Format#NUMBER})
     * @param fields          JSON field names
     * @param maxPayloadBytes larger payloads are rejected unread
     * @param sourceId        the sourceId of the samples
     */
    PayloadDecoder(Format format, TopicPattern topicPattern, Fields fields, int maxPayloadBytes, String sourceId) {
        this.format = Objects.requireNonNull(format, "format");
        this.topicPattern = topicPattern;
        this.fields = Objects.requireNonNull(fields, "fields");
        this.maxPayloadBytes = maxPayloadBytes;
        this.sourceId = Objects.requireNonNull(sourceId, "sourceId");
        if (format == Format.NUMBER && (topicPattern == null || !topicPattern.capturesAsset()
                || !topicPattern.capturesSignal())) {
            throw new IllegalArgumentException("the number format needs a topic pattern with {asset} and {signal}");
        }
    }

    /** Decodes one message. Never throws for any payload or topic. */
    Result decode(String topic, byte[] payload, Instant receiveTime) {
        Out out = new Out(topic);
        if (payload == null) {
            payload = new byte[0];
        }
        if (payload.length > maxPayloadBytes) {
            out.reject(RejectReason.OVERSIZED_PAYLOAD, "payload of " + payload.length + " bytes exceeds max.payload.bytes="
                    + maxPayloadBytes);
        } else if (payload.length == 0) {
            out.reject(RejectReason.MALFORMED_PAYLOAD, "empty payload");
        } else if (format == Format.NUMBER) {
            decodeNumber(topic, payload, receiveTime, out);
        } else {
            decodeJson(topic, payload, receiveTime, out);
        }
        return out.result();
    }

    // ---------------------------------------------------------------- number

    private void decodeNumber(String topic, byte[] payload, Instant receiveTime, Out out) {
        TopicPattern.Match m = topicPattern.match(topic);
        if (m == null) {
            out.reject(RejectReason.UNKNOWN_TOPIC, "does not match topic.pattern '" + topicPattern + "'");
            return;
        }
        String text;
        try {
            text = strictUtf8(payload).strip();
        } catch (CharacterCodingException e) {
            out.reject(RejectReason.MALFORMED_PAYLOAD, "payload is not valid UTF-8");
            return;
        }
        if (text.isEmpty()) {
            out.reject(RejectReason.MALFORMED_PAYLOAD, "blank payload");
            return;
        }
        if (NON_FINITE.matcher(text).matches()) {
            out.reject(RejectReason.NON_FINITE_VALUE, "value " + quote(text));
            return;
        }
        if (!DECIMAL.matcher(text).matches()) {
            out.reject(RejectReason.NON_NUMERIC_VALUE, "payload is not a number: " + quote(text));
            return;
        }
        double v = Double.parseDouble(text);
        if (!Double.isFinite(v)) {
            out.reject(RejectReason.NON_FINITE_VALUE, "value " + quote(text) + " is outside the double range");
            return;
        }
        out.samples.add(new TelemetrySample(m.asset(), m.signal(), v, "", Quality.GOOD, receiveTime, receiveTime,
                sourceId));
    }

    // ---------------------------------------------------------------- json

    private void decodeJson(String topic, byte[] payload, Instant receiveTime, Out out) {
        if (!isValidUtf8(payload)) {
            // Jackson rejects most broken UTF-8 but lets overlong forms (C0 80 = U+0000) and encoded surrogates
            // (ED A0 80) through into asset ids and units
            out.reject(RejectReason.MALFORMED_PAYLOAD, "payload is not valid UTF-8");
            return;
        }
        try (JsonParser p = JSON.createParser(payload)) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                readSample(p, topic, receiveTime, out, -1);
            } else if (t == JsonToken.START_ARRAY) {
                int index = 0;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t == null) {
                        throw new TruncatedException();
                    }
                    if (t == JsonToken.START_OBJECT) {
                        readSample(p, topic, receiveTime, out, index);
                    } else {
                        out.reject(RejectReason.MALFORMED_PAYLOAD, "batch element " + index
                                + " is " + describe(t) + ", expected an object");
                        p.skipChildren();
                    }
                    index++;
                }
            } else if (t == null) {
                out.reject(RejectReason.MALFORMED_PAYLOAD, "blank payload");
                return;
            } else {
                out.reject(RejectReason.MALFORMED_PAYLOAD, "expected a JSON object or array, found " + describe(t));
                return;
            }
            if (p.nextToken() != null) {
                throw new IllegalStateException("unexpected content after the JSON document");
            }
        } catch (TruncatedException e) {
            out.malformed("truncated JSON");
        } catch (com.fasterxml.jackson.core.io.JsonEOFException e) {
            out.malformed("truncated JSON: " + firstLine(e.getOriginalMessage()));
        } catch (StreamConstraintsException e) {
            out.malformed("JSON exceeds limits: " + firstLine(e.getOriginalMessage()));
        } catch (IOException | RuntimeException e) {
            String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
                    ? jpe.getOriginalMessage() : e.getMessage();
            boolean truncated = msg != null && msg.contains("end-of-input");
            out.malformed((truncated ? "truncated JSON: " : "invalid JSON: ") + firstLine(msg));
        }
    }

    /** Reads one object; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    private void readSample(JsonParser p, String topic, Instant receiveTime, Out out, int index) throws IOException {
        String where = index < 0 ? "" : "batch element " + index + ": ";
        String asset = null;
        String signal = null;
        String unit = null;
        JsonToken valueToken = null;     // null: field absent
        double value = Double.NaN;
        String valueText = null;
        Instant sourceTime = null;
        Quality quality = Quality.GOOD;
        RejectReason problem = null;
        String problemDetail = null;

        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
            if (t == null) {
                throw new TruncatedException();
            }
            String name = p.currentName();
            t = p.nextToken();
            if (t == null) {
                throw new TruncatedException();
            }
            if (problem != null) {
                p.skipChildren();
                continue;
            }
            if (name.equals(fields.value())) {
                valueToken = t;
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    valueText = p.getText();
                    value = p.getDoubleValue();
                } else if (t == JsonToken.VALUE_NULL) {
                    valueText = "null";
                } else {
                    valueText = t.isScalarValue() ? p.getText() : null;
                    problem = RejectReason.NON_NUMERIC_VALUE;
                    problemDetail = "field '" + name + "' is " + describe(t)
                            + (valueText == null ? "" : ": " + quote(valueText));
                    p.skipChildren();
                }
            } else if (name.equals(fields.asset())) {
                asset = text(p, t, name);
                if (asset == null && t != JsonToken.VALUE_NULL) {
                    problem = RejectReason.MALFORMED_PAYLOAD;
                    problemDetail = "field '" + name + "' is " + describe(t) + ", expected text";
                }
            } else if (name.equals(fields.signal())) {
                signal = text(p, t, name);
                if (signal == null && t != JsonToken.VALUE_NULL) {
                    problem = RejectReason.MALFORMED_PAYLOAD;
                    problemDetail = "field '" + name + "' is " + describe(t) + ", expected text";
                }
            } else if (name.equals(fields.unit())) {
                unit = text(p, t, name);
                if (unit == null && t != JsonToken.VALUE_NULL) {
                    problem = RejectReason.MALFORMED_PAYLOAD;
                    problemDetail = "field '" + name + "' is " + describe(t) + ", expected text";
                }
            } else if (name.equals(fields.timestamp())) {
                try {
                    sourceTime = timestamp(p, t);
                } catch (DateTimeException | ArithmeticException | IllegalArgumentException e) {
                    problem = RejectReason.MALFORMED_PAYLOAD;
                    problemDetail = "field '" + name + "' is not epoch milliseconds or ISO-8601: "
                            + quote(t.isScalarValue() ? p.getText() : describe(t));
                    p.skipChildren();
                }
            } else if (name.equals(fields.quality())) {
                if (t == JsonToken.VALUE_NULL) {
                    quality = Quality.GOOD;
                } else {
                    quality = t == JsonToken.VALUE_STRING ? quality(p.getText()) : null;
                    if (quality == null) {
                        problem = RejectReason.MALFORMED_PAYLOAD;
                        problemDetail = "field '" + name + "' must be GOOD, UNCERTAIN or BAD, found "
                                + (t.isScalarValue() ? quote(p.getText()) : describe(t));
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        if (problem != null) {
            out.reject(problem, where + problemDetail);
            return;
        }
        if (asset != null && asset.isEmpty()) {
            asset = null;
        }
        if (signal != null && signal.isEmpty()) {
            signal = null;
        }
        if (asset == null || signal == null) {
            TopicPattern.Match m = topicPattern == null ? null : topicPattern.match(topic);
            String missing = asset == null ? fields.asset() : fields.signal();
            if (topicPattern != null && m == null) {
                out.reject(RejectReason.UNKNOWN_TOPIC, where + "field '" + missing
                        + "' missing and the topic does not match topic.pattern '" + topicPattern + "'");
                return;
            }
            if (asset == null) {
                asset = m == null ? null : m.asset();
            }
            if (signal == null) {
                signal = m == null ? null : m.signal();
            }
            if (asset == null || signal == null) {
                out.reject(RejectReason.MISSING_FIELD, where + "field '"
                        + (asset == null ? fields.asset() : fields.signal()) + "' missing"
                        + (topicPattern == null ? " and no topic.pattern is configured"
                        : " and topic.pattern '" + topicPattern + "' has no "
                        + (asset == null ? "{asset}" : "{signal}")));
                return;
            }
        }
        if (valueToken == null || valueToken == JsonToken.VALUE_NULL) {
            if (quality != Quality.BAD) {
                out.reject(RejectReason.MISSING_FIELD, where + "field '" + fields.value() + "' "
                        + (valueToken == null ? "missing" : "is null") + " (allowed only with quality BAD)");
                return;
            }
            value = Double.NaN;
        } else if (!Double.isFinite(value) && quality != Quality.BAD) {
            out.reject(RejectReason.NON_FINITE_VALUE, where + "field '" + fields.value() + "' is "
                    + quote(valueText) + (isNonFiniteLiteral(valueText) ? "" : " (outside the double range)")
                    + " with quality " + quality);
            return;
        }
        out.samples.add(new TelemetrySample(asset, signal, value, unit == null ? "" : unit, quality,
                sourceTime == null ? receiveTime : sourceTime, receiveTime, sourceId));
    }

    /** Stripped text of a string or number field; null for null, objects, arrays and booleans (skipped). */
    private static String text(JsonParser p, JsonToken t, String name) throws IOException {
        switch (t) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return p.getText().strip(); // blank: treated as missing by the caller
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> {
                p.skipChildren();
                return null;
            }
        }
    }

    private static Instant timestamp(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case VALUE_NULL -> {
                return null;
            }
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw new DateTimeException("out of range");
                }
                return Instant.ofEpochMilli(p.getLongValue());
            }
            case VALUE_NUMBER_FLOAT -> {
                double ms = p.getDoubleValue();
                if (!Double.isFinite(ms) || Math.abs(ms) > 3.0e14) { // Instant's range, well inside long
                    throw new DateTimeException("out of range");
                }
                long whole = (long) Math.floor(ms);
                long nanos = Math.round((ms - whole) * 1_000_000d);
                return Instant.ofEpochMilli(whole).plusNanos(nanos);
            }
            case VALUE_STRING -> {
                return iso(p.getText().strip());
            }
            default -> throw new IllegalArgumentException("not a timestamp");
        }
    }

    /** ISO-8601 instant: {@code 2024-05-01T12:00:00Z} or with an offset {@code +02:00}. */
    static Instant iso(String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        }
    }

    private static Quality quality(String s) {
        return switch (s.strip().toUpperCase(Locale.ROOT)) {
            case "GOOD" -> Quality.GOOD;
            case "UNCERTAIN" -> Quality.UNCERTAIN;
            case "BAD" -> Quality.BAD;
            default -> null;
        };
    }

    private static boolean isNonFiniteLiteral(String s) {
        return s != null && NON_FINITE.matcher(s).matches();
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "text";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    /**
     * Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
     * U+10FFFF, no truncated sequence. A scan without allocation; ASCII bytes cost one comparison.
     */
    static boolean isValidUtf8(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int length;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                length = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                length = 3;
                if (c == 0xE0) {
                    secondMin = 0xA0; // overlong below U+0800
                } else if (c == 0xED) {
                    secondMax = 0x9F; // surrogates
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                length = 4;
                if (c == 0xF0) {
                    secondMin = 0x90; // overlong below U+10000
                } else if (c == 0xF4) {
                    secondMax = 0x8F; // above U+10FFFF
                }
            } else {
                return false; // a continuation byte without a lead, C0/C1 (overlong) or F5..FF
            }
            if (i + length > n) {
                return false;
            }
            int second = b[i + 1] & 0xFF;
            if (second < secondMin || second > secondMax) {
                return false;
            }
            for (int k = 2; k < length; k++) {
                int cont = b[i + k] & 0xFF;
                if (cont < 0x80 || cont > 0xBF) {
                    return false;
                }
            }
            i += length;
        }
        return true;
    }

    private static String strictUtf8(byte[] payload) throws CharacterCodingException {
        CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(payload));
        return cb.toString();
    }

    /** Quotes offending text for a detail, cut to {@value #EXCERPT} characters, control characters escaped. */
    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), EXCERPT) + 8).append('"');
        int n = Math.min(s.length(), EXCERPT);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
        if (s.length() > EXCERPT) {
            b.append("... (").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 160 ? line.substring(0, 160) + "..." : line;
    }

    private static final class TruncatedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TruncatedException() {
            super("truncated", null, false, false);
        }
    }

    /** Collects one message's outcome; a syntax error discards what was collected so far. */
    private static final class Out {
        final String topic;
        final List<TelemetrySample> samples = new ArrayList<>(1);
        List<Reject> rejects = List.of();

        Out(String topic) {
            this.topic = topic;
        }

        void reject(RejectReason reason, String detail) {
            if (rejects.isEmpty()) {
                rejects = new ArrayList<>(1);
            }
            rejects.add(new Reject(reason, "topic '" + topic + "': " + detail));
        }

        void malformed(String detail) {
            samples.clear();
            rejects = new ArrayList<>(1);
            reject(RejectReason.MALFORMED_PAYLOAD, detail);
        }

        Result result() {
            return new Result(samples, rejects);
        }
    }
}

package io.edgegateway.connector.mqtt.internal.offload;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.Severity;
import io.edgegateway.connector.mqtt.internal.MessageJson;

/**
 * The JSON of inference offload (UTF-8, one object per MQTT message). Pure and thread-safe.
 *
 * <h2>Request</h2>
 * Topic {@code request.topic} (default {@code edgegateway/offload/explain}), QoS 1, consumed by the gateways with a
 * model through {@code $share/<group>/<request.topic>}:
 * <pre>{@code
 * {"v":1,"requestId":"7d1c...","requester":"line-1","replyTo":"gateway/line-1/offload/reply","deadlineMs":2000,
 *  "alert":{...the alert message, as on gateway/line-1/alerts/<asset>...},
 *  "context":{"assetType":"pump","assetId":"pump-1","signal":"bearing_temperature",...}}
 * }</pre>
 * {@code requestId} is the correlation id (unique per request); {@code replyTo} must be the requester's reply topic
 * ({@code reply.topic} with its gateway id), anything else is refused; {@code context} is the requesting
 * explainer's context, carried verbatim.
 *
 * <h2>Reply</h2>
 * Topic {@code replyTo}, QoS 1:
 * <pre>{@code
 * {"v":1,"requestId":"7d1c...","servedBy":"line-2","status":"ok","explanation":{...the explanation message...}}
 * {"v":1,"requestId":"7d1c...","servedBy":"line-2","status":"busy","reason":"queue full"}
 * {"v":1,"requestId":"7d1c...","servedBy":"line-2","status":"error","reason":"context.pattern: 'x' is not ..."}
 * }</pre>
 * Unknown keys are ignored (fields may be added); a message with another {@code v} is refused.
 */
public final class OffloadCodec {

    public static final int VERSION = 1;

    private static final JsonFactory JSON = new JsonFactory();

    private OffloadCodec() {
    }

    /** An explanation request as it travels. */
    public record Request(String requestId, String requester, String replyTo, long deadlineMillis, Alert alert,
                          String context) {
    }

    /** What the answering gateway says. */
    public enum Status {
        OK, BUSY, ERROR;

        String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A reply.
     *
     * @param explanation the answer (status ok), else null
     * @param reason      why not (status busy or error), else empty
     */
    public record Reply(String requestId, String servedBy, Status status, Explanation explanation, String reason) {
    }

    /**
     * A message that is not a valid request or reply; {@code requestId} and {@code replyTo} are what could be read
     * of it (null otherwise), so a request that is readable enough can still be answered with an error.
     */
    public static final class BadMessage extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final String requestId;
        private final String replyTo;

        BadMessage(String message, String requestId, String replyTo) {
            super(message);
            this.requestId = requestId;
            this.replyTo = replyTo;
        }

        public String requestId() {
            return requestId;
        }

        public String replyTo() {
            return replyTo;
        }
    }

    // ---- writing ----

    public static byte[] request(Request r) {
        String context = normalizeObject(r.context(), "context");
        return MessageJson.write(g -> {
            g.writeNumberField("v", VERSION);
            g.writeStringField("requestId", r.requestId());
            g.writeStringField("requester", r.requester());
            g.writeStringField("replyTo", r.replyTo());
            g.writeNumberField("deadlineMs", r.deadlineMillis());
            g.writeFieldName("alert");
            g.writeRawValue(new String(MessageJson.alert(r.alert(), r.requester()), StandardCharsets.UTF_8));
            g.writeFieldName("context");
            g.writeRawValue(context);
        });
    }

    /** Status ok with the explanation (its {@code servedBy} is the answering gateway's id). */
    public static byte[] answer(String requestId, String servedBy, Explanation e) {
        return MessageJson.write(g -> {
            head(g, requestId, servedBy, Status.OK);
            g.writeFieldName("explanation");
            g.writeRawValue(new String(MessageJson.explanation(e, servedBy), StandardCharsets.UTF_8));
        });
    }

    /** Status busy or error, with the reason. */
    public static byte[] refusal(String requestId, String servedBy, Status status, String reason) {
        if (status == Status.OK) {
            throw new IllegalArgumentException("a refusal is busy or error");
        }
        return MessageJson.write(g -> {
            head(g, requestId, servedBy, status);
            g.writeStringField("reason", reason == null ? "" : reason);
        });
    }

    private static void head(JsonGenerator g, String requestId, String servedBy, Status status) throws IOException {
        g.writeNumberField("v", VERSION);
        g.writeStringField("requestId", requestId);
        g.writeStringField("servedBy", servedBy);
        g.writeStringField("status", status.wire());
    }

    // ---- reading ----

    /** Reads a request; {@link BadMessage} names what is wrong. */
    public static Request parseRequest(byte[] payload) {
        Map<String, Object> m = parse(payload, "request");
        String id = m.get("requestId") instanceof String s ? s : null;
        String replyTo = m.get("replyTo") instanceof String s ? s : null;
        Fields f = new Fields("offload request", m, id, replyTo);
        f.version();
        String requestId = f.text("requestId");
        String requester = f.text("requester");
        String reply = f.text("replyTo");
        long deadline = f.integer("deadlineMs");
        if (deadline < 1) {
            throw f.bad("deadlineMs: must be >= 1, not " + deadline);
        }
        Alert alert = alert(f.object("alert"), f);
        Object context = m.get("context");
        if (!(context instanceof RawObject raw)) {
            throw f.bad(context == null ? "context: missing" : "context: expected a JSON object");
        }
        return new Request(requestId, requester, reply, deadline, alert, raw.json());
    }

    /** Reads a reply; {@link BadMessage} names what is wrong. */
    public static Reply parseReply(byte[] payload) {
        Map<String, Object> m = parse(payload, "reply");
        String id = m.get("requestId") instanceof String s ? s : null;
        Fields f = new Fields("offload reply", m, id, null);
        f.version();
        String requestId = f.text("requestId");
        String servedBy = f.text("servedBy");
        String status = f.text("status");
        Status st;
        try {
            st = Status.valueOf(status.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw f.bad("status: '" + status + "' is not ok, busy or error");
        }
        if (st != Status.OK) {
            Object reason = m.get("reason");
            return new Reply(requestId, servedBy, st, null, reason instanceof String s ? s : "");
        }
        Fields e = f.nested("explanation", f.object("explanation"));
        Explanation x = new Explanation(e.text("alertId"), e.text("assetId"), e.text("text"),
                e.optionalText("probableCause"), e.optionalText("recommendedAction"), e.severity("urgency"),
                e.text("source"), e.optionalText("modelId"), e.optionalText("modelVersion"),
                e.number("latencyMs"), e.time("createdTime"), servedBy);
        return new Reply(requestId, servedBy, st, x, "");
    }

    private static Alert alert(Map<String, Object> a, Fields parent) {
        Fields f = parent.nested("alert", a);
        return new Alert(f.text("alertId"), f.text("assetId"), f.text("signal"), f.text("detector"),
                f.optionalText("detectorVersion"), f.severity("severity"), f.number("score"), f.number("baseline"),
                f.number("value"), f.optionalText("unit"), f.time("observedTime"), f.time("detectionTime"),
                f.optionalText("message"), f.state("state"),
                f.m().get("activeSince") == null ? null : f.time("activeSince"), contributions(f));
    }

    /** The optional contributions of an asset-level alert (since API 1.3); absent: none. */
    private static List<Contribution> contributions(Fields f) {
        Object v = f.m().get("contributions");
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            throw f.bad("contributions: expected an array");
        }
        List<Contribution> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> c)) {
                throw f.bad("contributions[" + i + "]: expected an object");
            }
            @SuppressWarnings("unchecked")
            Fields cf = f.nested("contributions[" + i + "]", (Map<String, Object>) c);
            out.add(new Contribution(cf.text("signal"), cf.number("score"), cf.number("deviation"),
                    cf.number("expected")));
        }
        return out;
    }

    /** Typed access to the fields of one object; every error names the message and the field. */
    private record Fields(String what, Map<String, Object> m, String requestId, String replyTo, String prefix) {

        Fields(String what, Map<String, Object> m, String requestId, String replyTo) {
            this(what, m, requestId, replyTo, "");
        }

        Fields nested(String name, Map<String, Object> child) {
            return new Fields(what, child, requestId, replyTo, prefix + name + ".");
        }

        BadMessage bad(String why) {
            return new BadMessage(what + (requestId == null ? "" : " " + requestId) + ": " + prefix + why,
                    requestId, replyTo);
        }

        void version() {
            Object v = m.get("v");
            if (!(v instanceof Long l) || l != VERSION) {
                throw bad("v: " + (v == null ? "missing" : "'" + v + "'") + " (this gateway speaks version "
                        + VERSION + ")");
            }
        }

        String text(String field) {
            Object v = m.get(field);
            if (!(v instanceof String s) || s.isEmpty()) {
                throw bad(field + ": " + (v == null ? "missing" : "expected a non-empty string, got " + v));
            }
            return s;
        }

        String optionalText(String field) {
            Object v = m.get(field);
            if (v == null) {
                return "";
            }
            if (!(v instanceof String s)) {
                throw bad(field + ": expected a string, got " + v);
            }
            return s;
        }

        long integer(String field) {
            Object v = m.get(field);
            if (!(v instanceof Long l)) {
                throw bad(field + ": " + (v == null ? "missing" : "expected an integer, got " + v));
            }
            return l;
        }

        /** A number; null (how NaN and infinities are written) reads as NaN. */
        double number(String field) {
            if (!m.containsKey(field)) {
                throw bad(field + ": missing");
            }
            Object v = m.get(field);
            if (v == null) {
                return Double.NaN;
            }
            if (!(v instanceof Number n)) {
                throw bad(field + ": expected a number, got " + v);
            }
            return n.doubleValue();
        }

        Severity severity(String field) {
            String s = text(field);
            try {
                return Severity.valueOf(s);
            } catch (IllegalArgumentException e) {
                throw bad(field + ": '" + s + "' is not INFO, WARNING or CRITICAL");
            }
        }

        /** An alert's state; absent (a gateway before API 1.3): an event. */
        AlertState state(String field) {
            String s = optionalText(field);
            if (s.isEmpty()) {
                return AlertState.EVENT;
            }
            try {
                return AlertState.valueOf(s.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad(field + ": '" + s + "' is not event, raised or cleared");
            }
        }

        Instant time(String field) {
            String s = text(field);
            try {
                return Instant.parse(s);
            } catch (DateTimeParseException e) {
                throw bad(field + ": '" + s + "' is not an ISO-8601 UTC time");
            }
        }

        Map<String, Object> object(String field) {
            Object v = m.get(field);
            if (v instanceof RawObject raw) {
                return raw.fields();
            }
            throw bad(field + ": " + (v == null ? "missing" : "expected a JSON object"));
        }
    }

    /** A nested object: its fields, and its exact JSON text (the context is carried on verbatim). */
    private record RawObject(Map<String, Object> fields, String json) {
    }

    private static Map<String, Object> parse(byte[] payload, String what) {
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadMessage("offload " + what + ": not a JSON object", null, null);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                m.put(name, t == JsonToken.START_OBJECT ? rawObject(p) : value(p, t));
            }
            if (p.nextToken() != null) {
                throw new BadMessage("offload " + what + ": content after the JSON object", null, null);
            }
            return m;
        } catch (JsonProcessingException e) {
            throw new BadMessage("offload " + what + ": malformed JSON: " + e.getOriginalMessage(), null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory: does not happen
        }
    }

    /** At START_OBJECT: the object, read into fields and copied as compact text. */
    private static RawObject rawObject(JsonParser p) throws IOException {
        StringWriter text = new StringWriter();
        // copy the structure once into a generator, then read the copy back into fields
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.copyCurrentStructure(p);
        }
        String json = text.toString();
        try (JsonParser q = JSON.createParser(json)) {
            q.nextToken();
            @SuppressWarnings("unchecked")
            Map<String, Object> fields = (Map<String, Object>) value(q, JsonToken.START_OBJECT);
            return new RawObject(fields, json);
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken x = p.nextToken(); x != JsonToken.END_ARRAY; x = p.nextToken()) {
                    l.add(value(p, x));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    return p.getDoubleValue();
                }
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            default:
                return null;
        }
    }

    /** The text as one compact JSON object; IllegalArgumentException when it is not exactly one object. */
    static String normalizeObject(String json, String what) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(what + ": not a JSON object");
            }
            StringWriter out = new StringWriter();
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.copyCurrentStructure(p);
            }
            if (p.nextToken() != null) {
                throw new IllegalArgumentException(what + ": content after the JSON object");
            }
            return out.toString();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

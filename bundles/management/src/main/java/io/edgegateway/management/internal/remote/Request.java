package io.edgegateway.management.internal.remote;

import java.util.Map;

import io.edgegateway.management.protocol.Json;
import io.edgegateway.management.protocol.Protocol;

/**
 * One request: its verb (from the topic), its id and its fields, with accessors that say exactly which field is
 * missing or wrong.
 *
 * @param verb      from the topic {@code gateway/<id>/cmd/<verb>}
 * @param requestId the request's {@code requestId}
 * @param fields    the whole JSON object
 */
record Request(String verb, String requestId, Map<String, Object> fields) {

    /** Who asked, for the deployment agent's history: {@code remote:<operator>} (the CLI sends user@host). */
    String origin() {
        Object op = fields.get("operator");
        return "remote:" + (op instanceof String s && !s.isBlank() ? s : "unknown");
    }

    /** The request id of a payload, or null when it has none (or a wrong one). */
    static String idOf(Map<String, Object> fields) {
        Object id = fields.get(Protocol.REQUEST_ID);
        return id instanceof String s && Protocol.validId(s) ? s : null;
    }

    /** Checks the request id: present, a string of letters, digits and {@code . _ : -}, at most 128. */
    static Request of(String verb, Map<String, Object> fields) throws RequestException {
        Object id = fields.get(Protocol.REQUEST_ID);
        if (id == null) {
            throw RequestException.missing(Protocol.REQUEST_ID, "every request needs an id, which its response "
                    + "repeats (letters, digits and . _ : - , at most 128)");
        }
        if (!(id instanceof String s) || !Protocol.validId(s)) {
            throw RequestException.invalid(Protocol.REQUEST_ID, id, "is not a valid request id (letters, digits and "
                    + ". _ : - , 1 to 128 characters)");
        }
        return new Request(verb, s, fields);
    }

    boolean has(String field) {
        return fields.get(field) != null;
    }

    String text(String field, String what) throws RequestException {
        Object v = fields.get(field);
        if (v == null) {
            throw RequestException.missing(field, what);
        }
        if (!(v instanceof String s)) {
            throw RequestException.invalid(field, v, "must be a string (" + what + "), not " + Json.typeName(v));
        }
        if (s.isBlank()) {
            throw RequestException.invalid(field, v, "is empty: " + what);
        }
        return s;
    }

    /** The text, or null when absent. */
    String optionalText(String field, String what) throws RequestException {
        return has(field) ? text(field, what) : null;
    }

    long integer(String field, long min, long max, String what) throws RequestException {
        Object v = fields.get(field);
        if (v == null) {
            throw RequestException.missing(field, what);
        }
        if (!(v instanceof Long l)) {
            throw RequestException.invalid(field, v, "must be a whole number (" + what + "), not "
                    + Json.typeName(v));
        }
        if (l < min || l > max) {
            throw RequestException.invalid(field, v, "must be between " + min + " and " + max + " (" + what + ")");
        }
        return l;
    }

    boolean flag(String field, boolean dflt) throws RequestException {
        Object v = fields.get(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw RequestException.invalid(field, v, "must be true or false, not " + Json.typeName(v));
        }
        return b;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(String field, String what) throws RequestException {
        Object v = fields.get(field);
        if (v == null) {
            throw RequestException.missing(field, what);
        }
        if (!(v instanceof Map)) {
            throw RequestException.invalid(field, Json.write(v), "must be a JSON object (" + what + "), not "
                    + Json.typeName(v));
        }
        return (Map<String, Object>) v;
    }
}

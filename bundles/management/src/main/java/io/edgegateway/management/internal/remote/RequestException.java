package io.edgegateway.management.internal.remote;

/**
 * A request the gateway will not carry out, and why: the field that is wrong (null when the request as a whole is)
 * and one sentence an operator can act on. Answered as {@code "error":{"field":...,"message":...}}.
 */
final class RequestException extends Exception {

    private final String field;

    RequestException(String field, String message) {
        super(message, null, false, false);
        this.field = field;
    }

    /** The field concerned, e.g. {@code properties.alpha}; null when no single field is. */
    String field() {
        return field;
    }

    static RequestException missing(String field, String what) {
        return new RequestException(field, "missing field '" + field + "': " + what);
    }

    static RequestException invalid(String field, Object value, String why) {
        return new RequestException(field, "field '" + field + "' = " + shown(value) + " " + why);
    }

    static String shown(Object value) {
        if (value instanceof String s) {
            return "'" + (s.length() > 80 ? s.substring(0, 77) + "..." : s) + "'";
        }
        return String.valueOf(value);
    }
}

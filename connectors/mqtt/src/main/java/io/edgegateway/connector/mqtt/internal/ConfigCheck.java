package io.edgegateway.connector.mqtt.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Validation helpers for configurations; every failure names the configuration and the setting. */
final class ConfigCheck {

    /** A broker address that passed validation; {@code url} as Paho takes it (mqtts:// becomes ssl://). */
    record BrokerUrl(String url, String scheme, String host, int port) {

        /** {@code host:port}, the port made explicit. */
        String hostPort() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final String pid;

    ConfigCheck(String pid) {
        this.pid = pid;
    }

    IllegalArgumentException invalid(String key, Object value, String why) {
        return new IllegalArgumentException(pid + ": setting '" + key + "' = '" + value + "' " + why);
    }

    IllegalArgumentException missing(String key, String why) {
        return new IllegalArgumentException(pid + ": setting '" + key + "' is missing or empty (" + why + ")");
    }

    BrokerUrl brokerUrl(String key, String value) {
        if (value == null || value.isBlank()) {
            throw missing(key, "expected tcp://host:port, ssl://host:port or mqtts://host:port");
        }
        String v = value.strip();
        String why = "is not a valid MQTT URL (expected tcp://host:port, ssl://host:port or mqtts://host:port)";
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            throw invalid(key, value, why);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if ("mqtts".equals(scheme) || "tls".equals(scheme)) {
            scheme = "ssl"; // the same thing; Paho knows it as ssl://
        } else if ("mqtt".equals(scheme)) {
            scheme = "tcp";
        }
        if (!"tcp".equals(scheme) && !"ssl".equals(scheme)) {
            throw invalid(key, value, why);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty() || uri.getUserInfo() != null || uri.getQuery() != null
                || uri.getFragment() != null || (uri.getPath() != null && !uri.getPath().isEmpty()
                && !uri.getPath().equals("/"))) {
            throw invalid(key, value, why);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort();
        if (port == -1) {
            port = "ssl".equals(scheme) ? 8883 : 1883;
        } else if (port < 1 || port > 65535) {
            throw invalid(key, value, "has an invalid port (1..65535)");
        }
        String normalized = scheme + "://" + uri.getRawAuthority();
        return new BrokerUrl(normalized, scheme, host, port);
    }

    int range(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw invalid(key, value, "is out of range (" + min + ".." + max + ")");
        }
        return value;
    }

    /** {@code reconnect.min.ms} and {@code reconnect.max.ms}: 1 <= min <= max <= one hour. */
    void reconnectDelays(long min, long max) {
        if (min < 1 || min > 3_600_000) {
            throw invalid("reconnect.min.ms", min, "is out of range (1..3600000)");
        }
        if (max < min || max > 3_600_000) {
            throw invalid("reconnect.max.ms", max, "must be between reconnect.min.ms (" + min + ") and 3600000");
        }
    }

    String nonBlank(String key, String value, String why) {
        if (value == null || value.isBlank()) {
            throw missing(key, why);
        }
        return value.strip();
    }

    /** Blank to null, otherwise stripped. */
    static String optional(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** Flattens list values: each element may itself be a comma-separated list (.cfg files hold strings). */
    static List<String> list(String[] values) {
        List<String> out = new ArrayList<>();
        if (values == null) {
            return out;
        }
        for (String v : values) {
            if (v == null) {
                continue;
            }
            for (String part : v.split(",")) {
                String p = part.strip();
                if (!p.isEmpty() && !out.contains(p)) {
                    out.add(p);
                }
            }
        }
        return out;
    }
}

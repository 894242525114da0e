package io.edgegateway.connector.mqtt.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.SourceHealth;

/**
 * The health of the gateway's parts at one moment: every {@code TelemetrySource} by source id and every
 * {@code HealthReporter} by name, both sorted (stable JSON). Immutable.
 *
 * @param sources   source id to its health
 * @param reporters reporter name to its report
 */
record GatewayHealth(SortedMap<String, SourceHealth> sources, SortedMap<String, HealthReport> reporters) {

    static final GatewayHealth NONE = new GatewayHealth(new TreeMap<>(), new TreeMap<>());

    /** Problem strings are cut to this many characters. */
    static final int MAX_PROBLEM_CHARS = 200;

    GatewayHealth {
        sources = Collections.unmodifiableSortedMap(new TreeMap<>(sources));
        reporters = Collections.unmodifiableSortedMap(new TreeMap<>(reporters));
    }

    /**
     * What the retained status says: "ok", or "degraded" with one short problem per disconnected source and per
     * reporter that is not ok. Equal summaries mean nothing to publish again; so a source's detail (which carries
     * attempt counts and times) is left out, a reporter's detail (documented to change only with its state) is in.
     *
     * @param ok       no problem
     * @param problems e.g. {@code source opcua:plant disconnected}, {@code llm-runtime: model x rejected: ...}
     */
    record Summary(boolean ok, List<String> problems) {

        static final Summary OK = new Summary(true, List.of());

        Summary {
            problems = List.copyOf(problems);
        }

        String health() {
            return ok ? "ok" : "degraded";
        }
    }

    Summary summary() {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, SourceHealth> s : sources.entrySet()) {
            if (!s.getValue().connected()) {
                problems.add(cut("source " + s.getKey() + " disconnected"));
            }
        }
        for (Map.Entry<String, HealthReport> r : reporters.entrySet()) {
            if (!r.getValue().ok()) {
                String detail = r.getValue().detail();
                problems.add(cut(r.getKey() + (detail.isBlank() ? ": not ok" : ": " + detail.strip())));
            }
        }
        return problems.isEmpty() ? Summary.OK : new Summary(false, problems);
    }

    private static String cut(String s) {
        return s.length() <= MAX_PROBLEM_CHARS ? s : s.substring(0, MAX_PROBLEM_CHARS - 3) + "...";
    }

    /**
     * A unique key: {@code name} if free, else {@code name#<n>} for the lowest free n from 2 (two services that
     * claim one name both show).
     */
    static String unique(Map<String, ?> taken, String name) {
        if (!taken.containsKey(name)) {
            return name;
        }
        for (int n = 2; ; n++) {
            String k = name + "#" + n;
            if (!taken.containsKey(k)) {
                return k;
            }
        }
    }
}

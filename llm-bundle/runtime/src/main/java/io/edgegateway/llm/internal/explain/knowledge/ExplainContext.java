package io.edgegateway.llm.internal.explain.knowledge;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

import io.edgegateway.llm.internal.rul.MiniJson;

/**
 * What the gateway knows at alert time (SPEC.md section 1), and the one-line delexicalised prompt made from it
 * (section 2). The same JSON object is the {@code context} of an eval case, so training and gateway share it.
 *
 * @param assetType   knowledge-base asset type, e.g. {@code pump}
 * @param assetId     e.g. {@code pump-1}
 * @param signal      knowledge-base signal name, e.g. {@code bearing_temperature}
 * @param unit        e.g. {@code degC}; empty when unknown, never null
 * @param pattern     one of {@link #PATTERNS}
 * @param direction   one of {@link #DIRECTIONS}
 * @param value       the sample that fired
 * @param baseline    what was expected; empty when unknown (JSON null)
 * @param deviation   (value - baseline) / sigma, signed; 0 when unknown
 * @param slopePerMin units per minute over the deviating stretch
 * @param durationS   seconds since the signal left its normal band
 * @param others      other deviating signals of the asset: name to {@code up}/{@code down}, sorted by name
 * @param rulCycles   latest remaining-useful-life estimate; empty when there is none (JSON: absent)
 */
public record ExplainContext(String assetType, String assetId, String signal, String unit, String pattern,
                             String direction, double value, OptionalDouble baseline, double deviation,
                             double slopePerMin, double durationS, Map<String, String> others,
                             OptionalDouble rulCycles) {

    public static final List<String> PATTERNS =
            List.of("spike", "drift", "level_shift", "stuck", "oscillation", "threshold");
    public static final List<String> DIRECTIONS = List.of("up", "down", "flat");

    public ExplainContext {
        // names end up as space/=/,/: separated tokens of the prompt: reject what would break its grammar
        name("assetType", assetType);
        name("signal", signal);
        Objects.requireNonNull(assetId, "assetId");
        if (assetId.isBlank()) {
            throw new IllegalArgumentException("context.assetId: must not be blank");
        }
        unit = unit == null ? "" : unit;
        if (!PATTERNS.contains(pattern)) {
            throw new IllegalArgumentException("context.pattern: '" + pattern + "' is not one of " + PATTERNS);
        }
        if (!DIRECTIONS.contains(direction)) {
            throw new IllegalArgumentException("context.direction: '" + direction + "' is not one of " + DIRECTIONS);
        }
        finite("value", value);
        baseline = baseline == null ? OptionalDouble.empty() : baseline;
        rulCycles = rulCycles == null ? OptionalDouble.empty() : rulCycles;
        if (baseline.isPresent()) {
            finite("baseline", baseline.getAsDouble());
        }
        if (rulCycles.isPresent()) {
            finite("rulCycles", rulCycles.getAsDouble());
        }
        finite("deviation", deviation);
        finite("slopePerMin", slopePerMin);
        finite("durationS", durationS);
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<String, String> e : (others == null ? Map.<String, String>of() : others).entrySet()) {
            name("others", e.getKey());
            if (!"up".equals(e.getValue()) && !"down".equals(e.getValue())) {
                throw new IllegalArgumentException("context.others." + e.getKey() + ": '" + e.getValue()
                        + "' is not up or down");
            }
            sorted.put(e.getKey(), e.getValue());
        }
        others = Collections.unmodifiableMap(sorted); // sorted once: prompt and {others} both use this order
    }

    /** Reads a context from its JSON text. */
    public static ExplainContext fromJson(String json) {
        return fromJson(MiniJson.object(MiniJson.parse(json), "context"));
    }

    /** Reads a context from a parsed JSON object; errors name the field ({@code context.<field>: ...}). */
    public static ExplainContext fromJson(Map<String, Object> m) {
        Set<String> known = Set.of("assetType", "assetId", "signal", "unit", "pattern", "direction", "value",
                "baseline", "deviation", "slopePerMin", "durationS", "others", "rulCycles");
        for (String k : m.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("context." + k + ": unknown field");
            }
        }
        Object b = m.get("baseline");
        if (!m.containsKey("baseline")) {
            throw new IllegalArgumentException("context.baseline: missing (null when unknown)");
        }
        Object rul = m.get("rulCycles");
        Map<String, String> others = new TreeMap<>();
        Object o = m.get("others");
        if (o == null) {
            throw new IllegalArgumentException("context.others: missing (may be {})");
        }
        if (!(o instanceof Map<?, ?> om)) {
            throw new IllegalArgumentException("context.others: expected a JSON object");
        }
        for (Map.Entry<?, ?> e : om.entrySet()) {
            if (!(e.getValue() instanceof String dir)) {
                throw new IllegalArgumentException("context.others." + e.getKey() + ": expected a string");
            }
            others.put((String) e.getKey(), dir);
        }
        return new ExplainContext(string(m, "assetType"), string(m, "assetId"), string(m, "signal"),
                string(m, "unit"), string(m, "pattern"), string(m, "direction"), number(m, "value"),
                b == null ? OptionalDouble.empty() : OptionalDouble.of(number(m, "baseline")),
                number(m, "deviation"), number(m, "slopePerMin"), number(m, "durationS"), others,
                rul == null ? OptionalDouble.empty() : OptionalDouble.of(number(m, "rulCycles")));
    }

    /** The JSON object of section 1 (fields in the SPEC's order; {@code rulCycles} omitted when absent). */
    public String toJson() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"assetType\":").append(quote(assetType));
        b.append(",\"assetId\":").append(quote(assetId));
        b.append(",\"signal\":").append(quote(signal));
        b.append(",\"unit\":").append(quote(unit));
        b.append(",\"pattern\":").append(quote(pattern));
        b.append(",\"direction\":").append(quote(direction));
        b.append(",\"value\":").append(num(value));
        b.append(",\"baseline\":").append(baseline.isPresent() ? num(baseline.getAsDouble()) : "null");
        b.append(",\"deviation\":").append(num(deviation));
        b.append(",\"slopePerMin\":").append(num(slopePerMin));
        b.append(",\"durationS\":").append(num(durationS));
        b.append(",\"others\":{");
        String sep = "";
        for (Map.Entry<String, String> e : others.entrySet()) {
            b.append(sep).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
            sep = ",";
        }
        b.append('}');
        rulCycles.ifPresent(r -> b.append(",\"rulCycles\":").append(num(r)));
        return b.append('}').toString();
    }

    /**
     * The prompt of section 2: one line, single spaces, ending in {@code \n}. {@code family} and {@code group} are
     * the knowledge base's signal family and pattern group ({@link KnowledgeBase#prompt} passes them).
     */
    public String prompt(String family, String group) {
        return "type=" + assetType + " family=" + family + " signal=" + signal + " group=" + group
                + " pattern=" + pattern + " dir=" + direction + " dev=" + devBucket() + " dur=" + durBucket()
                + " others=" + othersToken() + " rul=" + rulBucket() + "\n";
    }

    public String devBucket() {
        return devBucket(deviation);
    }

    public String durBucket() {
        return durBucket(durationS);
    }

    public String rulBucket() {
        return rulBucket(rulCycles);
    }

    /** {@code none}, or {@code signal:dir} pairs sorted by signal name, joined by {@code ,}. */
    public String othersToken() {
        if (others.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        others.forEach((s, d) -> b.append(b.length() == 0 ? "" : ",").append(s).append(':').append(d));
        return b.toString();
    }

    /** From |deviation|: {@code < 3} low, {@code < 6} medium, else high. */
    public static String devBucket(double deviation) {
        double a = Math.abs(deviation);
        return a < 3 ? "low" : a < 6 ? "medium" : "high";
    }

    /** From durationS: {@code < 60} short, {@code < 1800} medium, else long. */
    public static String durBucket(double durationS) {
        return durationS < 60 ? "short" : durationS < 1800 ? "medium" : "long";
    }

    /** {@code none} when absent; {@code < 30} short, {@code < 80} medium, else long. */
    public static String rulBucket(OptionalDouble rulCycles) {
        if (rulCycles.isEmpty()) {
            return "none";
        }
        double r = rulCycles.getAsDouble();
        return r < 30 ? "short" : r < 80 ? "medium" : "long";
    }

    private static void name(String field, String v) {
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("context." + field + ": must not be empty");
        }
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (Character.isWhitespace(c) || c == '=' || c == ',' || c == ':') {
                throw new IllegalArgumentException("context." + field + ": '" + v
                        + "' must not contain whitespace, '=', ',' or ':' (it is a prompt token)");
            }
        }
    }

    private static void finite(String field, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("context." + field + ": must be a finite number, not " + v);
        }
    }

    private static String string(Map<String, Object> m, String field) {
        Object v = m.get(field);
        if (v == null) {
            throw new IllegalArgumentException("context." + field + ": missing");
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("context." + field + ": expected a string, got " + v);
        }
        return s;
    }

    private static double number(Map<String, Object> m, String field) {
        Object v = m.get(field);
        if (v == null) {
            throw new IllegalArgumentException("context." + field + ": missing");
        }
        if (!(v instanceof Double d)) {
            throw new IllegalArgumentException("context." + field + ": expected a number, got " + v);
        }
        return d;
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Integral values without ".0" (as Python's json would write ints), others as Java's shortest repr. */
    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}

package io.edgegateway.llm.internal.explain.knowledge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.edgegateway.api.Severity;
import io.edgegateway.llm.internal.rul.MiniJson;

/**
 * The failure-mode knowledge base ({@code knowledge/failure_modes.json}, SPEC.md section 3): validated on load so
 * that a bad file fails at start-up with the entry and field named, never at alert time.
 *
 * <p>Immutable and thread-safe once loaded.
 */
public final class KnowledgeBase {

    public static final List<String> URGENCIES = List.of("low", "medium", "high");
    static final List<String> ENTRY_DIRECTIONS = List.of("up", "down", "flat", "any");
    private static final Set<String> ENTRY_FIELDS = Set.of("id", "asset_types", "signals", "patterns", "direction",
            "with", "cause", "checks", "action", "urgency", "sources", "texts");

    /**
     * One failure mode. {@code with} pairs are {@code signal:up|down}. {@code checks} and {@code sources} are
     * carried for people (and the training corpus); matching does not use them.
     */
    public record Entry(String id, List<String> assetTypes, List<String> signals, List<String> patterns,
                        String direction, List<String> with, String cause, List<String> checks, String action,
                        String urgency, List<String> sources, List<String> texts) {

        /** Whether this entry applies to the context (everything but file order: see {@link #match}). */
        public boolean matches(ExplainContext c) {
            return anyOf(assetTypes, c.assetType()) && anyOf(signals, c.signal()) && anyOf(patterns, c.pattern())
                    && ("any".equals(direction) || direction.equals(c.direction()))
                    && with.stream().allMatch(w -> {
                        int colon = w.indexOf(':');
                        return w.substring(colon + 1).equals(c.others().get(w.substring(0, colon)));
                    });
        }

        private static boolean anyOf(List<String> allowed, String v) {
            return allowed.contains("*") || allowed.contains(v);
        }
    }

    /**
     * The entry that explains a context.
     *
     * @param entry    the first matching entry
     * @param urgency  the entry's urgency, escalated one step when devBucket is high or rulBucket short
     * @param severity {@code urgency} as the API's Severity
     */
    public record Match(Entry entry, String urgency, Severity severity) {
    }

    /** The knowledge-base answer in the shape an {@code Explanation} needs (the template fallback). */
    public record TemplateExplanation(String cause, String action, Severity urgency, String text, String entryId) {
    }

    private final String version;
    private final List<String> assetTypes;
    private final Map<String, String> signalWords;
    private final Map<String, String> signalUnits;
    private final Map<String, String> signalFamilies;
    private final Map<String, String> patternGroups;
    private final List<Entry> entries;
    private final SlotFiller filler;

    private KnowledgeBase(String version, List<String> assetTypes, Map<String, String> signalWords,
                          Map<String, String> signalUnits, Map<String, String> signalFamilies,
                          Map<String, String> patternGroups, List<Entry> entries) {
        this.version = version;
        this.assetTypes = List.copyOf(assetTypes);
        this.signalWords = Collections.unmodifiableMap(signalWords);
        this.signalUnits = Collections.unmodifiableMap(signalUnits);
        this.signalFamilies = Collections.unmodifiableMap(signalFamilies);
        this.patternGroups = Collections.unmodifiableMap(patternGroups);
        this.entries = List.copyOf(entries);
        this.filler = new SlotFiller(this::signalWords);
    }

    public static KnowledgeBase load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    public static KnowledgeBase load(InputStream in) throws IOException {
        return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    /**
     * Parses and validates the JSON text.
     *
     * @throws IllegalArgumentException naming the entry id and field on any schema violation
     */
    public static KnowledgeBase parse(String json) {
        Map<String, Object> root = MiniJson.object(MiniJson.parse(json), "failure_modes.json");
        String version = str(root, "version", "failure_modes.json");
        List<String> assetTypes = MiniJson.strings(required(root, "asset_types", "failure_modes.json"),
                "failure_modes.json: asset_types");
        Set<String> sourceIds = new HashSet<>();
        for (Object s : MiniJson.array(root.getOrDefault("sources", List.of()), "failure_modes.json: sources")) {
            sourceIds.add(str(MiniJson.object(s, "failure_modes.json: sources[]"), "id", "source"));
        }
        if (root.containsKey("urgencies")
                && !MiniJson.strings(root.get("urgencies"), "failure_modes.json: urgencies").equals(URGENCIES)) {
            // escalation and the Severity mapping are defined on exactly these three, in this order
            throw new IllegalArgumentException("failure_modes.json: urgencies must be " + URGENCIES);
        }
        Map<String, String> words = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        Map<String, String> families = new LinkedHashMap<>();
        Map<String, Object> signals = MiniJson.object(required(root, "signals", "failure_modes.json"),
                "failure_modes.json: signals");
        for (Map.Entry<String, Object> e : signals.entrySet()) {
            Map<String, Object> s = MiniJson.object(e.getValue(), "failure_modes.json: signals." + e.getKey());
            words.put(e.getKey(), str(s, "words", "signal " + e.getKey()));
            Object unit = s.get("unit");
            units.put(e.getKey(), unit instanceof String u ? u : "");
            families.put(e.getKey(), promptName(str(s, "family", "signal " + e.getKey()), "signal " + e.getKey() + ": family"));
        }
        Map<String, String> groups = patternGroups(required(root, "pattern_groups", "failure_modes.json"));
        List<Entry> entries = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Object o : MiniJson.array(required(root, "entries", "failure_modes.json"), "failure_modes.json: entries")) {
            Entry e = entry(MiniJson.object(o, "failure_modes.json: entries[" + entries.size() + "]"), entries.size(),
                    assetTypes, words.keySet(), sourceIds);
            if (!ids.add(e.id())) {
                throw new IllegalArgumentException("entry " + e.id() + ": duplicate id");
            }
            for (Map.Entry<String, String> g : groups.entrySet()) {
                // an entry's patterns are whole groups: the answer never depends on the pattern within its group
                // (the prompt carries the group, and a held-out pattern is answered from its group's others)
                if (!e.patterns().contains("*") && e.patterns().contains(g.getKey())) {
                    for (Map.Entry<String, String> h : groups.entrySet()) {
                        if (h.getValue().equals(g.getValue()) && !e.patterns().contains(h.getKey())) {
                            throw new IllegalArgumentException("entry " + e.id() + ": patterns: " + e.patterns()
                                    + " split the pattern group '" + g.getValue() + "' (missing '" + h.getKey() + "')");
                        }
                    }
                }
            }
            entries.add(e);
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("failure_modes.json: entries: must not be empty");
        }
        Entry last = entries.get(entries.size() - 1);
        if (!last.assetTypes().equals(List.of("*")) || !last.signals().equals(List.of("*"))
                || !last.patterns().equals(List.of("*")) || !"any".equals(last.direction()) || !last.with().isEmpty()) {
            // the catch-all guarantees that match() always answers
            throw new IllegalArgumentException("entry " + last.id()
                    + ": the last entry must be the catch-all (asset_types/signals/patterns [\"*\"], direction any, no with)");
        }
        return new KnowledgeBase(version, assetTypes, words, units, families, groups, entries);
    }

    /** {@code pattern_groups}: group name to its patterns; together they must be every pattern exactly once. */
    private static Map<String, String> patternGroups(Object json) {
        Map<String, Object> m = MiniJson.object(json, "failure_modes.json: pattern_groups");
        Map<String, String> byPattern = new LinkedHashMap<>();
        for (Map.Entry<String, Object> g : m.entrySet()) {
            String group = promptName(g.getKey(), "pattern_groups");
            for (String p : MiniJson.strings(g.getValue(), "failure_modes.json: pattern_groups." + group)) {
                if (!ExplainContext.PATTERNS.contains(p)) {
                    throw new IllegalArgumentException("failure_modes.json: pattern_groups." + group
                            + ": unknown pattern '" + p + "'");
                }
                if (byPattern.put(p, group) != null) {
                    throw new IllegalArgumentException("failure_modes.json: pattern_groups: pattern '" + p
                            + "' is in more than one group");
                }
            }
        }
        if (!byPattern.keySet().containsAll(ExplainContext.PATTERNS)) {
            throw new IllegalArgumentException("failure_modes.json: pattern_groups: every pattern of "
                    + ExplainContext.PATTERNS + " must be in a group, has " + byPattern.keySet());
        }
        return byPattern;
    }

    /** A family or group name is a prompt token: lower-case letters and '_' only. */
    private static String promptName(String v, String where) {
        if (!v.matches("[a-z_]+")) {
            throw new IllegalArgumentException("failure_modes.json: " + where + ": '" + v
                    + "' must be lower-case letters and '_' (it is a prompt token)");
        }
        return v;
    }

    private static Entry entry(Map<String, Object> m, int index, List<String> assetTypes, Set<String> signals,
                               Set<String> sourceIds) {
        String id = str(m, "id", "entries[" + index + "]");
        String where = "entry " + id;
        for (String k : m.keySet()) {
            if (!ENTRY_FIELDS.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field '" + k + "'");
            }
        }
        List<String> types = list(m, "asset_types", where, true);
        for (String t : types) {
            if (!"*".equals(t) && !assetTypes.contains(t)) {
                throw new IllegalArgumentException(where + ": asset_types: unknown asset type '" + t + "'");
            }
        }
        List<String> sigs = list(m, "signals", where, true);
        for (String s : sigs) {
            if (!"*".equals(s) && !signals.contains(s)) {
                throw new IllegalArgumentException(where + ": signals: unknown signal '" + s + "'");
            }
        }
        List<String> patterns = list(m, "patterns", where, true);
        for (String p : patterns) {
            if (!"*".equals(p) && !ExplainContext.PATTERNS.contains(p)) {
                throw new IllegalArgumentException(where + ": patterns: unknown pattern '" + p + "'");
            }
        }
        String direction = str(m, "direction", where);
        if (!ENTRY_DIRECTIONS.contains(direction)) {
            throw new IllegalArgumentException(where + ": direction: '" + direction + "' is not one of "
                    + ENTRY_DIRECTIONS);
        }
        List<String> with = list(m, "with", where, false);
        for (String w : with) {
            int colon = w.indexOf(':');
            if (colon < 0 || !signals.contains(w.substring(0, colon))
                    || !List.of("up", "down").contains(w.substring(colon + 1))) {
                throw new IllegalArgumentException(where + ": with: '" + w
                        + "' is not <known signal>:up or <known signal>:down");
            }
        }
        String cause = str(m, "cause", where);
        String action = str(m, "action", where);
        for (String[] f : new String[][] {{"cause", cause}, {"action", action}}) {
            if (f[1].contains("|") || f[1].contains("\n")) {
                // '|' separates the generated fields: one inside a field would make the output unparseable
                throw new IllegalArgumentException(where + ": " + f[0] + ": must not contain '|' or a newline");
            }
        }
        String urgency = str(m, "urgency", where);
        if (!URGENCIES.contains(urgency)) {
            throw new IllegalArgumentException(where + ": urgency: '" + urgency + "' is not one of " + URGENCIES);
        }
        List<String> sources = list(m, "sources", where, false);
        for (String s : sources) {
            if (!sourceIds.contains(s)) {
                throw new IllegalArgumentException(where + ": sources: unknown source '" + s + "'");
            }
        }
        List<String> texts = list(m, "texts", where, true);
        for (String t : texts) {
            if (t.chars().anyMatch(Character::isDigit)) {
                throw new IllegalArgumentException(where + ": texts: '" + t + "' contains a digit");
            }
            for (String slot : SlotFiller.slotsIn(t)) {
                if (!SlotFiller.SLOTS.contains(slot)) {
                    throw new IllegalArgumentException(where + ": texts: unknown slot " + slot + " in '" + t + "'");
                }
            }
        }
        return new Entry(id, types, sigs, patterns, direction, with, cause, list(m, "checks", where, false), action,
                urgency, sources, texts);
    }

    public String version() {
        return version;
    }

    /** The asset types the knowledge base knows, in file order. */
    public List<String> assetTypes() {
        return assetTypes;
    }

    /** The signal names the knowledge base knows, in file order. */
    public Set<String> signals() {
        return signalWords.keySet();
    }

    /** The words of a signal ({@code bearing temperature}); unknown signals: the name with '_' → ' '. */
    public String signalWords(String signal) {
        String w = signalWords.get(signal);
        return w != null ? w : signal.replace('_', ' ');
    }

    /** The signal's unit in the knowledge base; empty when it has none or the signal is unknown. */
    public String signalUnit(String signal) {
        return signalUnits.getOrDefault(signal, "");
    }

    /** The signal's family ({@code temperature}, ...); {@code other} for a signal the knowledge base lacks. */
    public String signalFamily(String signal) {
        return signalFamilies.getOrDefault(signal, "other");
    }

    /** The pattern's group ({@code sustained}, ...). */
    public String patternGroup(String pattern) {
        String g = patternGroups.get(pattern);
        if (g == null) {
            throw new IllegalArgumentException("pattern '" + pattern + "' is not one of " + ExplainContext.PATTERNS);
        }
        return g;
    }

    /** The model's prompt for the context (SPEC.md section 2): with this knowledge base's family and group. */
    public String prompt(ExplainContext c) {
        return c.prompt(signalFamily(c.signal()), patternGroup(c.pattern()));
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The slot filler that uses this knowledge base's signal words. */
    public SlotFiller slotFiller() {
        return filler;
    }

    /** The first matching entry in file order (the catch-all guarantees one), with the escalated urgency. */
    public Match match(ExplainContext c) {
        for (Entry e : entries) {
            if (e.matches(c)) {
                String urgency = urgency(e.urgency(), c);
                return new Match(e, urgency, severity(urgency));
            }
        }
        throw new IllegalStateException("no entry matched, yet the last entry is a catch-all"); // unreachable
    }

    /**
     * The template answer: cause, action and urgency of the matching entry, and its first text whose slots are all
     * present for the context (the first text when none is), slots filled.
     */
    public TemplateExplanation template(ExplainContext c) {
        Match m = match(c);
        Set<String> present = SlotFiller.presentSlots(c);
        String text = m.entry().texts().stream()
                .filter(t -> present.containsAll(SlotFiller.slotsIn(t)))
                .findFirst()
                .orElse(m.entry().texts().get(0));
        return new TemplateExplanation(m.entry().cause(), m.entry().action(), m.severity(), filler.fill(text, c),
                m.entry().id());
    }

    /** Raises the urgency one step (capped at high) when devBucket is high or rulBucket is short. */
    static String urgency(String base, ExplainContext c) {
        int k = URGENCIES.indexOf(base);
        if ("high".equals(c.devBucket()) || "short".equals(c.rulBucket())) {
            k = Math.min(k + 1, URGENCIES.size() - 1);
        }
        return URGENCIES.get(k);
    }

    /** low → INFO, medium → WARNING, high → CRITICAL. */
    public static Severity severity(String urgency) {
        return switch (urgency) {
            case "low" -> Severity.INFO;
            case "medium" -> Severity.WARNING;
            case "high" -> Severity.CRITICAL;
            default -> throw new IllegalArgumentException("urgency: '" + urgency + "' is not one of " + URGENCIES);
        };
    }

    private static Object required(Map<String, Object> m, String field, String where) {
        Object v = m.get(field);
        if (v == null) {
            throw new IllegalArgumentException(where + ": " + field + ": missing");
        }
        return v;
    }

    private static String str(Map<String, Object> m, String field, String where) {
        Object v = required(m, field, where);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(where + ": " + field + ": expected a non-empty string");
        }
        return s;
    }

    private static List<String> list(Map<String, Object> m, String field, String where, boolean required) {
        Object v = m.get(field);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException(where + ": " + field + ": missing");
            }
            return List.of();
        }
        List<String> l = MiniJson.strings(v, where + ": " + field);
        if (required && l.isEmpty()) {
            throw new IllegalArgumentException(where + ": " + field + ": must not be empty");
        }
        return List.copyOf(l);
    }
}

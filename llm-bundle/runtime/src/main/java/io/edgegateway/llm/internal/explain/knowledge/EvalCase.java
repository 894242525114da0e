package io.edgegateway.llm.internal.explain.knowledge;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.edgegateway.llm.internal.rul.MiniJson;

/**
 * One line of {@code data/eval_cases.jsonl} (SPEC.md section 8):
 * {@code {"id", "context": {...}, "expected": {"cause", "action", "urgency"}}}.
 */
public record EvalCase(String id, ExplainContext context, String expectedCause, String expectedAction,
                       String expectedUrgency) {

    public static EvalCase fromJson(Map<String, Object> m) {
        Object id = m.get("id");
        if (!(id instanceof String sid) || sid.isBlank()) {
            throw new IllegalArgumentException("id: expected a non-empty string");
        }
        Object ctx = m.get("context");
        if (ctx == null) {
            throw new IllegalArgumentException(sid + ": context: missing");
        }
        ExplainContext context;
        try {
            context = ExplainContext.fromJson(MiniJson.object(ctx, "context"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sid + ": " + e.getMessage(), e);
        }
        Object exp = m.get("expected");
        if (exp == null) {
            throw new IllegalArgumentException(sid + ": expected: missing");
        }
        Map<String, Object> e = MiniJson.object(exp, sid + ": expected");
        String urgency = field(e, "urgency", sid);
        if (!KnowledgeBase.URGENCIES.contains(urgency)) {
            throw new IllegalArgumentException(sid + ": expected.urgency: '" + urgency + "' is not one of "
                    + KnowledgeBase.URGENCIES);
        }
        return new EvalCase(sid, context, field(e, "cause", sid), field(e, "action", sid), urgency);
    }

    /** Reads a JSONL file; blank lines are skipped. */
    public static List<EvalCase> readJsonl(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return readJsonl(r, file.getFileName().toString());
        }
    }

    /**
     * Reads JSONL from a reader.
     *
     * @param name shown in errors: {@code <name> line <n>: <what>}
     * @throws IllegalArgumentException on the first bad line (also on a duplicate id)
     */
    public static List<EvalCase> readJsonl(Reader in, String name) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<EvalCase> cases = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            EvalCase c;
            try {
                c = fromJson(MiniJson.object(MiniJson.parse(line), "line"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " line " + n + ": " + e.getMessage(), e);
            }
            if (!ids.add(c.id())) {
                throw new IllegalArgumentException(name + " line " + n + ": duplicate id " + c.id());
            }
            cases.add(c);
        }
        return cases;
    }

    private static String field(Map<String, Object> m, String f, String id) {
        if (!(m.get(f) instanceof String s)) {
            throw new IllegalArgumentException(id + ": expected." + f + ": expected a string");
        }
        return s;
    }
}

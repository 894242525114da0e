package io.edgegateway.llm.internal.explain.knowledge;

import java.util.Optional;

import io.edgegateway.api.Severity;

/**
 * The model's raw output {@code cause: X | action: Y | urgency: Z | text} (SPEC.md section 4), before slot
 * filling. Parsing is tolerant, so a half-right generation can still be scored and shown: fields that are missing
 * are empty and {@link #wellFormed} is false.
 *
 * @param cause      the {@code cause:} field, trimmed; empty when missing
 * @param action     the {@code action:} field, trimmed; empty when missing
 * @param urgency    the {@code urgency:} field, trimmed; empty when missing
 * @param text       what follows the labelled fields, trimmed (may contain '|')
 * @param wellFormed the three labels in order, an urgency of low/medium/high and a non-empty text
 * @param raw        the output as generated
 */
public record GeneratedOutput(String cause, String action, String urgency, String text, boolean wellFormed,
                              String raw) {

    private static final String[] LABELS = {"cause:", "action:", "urgency:"};

    public static GeneratedOutput parse(String raw) {
        String[] fields = {"", "", ""};
        boolean[] seen = new boolean[3];
        boolean inOrder = true;
        int expected = 0;
        String rest = raw == null ? "" : raw.strip();
        // labelled fields are taken from the front, each up to the next '|'; the first unlabelled part starts the text
        while (true) {
            int label = labelAt(rest);
            if (label < 0) {
                break;
            }
            if (seen[label] || label != expected) {
                inOrder = false;
            }
            expected = label + 1;
            int bar = rest.indexOf('|');
            String value = bar < 0 ? rest : rest.substring(0, bar);
            if (!seen[label]) {
                fields[label] = value.substring(LABELS[label].length()).trim();
            }
            seen[label] = true;
            rest = bar < 0 ? "" : rest.substring(bar + 1).strip();
        }
        String text = rest.strip();
        boolean ok = inOrder && seen[0] && seen[1] && seen[2] && KnowledgeBase.URGENCIES.contains(fields[2])
                && !text.isEmpty();
        return new GeneratedOutput(fields[0], fields[1], fields[2], text, ok, raw == null ? "" : raw);
    }

    /** The urgency as the API's Severity, when it is one of low/medium/high. */
    public Optional<Severity> severity() {
        return KnowledgeBase.URGENCIES.contains(urgency) ? Optional.of(KnowledgeBase.severity(urgency))
                : Optional.empty();
    }

    private static int labelAt(String s) {
        for (int k = 0; k < LABELS.length; k++) {
            if (s.regionMatches(true, 0, LABELS[k], 0, LABELS[k].length())) {
                return k;
            }
        }
        return -1;
    }
}

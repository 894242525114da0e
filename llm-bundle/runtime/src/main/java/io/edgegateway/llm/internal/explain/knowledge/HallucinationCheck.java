package io.edgegateway.llm.internal.explain.knowledge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hallucination rules of SPEC.md section 8, on a raw (unfilled) generation: a slot that is not present for the
 * context, a digit, the words of a knowledge-base signal that is neither the context's signal nor one of its others,
 * or an asset type other than the context's. Used by the eval and before an LLM text is published.
 *
 * <p>What is checked: the text part of a well-formed output; the whole raw output of a malformed one (its text may
 * have landed in a field). Words are matched as whole-word phrases, case-insensitively, after the phrases the
 * context allows (its signal's and others' words) and slot tokens are blanked out, so that e.g. "temperature" is
 * not reported inside an allowed "bearing temperature", nor "motor" inside an allowed "motor current".
 * Thread-safe.
 */
public final class HallucinationCheck {

    private final KnowledgeBase kb;
    private final Map<String, Pattern> signalPhrases = new LinkedHashMap<>();
    private final Map<String, Pattern> assetTypeWords = new LinkedHashMap<>();

    public HallucinationCheck(KnowledgeBase kb) {
        this.kb = kb;
        for (String s : kb.signals()) {
            signalPhrases.put(s, phrase(kb.signalWords(s)));
        }
        for (String t : kb.assetTypes()) {
            assetTypeWords.put(t, phrase(t));
        }
    }

    /** The reasons the output hallucinates, in a stable order; empty when it is clean. */
    public List<String> check(ExplainContext c, GeneratedOutput out) {
        return checkText(c, out.wellFormed() ? out.text() : out.raw());
    }

    /** The rules on one raw text (slots unfilled). */
    public List<String> checkText(ExplainContext c, String text) {
        List<String> reasons = new ArrayList<>();
        Set<String> present = SlotFiller.presentSlots(c);
        for (String slot : SlotFiller.slotsIn(text)) {
            String why = !SlotFiller.SLOTS.contains(slot) ? "unknown slot " + slot
                    : present.contains(slot) ? null : "slot " + slot + " is not present for the context";
            if (why != null && !reasons.contains(why)) {
                reasons.add(why);
            }
        }
        text.codePoints().filter(Character::isDigit).findFirst()
                .ifPresent(d -> reasons.add("contains the digit '" + Character.toString(d) + "'"));

        String rest = blank(text, SlotFiller.slotsIn(text).stream().map(Pattern::quote).map(Pattern::compile).toList());
        List<String> allowed = new ArrayList<>();
        allowed.add(kb.signalWords(c.signal()));
        c.others().keySet().forEach(o -> allowed.add(kb.signalWords(o)));
        allowed.sort(Comparator.comparingInt(String::length).reversed()); // longest first: inner phrases go with them
        rest = blank(rest, allowed.stream().map(HallucinationCheck::phrase).toList());
        for (Map.Entry<String, Pattern> e : signalPhrases.entrySet()) {
            if (!e.getKey().equals(c.signal()) && !c.others().containsKey(e.getKey())
                    && e.getValue().matcher(rest).find()) {
                reasons.add("names signal " + e.getKey() + " (\"" + kb.signalWords(e.getKey())
                        + "\"), neither the context's signal nor one of its others");
            }
        }
        for (Map.Entry<String, Pattern> e : assetTypeWords.entrySet()) {
            if (!e.getKey().equals(c.assetType()) && e.getValue().matcher(rest).find()) {
                reasons.add("names asset type " + e.getKey() + ", not the context's " + c.assetType());
            }
        }
        return reasons;
    }

    /** Whole-word phrase, case-insensitive, any run of whitespace between its words. */
    static Pattern phrase(String words) {
        StringBuilder re = new StringBuilder("(?<![\\p{L}\\p{N}_])");
        String[] parts = words.trim().toLowerCase(Locale.ROOT).split("\\s+");
        for (int k = 0; k < parts.length; k++) {
            re.append(k == 0 ? "" : "\\s+").append(Pattern.quote(parts[k]));
        }
        return Pattern.compile(re.append("(?![\\p{L}\\p{N}_])").toString(),
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** Replaces every match by a separator, so the words around it do not join into a new phrase. */
    private static String blank(String text, List<Pattern> patterns) {
        String s = text;
        for (Pattern p : patterns) {
            s = p.matcher(s).replaceAll(Matcher.quoteReplacement(" | "));
        }
        return s;
    }
}

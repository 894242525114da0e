package io.edgegateway.llm.internal.explain.knowledge;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Fills the slots of an explanation text from a context (SPEC.md section 4). The model never writes numbers or
 * names; they enter only here, from the context, so a filled text states only what the gateway measured.
 */
public final class SlotFiller {

    /** Every slot, in the SPEC's order (each is one special token of the tokenizer). */
    public static final List<String> SLOTS = List.of("{asset}", "{signal}", "{type}", "{value}", "{unit}",
            "{baseline}", "{delta}", "{dev}", "{duration}", "{slope}", "{rul}", "{others}");

    private final Function<String, String> signalWords;

    /** @param signalWords a signal name's words, e.g. {@link KnowledgeBase#signalWords} */
    public SlotFiller(Function<String, String> signalWords) {
        this.signalWords = signalWords;
    }

    /** The slots that have a value for the context (the "present when" column). */
    public static Set<String> presentSlots(ExplainContext c) {
        Set<String> s = new LinkedHashSet<>(List.of("{asset}", "{signal}", "{type}", "{value}", "{duration}"));
        if (!c.unit().isEmpty()) {
            s.add("{unit}");
        }
        if (c.baseline().isPresent()) {
            s.add("{baseline}");
            s.add("{delta}");
        }
        if (c.deviation() != 0) {
            s.add("{dev}");
        }
        if ("drift".equals(c.pattern())) {
            s.add("{slope}");
        }
        if (c.rulCycles().isPresent()) {
            s.add("{rul}");
        }
        if (!c.others().isEmpty()) {
            s.add("{others}");
        }
        return s;
    }

    /** Every present slot with its text. */
    public Map<String, String> values(ExplainContext c) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("{asset}", c.assetId());
        v.put("{signal}", signalWords.apply(c.signal()));
        v.put("{type}", c.assetType());
        v.put("{value}", number(c.value()));
        if (!c.unit().isEmpty()) {
            v.put("{unit}", c.unit());
        }
        c.baseline().ifPresent(b -> {
            v.put("{baseline}", number(b));
            v.put("{delta}", number(Math.abs(c.value() - b)));
        });
        if (c.deviation() != 0) {
            v.put("{dev}", String.format(Locale.ROOT, "%.1f", Math.abs(c.deviation())));
        }
        v.put("{duration}", duration(c.durationS()));
        if ("drift".equals(c.pattern())) {
            v.put("{slope}", number(Math.abs(c.slopePerMin())));
        }
        c.rulCycles().ifPresent(r -> v.put("{rul}", Long.toString(Math.round(r))));
        if (!c.others().isEmpty()) {
            v.put("{others}", words(new ArrayList<>(c.others().keySet())));
        }
        return v;
    }

    /**
     * Replaces each present slot by its text. Absent and unknown slots stay verbatim (so a caller that did not
     * check {@link HallucinationCheck} first sees them rather than an invented value).
     */
    public String fill(String text, ExplainContext c) {
        Map<String, String> v = values(c);
        StringBuilder b = new StringBuilder();
        int k = 0;
        while (k < text.length()) {
            int open = text.indexOf('{', k);
            int close = open < 0 ? -1 : text.indexOf('}', open);
            if (close < 0) {
                b.append(text, k, text.length());
                break;
            }
            String slot = text.substring(open, close + 1);
            String value = v.get(slot);
            b.append(text, k, open).append(value != null ? value : slot);
            k = close + 1;
        }
        return b.toString();
    }

    /** The {@code {name}} tokens of a text, in order (known or not). */
    public static List<String> slotsIn(String text) {
        List<String> out = new ArrayList<>();
        int k = 0;
        while (true) {
            int open = text.indexOf('{', k);
            int close = open < 0 ? -1 : text.indexOf('}', open);
            if (close < 0) {
                return out;
            }
            out.add(text.substring(open, close + 1));
            k = close + 1;
        }
    }

    /** "a", "a and b", "a, b and c" of the signals' words, in the given order. */
    String words(List<String> signals) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < signals.size(); k++) {
            b.append(k == 0 ? "" : k == signals.size() - 1 ? " and " : ", ").append(signalWords.apply(signals.get(k)));
        }
        return b.toString();
    }

    /**
     * A measured number for people: |v| >= 100 rounded to an integer ({@code 1235}), else 3 significant digits
     * ({@code 81.2}, {@code 4.57}, {@code 0.0123}); never an exponent, no trailing zeros, half-up on the decimal
     * form Java prints for the double, no "-0".
     */
    public static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        BigDecimal d = new BigDecimal(Double.toString(v));
        d = Math.abs(v) >= 100
                ? d.setScale(0, RoundingMode.HALF_UP)
                : d.round(new MathContext(3, RoundingMode.HALF_UP));
        if (d.signum() == 0) {
            return "0";
        }
        return d.stripTrailingZeros().toPlainString();
    }

    /**
     * Duration for people: under a minute whole seconds ({@code 45 s}), under an hour whole minutes
     * ({@code 12 min}), else hours with one decimal ({@code 3.5 h}, {@code 2 h}; from 100 h whole hours).
     * Rounding never yields {@code 60 s} or {@code 60 min}. Negative or NaN counts as 0.
     */
    public static String duration(double seconds) {
        double s = Double.isNaN(seconds) || seconds < 0 ? 0 : seconds;
        long whole = Math.round(s);
        if (whole < 60) {
            return whole + " s";
        }
        long min = Math.round(s / 60);
        if (min < 60) {
            return min + " min";
        }
        double h = s / 3600;
        BigDecimal d = BigDecimal.valueOf(h).setScale(h >= 99.95 ? 0 : 1, RoundingMode.HALF_UP);
        return d.stripTrailingZeros().toPlainString() + " h";
    }
}

package io.edgegateway.rules.health.internal.rule;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long an asset learns after commissioning, from the setting {@code learn.duration}: a number of ticks
 * ({@code "3600 ticks"}) or a time ({@code "90s"}, {@code "30m"}, {@code "8h"}, {@code "2d"}), turned into ticks.
 */
record LearnPeriod(int ticks) {

    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*(ticks?|s|m|h|d)\\s*");

    static LearnPeriod parse(String text, long tickMillis) {
        Matcher m = FORM.matcher(text == null ? "" : text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("setting 'learn.duration' = '" + text + "' must be a number of ticks"
                    + " ('3600 ticks') or a time ('90s', '30m', '8h', '2d')");
        }
        long n = Long.parseLong(m.group(1));
        long ticks = switch (m.group(2)) {
            case "s" -> n * 1000 / tickMillis;
            case "m" -> n * 60_000 / tickMillis;
            case "h" -> n * 3_600_000 / tickMillis;
            case "d" -> n * 86_400_000 / tickMillis;
            default -> n;
        };
        if (ticks > 10_000_000) {
            throw new IllegalArgumentException("setting 'learn.duration' = '" + text + "' is " + ticks
                    + " ticks; at most 10,000,000 are kept in memory while learning");
        }
        return new LearnPeriod((int) ticks);
    }
}

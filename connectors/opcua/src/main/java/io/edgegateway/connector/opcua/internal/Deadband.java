package io.edgegateway.connector.opcua.internal;

import static org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.Unsigned.uint;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.eclipse.milo.opcua.stack.core.types.enumerated.DataChangeTrigger;
import org.eclipse.milo.opcua.stack.core.types.enumerated.DeadbandType;
import org.eclipse.milo.opcua.stack.core.types.structured.DataChangeFilter;

/**
 * One entry of the {@code deadband} setting: {@code [<asset>/<signal>=]absolute:<value>} or
 * {@code [<asset>/<signal>=]percent:<value>} ({@code *} and {@code ?} glob the asset and signal names; without a
 * selector the entry applies to every variable). The server then reports a value only when it differs from the last
 * reported one by more than the value (absolute) or by more than that percentage of the variable's EURange
 * (percent; the server needs an EURange on the variable). The first matching entry wins; {@code none} switches it off.
 */
record Deadband(String selector, Pattern pattern, DeadbandType type, double value) {

    static List<Deadband> parseAll(String[] entries) {
        List<Deadband> list = new ArrayList<>();
        for (String entry : entries == null ? new String[0] : entries) {
            for (String part : entry.split(",")) {
                if (!part.isBlank()) {
                    list.add(parse(part));
                }
            }
        }
        return List.copyOf(list);
    }

    static Deadband parse(String entry) {
        String t = entry.strip();
        String selector = "*/*";
        int eq = t.indexOf('=');
        if (eq >= 0) {
            selector = t.substring(0, eq).strip();
            t = t.substring(eq + 1).strip();
            if (!selector.contains("/") || selector.indexOf('/') != selector.lastIndexOf('/')) {
                throw new IllegalArgumentException("'" + entry.strip() + "': the selector must be <asset>/<signal> "
                        + "(globs * and ?), e.g. */vibration=absolute:0.2");
            }
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.equals("none")) {
            return new Deadband(selector, glob(selector), DeadbandType.None, 0);
        }
        int colon = lower.indexOf(':');
        String kind = colon < 0 ? lower : lower.substring(0, colon);
        DeadbandType type = switch (kind) {
            case "absolute", "abs" -> DeadbandType.Absolute;
            case "percent", "pct" -> DeadbandType.Percent;
            default -> throw new IllegalArgumentException("'" + entry.strip() + "': expected absolute:<value>, "
                    + "percent:<value> or none, optionally after <asset>/<signal>=");
        };
        double value;
        try {
            value = Double.parseDouble(colon < 0 ? "" : t.substring(colon + 1).strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + entry.strip() + "': the deadband needs a number, e.g. "
                    + kind + ":0.5");
        }
        if (!(value >= 0) || Double.isInfinite(value) || (type == DeadbandType.Percent && value > 100)) {
            throw new IllegalArgumentException("'" + entry.strip() + "': the deadband must be >= 0"
                    + (type == DeadbandType.Percent ? " and <= 100" : ""));
        }
        return new Deadband(selector, glob(selector), type, value);
    }

    /** The first entry matching the variable, or null. */
    static Deadband forVariable(List<Deadband> rules, String asset, String signal) {
        String key = asset + "/" + signal;
        for (Deadband d : rules) {
            if (d.pattern().matcher(key).matches()) {
                return d;
            }
        }
        return null;
    }

    /** The monitored item's filter; null for none. */
    DataChangeFilter filter() {
        if (type == DeadbandType.None) {
            return null;
        }
        return new DataChangeFilter(DataChangeTrigger.StatusValue, uint(type.getValue()), value);
    }

    String describe() {
        return type == DeadbandType.None ? "none" : type.name().toLowerCase(Locale.ROOT) + ":" + value;
    }

    private static Pattern glob(String selector) {
        StringBuilder re = new StringBuilder();
        for (char ch : selector.toCharArray()) {
            switch (ch) {
                case '*' -> re.append("[^/]*");
                case '?' -> re.append("[^/]");
                default -> re.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(re.toString());
    }
}

package io.edgegateway.core.internal;

import java.util.regex.Pattern;

/** Glob over asset ids and signal names: {@code *} any run of characters, {@code ?} exactly one. */
final class Glob {

    private final String text;
    private final Pattern pattern; // null when the glob matches everything

    private Glob(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    static Glob of(Object property) {
        String text = property == null ? "*" : String.valueOf(property).trim();
        if (text.isEmpty() || text.equals("*")) {
            return new Glob("*", null);
        }
        StringBuilder regex = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Glob(text, Pattern.compile(regex.toString()));
    }

    boolean matches(String value) {
        return pattern == null || pattern.matcher(value).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}

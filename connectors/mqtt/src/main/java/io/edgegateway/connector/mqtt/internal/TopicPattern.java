package io.edgegateway.connector.mqtt.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A topic layout such as {@code plant/{asset}/{signal}}: {@code {asset}} and {@code {signal}} capture one level each,
 * {@code +} matches any one level, {@code #} (last only) any remaining levels, anything else must match literally.
 * Immutable and thread-safe.
 */
final class TopicPattern {

    /** What a matching topic says: the captured asset and signal, each null when the pattern does not capture it. */
    record Match(String asset, String signal) {
    }

    private enum Kind { LITERAL, ANY, REST, ASSET, SIGNAL }

    private record Segment(Kind kind, String text) {
    }

    private final String pattern;
    private final Segment[] segments;
    private final boolean capturesAsset;
    private final boolean capturesSignal;

    private TopicPattern(String pattern, Segment[] segments) {
        this.pattern = pattern;
        this.segments = segments;
        boolean a = false;
        boolean s = false;
        for (Segment seg : segments) {
            a |= seg.kind == Kind.ASSET;
            s |= seg.kind == Kind.SIGNAL;
        }
        this.capturesAsset = a;
        this.capturesSignal = s;
    }

    /**
     * Parses a pattern.
     *
     * @throws IllegalArgumentException with a reason when the pattern is not valid
     */
    static TopicPattern parse(String pattern) {
        if (pattern == null || pattern.isBlank()) {
            throw new IllegalArgumentException("the pattern is empty");
        }
        String p = pattern.trim();
        String[] levels = p.split("/", -1);
        List<Segment> out = new ArrayList<>(levels.length);
        for (int i = 0; i < levels.length; i++) {
            String level = levels[i];
            Kind kind;
            switch (level) {
                case "+" -> kind = Kind.ANY;
                case "#" -> {
                    if (i != levels.length - 1) {
                        throw new IllegalArgumentException("'#' is allowed only as the last level");
                    }
                    kind = Kind.REST;
                }
                case "{asset}" -> kind = Kind.ASSET;
                case "{signal}" -> kind = Kind.SIGNAL;
                default -> {
                    if (level.indexOf('{') >= 0 || level.indexOf('}') >= 0) {
                        throw new IllegalArgumentException("unknown placeholder '" + level
                                + "' (a level may be {asset}, {signal}, +, # or literal text)");
                    }
                    if (level.indexOf('+') >= 0 || level.indexOf('#') >= 0) {
                        throw new IllegalArgumentException("wildcards must fill a whole level: '" + level + "'");
                    }
                    kind = Kind.LITERAL;
                }
            }
            for (Segment s : out) {
                if ((kind == Kind.ASSET || kind == Kind.SIGNAL) && s.kind == kind) {
                    throw new IllegalArgumentException(level + " appears twice");
                }
            }
            out.add(new Segment(kind, level));
        }
        return new TopicPattern(p, out.toArray(new Segment[0]));
    }

    boolean capturesAsset() {
        return capturesAsset;
    }

    boolean capturesSignal() {
        return capturesSignal;
    }

    /** Matches a concrete topic; null when it does not match (or a captured level is empty). */
    Match match(String topic) {
        if (topic == null) {
            return null;
        }
        String asset = null;
        String signal = null;
        int pos = 0;
        int len = topic.length();
        for (int i = 0; i < segments.length; i++) {
            Segment seg = segments[i];
            if (seg.kind == Kind.REST) {
                return new Match(asset, signal);
            }
            if (pos > len) {
                return null; // topic has fewer levels than the pattern
            }
            int end = topic.indexOf('/', pos);
            if (end < 0) {
                end = len;
            }
            switch (seg.kind) {
                case LITERAL -> {
                    if (end - pos != seg.text.length() || !topic.startsWith(seg.text, pos)) {
                        return null;
                    }
                }
                case ASSET -> {
                    if (end == pos) {
                        return null;
                    }
                    asset = topic.substring(pos, end);
                }
                case SIGNAL -> {
                    if (end == pos) {
                        return null;
                    }
                    signal = topic.substring(pos, end);
                }
                default -> {
                    // ANY: one level, possibly empty
                }
            }
            pos = end + 1;
        }
        return pos == len + 1 ? new Match(asset, signal) : null;
    }

    @Override
    public String toString() {
        return pattern;
    }
}

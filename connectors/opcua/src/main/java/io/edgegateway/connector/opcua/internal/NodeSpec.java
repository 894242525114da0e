package io.edgegateway.connector.opcua.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;

/**
 * One entry of the {@code nodes} setting: an explicit NodeId ({@code ns=2;s=Plant/pump-1/flow}, {@code i=2258}) or a
 * browse-path pattern from the Objects folder ({@code Objects/Plant/*}{@code /*}: each level is a browse name, the
 * namespace index left out, {@code *} any name).
 */
record NodeSpec(String text, NodeId nodeId, List<String> path) {

    static NodeSpec parse(String entry) {
        String t = entry.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty node entry");
        }
        if (looksLikeNodeId(t)) {
            NodeId id = NodeId.parseOrNull(t);
            if (id == null) {
                throw new IllegalArgumentException("'" + t + "' is not a valid NodeId (e.g. ns=2;s=Plant/pump-1/flow)");
            }
            return new NodeSpec(t, id, null);
        }
        List<String> levels = new ArrayList<>(List.of(t.split("/", -1)));
        for (String level : levels) {
            if (level.isEmpty()) {
                throw new IllegalArgumentException("'" + t + "' has an empty level (expected e.g. Objects/Plant/*/*)");
            }
        }
        String root = levels.get(0);
        if (root.equals("Objects") || root.equals("Root")) {
            levels.remove(0);
        }
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("'" + t + "' selects no variables (expected e.g. Objects/Plant/*/*)");
        }
        return new NodeSpec(t, null, List.copyOf(levels));
    }

    static boolean looksLikeNodeId(String t) {
        String l = t.toLowerCase(Locale.ROOT);
        return l.startsWith("ns=") || l.startsWith("i=") || l.startsWith("s=") || l.startsWith("g=")
                || l.startsWith("b=") || l.startsWith("nsu=");
    }

    boolean isPattern() {
        return nodeId == null;
    }

    /** Whether a browse name (its name part) matches a pattern level. */
    static boolean matches(String level, String browseName) {
        return level.equals("*") || level.equals(browseName);
    }
}

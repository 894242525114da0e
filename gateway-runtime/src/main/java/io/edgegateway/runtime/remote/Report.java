package io.edgegateway.runtime.remote;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Human-readable renderings of the gateway's answers (the JSON is printed as it came with {@code --json}). */
final class Report {

    private Report() {
    }

    /** One line saying what an ok answer says. */
    static String summary(Map<String, Object> response) {
        Map<String, Object> r = RemoteSession.result(response);
        String verb = String.valueOf(response.get("verb"));
        return switch (verb) {
            case "status" -> "health " + health(r) + ", " + list(r.get("bundles")).size() + " bundles";
            case "config-get" -> r.containsKey("configurations")
                    ? list(r.get("configurations")).size() + " configurations" : "configuration " + r.get("pid");
            case "config-set" -> "configuration " + r.get("pid") + (list(r.get("changed")).isEmpty()
                    ? ": " + r.getOrDefault("message", "unchanged")
                    : " changed (" + String.join(", ", strings(r.get("changed"))) + "); components: "
                    + components(r.get("components")) + "; persisted " + r.get("persisted")
                    + (r.get("warning") != null ? "; WARNING: " + r.get("warning") : ""));
            case "upload" -> "upload " + r.get("name") + " complete (" + r.get("size") + " bytes)";
            default -> deployment(r);
        };
    }

    static String deployment(Map<String, Object> r) {
        String from = String.valueOf(r.getOrDefault("fromVersion", ""));
        String to = String.valueOf(r.getOrDefault("toVersion", ""));
        String versions = from.isEmpty() && to.isEmpty() ? "" : " " + (from.isEmpty() ? "" : from + " -> ")
                + (to.isEmpty() ? "(none)" : to);
        return r.get("operation") + " " + r.get("symbolicName") + versions + ": " + r.get("outcome")
                + (r.get("reason") == null || String.valueOf(r.get("reason")).isEmpty() ? "" : " (" + r.get("reason")
                + ")");
    }

    private static String health(Map<String, Object> status) {
        List<String> bad = new ArrayList<>();
        if (status.get("health") instanceof Map<?, ?> h) {
            h.forEach((name, report) -> {
                if (report instanceof Map<?, ?> m && !Boolean.TRUE.equals(m.get("ok"))) {
                    bad.add(name + ": " + m.get("detail"));
                }
            });
        }
        return bad.isEmpty() ? "ok" : "DEGRADED [" + String.join("; ", bad) + "]";
    }

    private static String components(Object o) {
        List<String> out = new ArrayList<>();
        for (Object c : list(o)) {
            if (c instanceof Map<?, ?> m) {
                out.add(m.get("name") + " " + m.get("state"));
            }
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }

    /** The lines printed under a gateway for status and config-get. */
    static List<String> details(Map<String, Object> response) {
        Map<String, Object> r = RemoteSession.result(response);
        List<String> out = new ArrayList<>();
        String verb = String.valueOf(response.get("verb"));
        if (verb.equals("status")) {
            out.add("version " + r.get("version") + ", health " + health(r));
            out.add("bundles:");
            for (Object o : list(r.get("bundles"))) {
                Map<?, ?> b = (Map<?, ?>) o;
                out.add(String.format("  %4s %-11s %-22s %s%s", b.get("id"), b.get("state"), b.get("version"),
                        b.get("symbolicName"), Boolean.TRUE.equals(b.get("platform")) ? "" : "  (" + b.get("location")
                                + (b.get("signedBy") != null ? ", signed by " + b.get("signedBy") : "") + ")"));
            }
            if (r.get("models") instanceof Map<?, ?> models) {
                for (Object o : list(models.get("bundles"))) {
                    Map<?, ?> m = (Map<?, ?>) o;
                    out.add("model bundle " + m.get("symbolicName") + " " + m.get("version") + " " + m.get("state"));
                }
                if (models.get("tracker") instanceof Map<?, ?> t) {
                    out.add("models: " + t.get("detail"));
                }
            }
            if (r.get("health") instanceof Map<?, ?> h) {
                h.forEach((name, o) -> {
                    Map<?, ?> m = (Map<?, ?>) o;
                    out.add("health " + name + ": " + (Boolean.TRUE.equals(m.get("ok")) ? "ok" : "NOT OK") + ", "
                            + m.get("detail"));
                });
            }
            if (r.get("metrics") instanceof Map<?, ?> m) {
                out.add("pipeline: received " + m.get("received") + ", accepted " + m.get("accepted") + ", evaluated "
                        + m.get("evaluated") + ", rejected " + m.get("rejected") + ", alerts " + m.get("alerts")
                        + ", queue " + m.get("queueDepth") + "/" + m.get("queueCapacity") + ", latency p99 "
                        + m.get("latencyP99Us") + " us");
            }
            if (r.get("deployment") instanceof Map<?, ?> d) {
                if (!Boolean.TRUE.equals(d.get("agent"))) {
                    out.add("deployment agent: not running");
                } else {
                    out.add("deployment in progress: " + (d.get("inProgress") == null ? "none" : d.get("inProgress")));
                    for (Object o : list(d.get("recent"))) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> res = (Map<String, Object>) o;
                        out.add("  recent: " + deployment(res));
                    }
                }
            }
            if (r.get("remote") instanceof Map<?, ?> rem) {
                for (Object o : list(rem.get("transfers"))) {
                    Map<?, ?> t = (Map<?, ?>) o;
                    out.add("transfer " + t.get("name") + ": " + t.get("received") + " of " + t.get("chunks")
                            + " chunks" + (Boolean.TRUE.equals(t.get("complete")) ? ", complete" : ""));
                }
            }
        } else if (verb.equals("config-get")) {
            if (r.containsKey("configurations")) {
                for (Object o : list(r.get("configurations"))) {
                    Map<?, ?> c = (Map<?, ?>) o;
                    out.add("  " + c.get("pid") + (c.get("file") == null ? "" : "  (" + c.get("file") + ")"));
                }
            } else {
                if (r.get("file") != null) {
                    out.add("file " + r.get("file"));
                }
                if (r.get("properties") instanceof Map<?, ?> p) {
                    p.forEach((k, v) -> out.add("  " + k + " = " + v));
                }
                out.add("components: " + components(r.get("components")));
            }
        }
        return out;
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(String::valueOf).toList();
    }
}

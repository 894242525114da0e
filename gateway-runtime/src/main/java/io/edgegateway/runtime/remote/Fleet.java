package io.edgegateway.runtime.remote;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

import io.edgegateway.management.protocol.Json;

/**
 * One command for many gateways: who they are ({@code --gateway a,b,c}, or {@code *} and globs matched against the
 * gateways that announce themselves on {@code gateway/+/status}), running the command on each (in parallel, or
 * rolling: one at a time, stopping at the first that is not ok) and the per-gateway results with a summary.
 */
final class Fleet {

    /** One gateway's part of a command. */
    interface Operation {
        Map<String, Object> run(String gatewayId) throws Exception;
    }

    /** How it went on one gateway. {@code outcome}: ok, rolled back, rejected, failed, unreachable, skipped. */
    record Result(String gatewayId, String outcome, String message, double seconds, Map<String, Object> response) {
        boolean ok() {
            return outcome.equals("ok");
        }

        Map<String, Object> toJson() {
            return Json.obj("gatewayId", gatewayId, "ok", ok(), "outcome", outcome, "message", message, "seconds",
                    Math.round(seconds * 10) / 10.0, "response", response);
        }
    }

    private Fleet() {
    }

    /** True when the ids need discovery ({@code *} or a glob). */
    static boolean needsDiscovery(List<String> ids) {
        return ids.stream().anyMatch(id -> id.contains("*") || id.contains("?"));
    }

    /**
     * The gateways meant: explicit ids as given; globs matched against the discovered ones that are online.
     * Offline gateways a glob matches come back as unreachable results in {@code offline}.
     */
    static List<String> resolve(List<String> ids, Map<String, Map<String, Object>> discovered,
                                List<Result> offline) {
        List<String> out = new ArrayList<>();
        for (String id : ids) {
            if (!id.contains("*") && !id.contains("?")) {
                if (!out.contains(id)) {
                    out.add(id);
                }
                continue;
            }
            Pattern p = Pattern.compile(id.replace(".", "\\.").replace("*", ".*").replace("?", "."));
            discovered.forEach((gw, status) -> {
                if (!p.matcher(gw).matches() || out.contains(gw)) {
                    return;
                }
                if ("online".equals(status.get("state"))) {
                    out.add(gw);
                } else if (offline.stream().noneMatch(r -> r.gatewayId().equals(gw))) {
                    offline.add(new Result(gw, "unreachable", "offline (" + status.get("reason") + ")", 0, status));
                }
            });
        }
        return out;
    }

    /** Runs the operation on each gateway; {@code parallel} at a time, or rolling (one, stop at a failure). */
    static List<Result> run(List<String> gateways, int parallel, boolean rolling, Operation op)
            throws InterruptedException {
        List<Result> out = new ArrayList<>();
        if (rolling) {
            boolean stop = false;
            for (String gw : gateways) {
                if (stop) {
                    out.add(new Result(gw, "skipped", "not attempted: rolling update stopped at an earlier failure",
                            0, null));
                    continue;
                }
                Result r = one(gw, op);
                out.add(r);
                stop = !r.ok();
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallel, gateways.size())), r -> {
            Thread t = new Thread(r, "remote-fleet");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (String gw : gateways) {
                futures.add(pool.submit(() -> one(gw, op)));
            }
            for (int i = 0; i < futures.size(); i++) {
                try {
                    out.add(futures.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    out.add(new Result(gateways.get(i), "failed", String.valueOf(e.getCause()), 0, null));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static Result one(String gw, Operation op) {
        long t0 = System.nanoTime();
        try {
            Map<String, Object> response = op.run(gw);
            return new Result(gw, "ok", Report.summary(response), seconds(t0), response);
        } catch (RemoteSession.RemoteFailure f) {
            String outcome = f.unreachable ? "unreachable" : outcomeOf(f.response);
            return new Result(gw, outcome, f.getMessage(), seconds(t0), f.response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(gw, "failed", "interrupted", seconds(t0), null);
        } catch (Exception e) {
            return new Result(gw, "failed", e.getMessage() == null ? e.toString() : e.getMessage(), seconds(t0),
                    null);
        }
    }

    /** rolled back, rejected, busy or failed, from a deployment result's outcome. */
    private static String outcomeOf(Map<String, Object> response) {
        Map<String, Object> result = response == null ? Map.of() : RemoteSession.result(response);
        Object o = result.get("outcome");
        if (o == null) {
            return "failed";
        }
        return String.valueOf(o).toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** "5 gateways: 4 ok, 1 rolled back, 0 failed, 0 unreachable (no answer within 300 s); took 23.4 s" */
    static String summary(List<Result> results, long timeoutS, double tookS) {
        Map<String, Integer> n = new LinkedHashMap<>();
        for (String k : List.of("ok", "rolled back", "failed", "unreachable")) {
            n.put(k, 0);
        }
        for (Result r : results) {
            String k = switch (r.outcome()) {
                case "ok", "rolled back", "unreachable" -> r.outcome();
                case "skipped" -> "skipped";
                default -> "failed";
            };
            n.merge(k, 1, Integer::sum);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(results.size()).append(results.size() == 1 ? " gateway: " : " gateways: ");
        List<String> parts = new ArrayList<>();
        n.forEach((k, v) -> parts.add(v + " " + k + (k.equals("unreachable") ? " (no answer within " + timeoutS
                + " s)" : "")));
        sb.append(String.join(", ", parts));
        sb.append(String.format(Locale.ROOT, "; took %.1f s", tookS));
        return sb.toString();
    }

    static Map<String, Object> summaryJson(List<Result> results, double tookS) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gateways", results.size());
        for (String k : List.of("ok", "rolled back", "rejected", "busy", "failed", "unreachable", "skipped")) {
            m.put(k.replace(' ', '_'), results.stream().filter(r -> r.outcome().equals(k)).count());
        }
        m.put("seconds", Math.round(tookS * 10) / 10.0);
        return m;
    }
}

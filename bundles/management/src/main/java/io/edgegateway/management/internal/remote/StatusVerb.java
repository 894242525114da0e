package io.edgegateway.management.internal.remote;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.management.internal.deploy.DeploymentAgent;
import io.edgegateway.management.internal.deploy.DeploymentAgent.DeployedArtifact;
import io.edgegateway.management.protocol.Json;

/**
 * {@code status}: what runs (bundles with versions and states; model bundles and what the model tracker serves),
 * how it is (every health report), key pipeline counters, the deployment under way and the recent results, and the
 * uploads this gateway holds.
 */
final class StatusVerb {

    /** The model bundles' manifest header (llm-runtime's ModelTracker reads it). */
    static final String MODEL_HEADER = "Gateway-Model";
    /** The model tracker's health reporter (llm-runtime): its detail names the models in service. */
    static final String MODELS_REPORTER = "models";

    private StatusVerb() {
    }

    static Map<String, Object> status(String gatewayId, BundleContext bc, DeploymentAgent agent,
                                      PipelineMetrics metrics, Map<String, HealthReport> health,
                                      Map<String, Object> remote) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gatewayId", gatewayId);
        out.put("version", bc.getBundle().getVersion().toString());
        out.put("bundles", bundles(bc, agent));
        out.put("models", models(bc, health.get(MODELS_REPORTER)));
        Map<String, Object> h = new TreeMap<>();
        health.forEach((name, r) -> h.put(name, Json.obj("ok", r.ok(), "detail", r.detail(), "counters",
                r.counters())));
        out.put("health", h);
        out.put("metrics", metrics == null ? null : metrics(metrics.snapshot()));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("agent", agent != null);
        if (agent != null) {
            d.put("inProgress", agent.inProgress().map(r -> Json.obj("requestId", r.requestId(), "origin",
                    r.origin())).orElse(null));
            d.put("recent", agent.history(10).stream().map(DeploymentVerbs::describe).toList());
        }
        out.put("deployment", d);
        out.put("remote", remote);
        return out;
    }

    private static List<Map<String, Object>> bundles(BundleContext bc, DeploymentAgent agent) {
        Map<Long, DeployedArtifact> known = new HashMap<>();
        if (agent != null) {
            agent.artifacts().forEach(a -> known.put(a.bundleId(), a));
        }
        String dist = bc.getProperty("gateway.dist");
        String platformPrefix = dist == null ? null : java.nio.file.Path.of(dist, "bundle").toUri().toString();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Bundle b : bc.getBundles()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", b.getBundleId());
            m.put("symbolicName", b.getSymbolicName());
            m.put("version", b.getVersion().toString());
            m.put("state", state(b.getState()));
            m.put("location", b.getLocation());
            DeployedArtifact a = known.get(b.getBundleId());
            m.put("platform", a != null ? a.platform() : b.getBundleId() == 0
                    || platformPrefix != null && b.getLocation().startsWith(platformPrefix));
            if (a != null) {
                m.put("sha256", a.sha256());
                m.put("signedBy", a.signedBy());
            }
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> models(BundleContext bc, HealthReport tracker) {
        List<Map<String, Object>> bundles = new ArrayList<>();
        for (Bundle b : bc.getBundles()) {
            String descriptor = b.getHeaders("").get(MODEL_HEADER);
            if (descriptor != null) {
                bundles.add(Json.obj("symbolicName", b.getSymbolicName(), "version", b.getVersion().toString(),
                        "state", state(b.getState()), "descriptor", descriptor));
            }
        }
        return Json.obj("bundles", bundles, "tracker", tracker == null ? null : Json.obj("ok", tracker.ok(),
                "detail", tracker.detail()));
    }

    private static Map<String, Object> metrics(MetricsSnapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", s.time().toString());
        m.put("received", s.received());
        m.put("accepted", s.accepted());
        m.put("evaluated", s.evaluated());
        m.put("rejected", new TreeMap<>(s.rejected()));
        m.put("alerts", s.alerts());
        m.put("explanations", s.explanations());
        m.put("queueDepth", s.queueDepth());
        m.put("queueCapacity", s.queueCapacity());
        m.put("latencyP50Us", s.latencyP50Micros());
        m.put("latencyP99Us", s.latencyP99Micros());
        m.put("signals", s.signals());
        m.put("explanationsPending", s.explanationsPending());
        m.put("explanationsShed", s.explanationsShed());
        return m;
    }

    static String state(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "STATE_" + state;
        };
    }
}

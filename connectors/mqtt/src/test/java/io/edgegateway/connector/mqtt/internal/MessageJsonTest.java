package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.MaintenanceEstimate;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SourceHealth;

class MessageJsonTest {

    static final Instant OBSERVED = Instant.parse("2024-05-01T12:00:00Z");
    static final Instant DETECTED = Instant.parse("2024-05-01T12:00:00.004Z");

    @Test
    void alertSchema() {
        Alert a = new Alert("id-1", "pump-1", "temp", "threshold", "0.1.0", Severity.CRITICAL, 7.5, 80.0, 87.5,
                "degC", OBSERVED, DETECTED, "above high limit \"80\"\n");
        Map<String, Object> m = Json.object(MessageJson.alert(a, "line-1"));
        assertThat(m.keySet()).containsExactly("alertId", "gatewayId", "assetId", "signal", "detector",
                "detectorVersion", "severity", "score", "baseline", "value", "unit", "observedTime", "detectionTime",
                "message", "state");
        assertThat(m).contains(entry("alertId", "id-1"), entry("gatewayId", "line-1"), entry("assetId", "pump-1"),
                entry("signal", "temp"), entry("detector", "threshold"), entry("detectorVersion", "0.1.0"),
                entry("severity", "CRITICAL"), entry("score", 7.5), entry("baseline", 80.0), entry("value", 87.5),
                entry("unit", "degC"), entry("observedTime", "2024-05-01T12:00:00Z"),
                entry("detectionTime", "2024-05-01T12:00:00.004Z"), entry("message", "above high limit \"80\"\n"),
                entry("state", "event"));
    }

    @Test
    void heldAlarmsSayWhenTheyBecameActiveHowLongAndWhichSignalsDriveThem() {
        Instant since = OBSERVED.minusSeconds(38 * 60);
        List<Contribution> contributions = List.of(new Contribution("vibration", 4.2, 3.1, 2.5),
                new Contribution("flow", 1.3, -1.2, 40.0));
        Alert raised = new Alert("id-2", "pump-3", "vibration", "health", "0.1.0", Severity.WARNING, 2.0, 1.0, 5.1,
                "mm/s", since, DETECTED, "abnormal", AlertState.RAISED, since, contributions);
        Map<String, Object> r = Json.object(MessageJson.alert(raised, "line-1"));
        assertThat(r).containsEntry("state", "raised").containsEntry("activeSince", since.toString())
                .doesNotContainKey("durationMs");
        assertThat(r.get("contributions")).isEqualTo(List.of(
                Map.of("signal", "vibration", "score", 4.2, "deviation", 3.1, "expected", 2.5, "direction", "up"),
                Map.of("signal", "flow", "score", 1.3, "deviation", -1.2, "expected", 40.0, "direction", "down")));

        Alert cleared = new Alert("id-3", "pump-3", "vibration", "health", "0.1.0", Severity.INFO, 0.5, 1.0, 2.6,
                "mm/s", OBSERVED, DETECTED, "back to normal", AlertState.CLEARED, since, List.of());
        Map<String, Object> c = Json.object(MessageJson.alert(cleared, "line-1"));
        assertThat(c).containsEntry("state", "cleared").containsEntry("activeSince", since.toString())
                .containsEntry("durationMs", 38L * 60 * 1000).doesNotContainKey("contributions");
    }

    @Test
    void nonFiniteNumbersAreNull() {
        Alert a = new Alert("id", "a", "s", "d", null, Severity.INFO, Double.POSITIVE_INFINITY, Double.NaN,
                Double.NEGATIVE_INFINITY, null, OBSERVED, DETECTED, null);
        Map<String, Object> m = Json.object(MessageJson.alert(a, "g"));
        assertThat(m).containsEntry("score", null).containsEntry("baseline", null).containsEntry("value", null)
                .containsEntry("unit", "").containsEntry("detectorVersion", "").containsEntry("message", "");
        assertThat(m).containsKeys("score", "baseline", "value");
    }

    @Test
    void explanationSchema() {
        Explanation e = new Explanation("id-1", "pump-1", "Bearing runs hot.", "bearing wear", "check lubrication",
                Severity.WARNING, Explanation.SOURCE_LLM, "explainer-small", "3", 412.5,
                Instant.parse("2024-05-01T12:00:00.420Z"));
        Map<String, Object> m = Json.object(MessageJson.explanation(e, "line-1"));
        assertThat(m.keySet()).containsExactly("alertId", "gatewayId", "assetId", "text", "probableCause",
                "recommendedAction", "urgency", "source", "modelId", "modelVersion", "latencyMs", "createdTime",
                "servedBy");
        assertThat(m).contains(entry("alertId", "id-1"), entry("gatewayId", "line-1"), entry("assetId", "pump-1"),
                entry("text", "Bearing runs hot."), entry("probableCause", "bearing wear"),
                entry("recommendedAction", "check lubrication"), entry("urgency", "WARNING"), entry("source", "llm"),
                entry("modelId", "explainer-small"), entry("modelVersion", "3"), entry("latencyMs", 412.5),
                entry("createdTime", "2024-05-01T12:00:00.420Z"), entry("servedBy", "line-1"));
        // produced by another gateway's model (an offloaded request): that gateway, and the latency measured here
        Map<String, Object> remote = Json.object(MessageJson.explanation(e.fromGateway("line-2", 95.0), "line-1"));
        assertThat(remote).containsEntry("gatewayId", "line-1").containsEntry("servedBy", "line-2")
                .containsEntry("latencyMs", 95.0).containsEntry("source", "llm").containsEntry("alertId", "id-1");
        Explanation t = new Explanation("id", "a", "x", null, null, null, Explanation.SOURCE_TEMPLATE, null, null,
                Double.NaN, OBSERVED);
        assertThat(Json.object(MessageJson.explanation(t, "g"))).containsEntry("latencyMs", null)
                .containsEntry("urgency", "INFO").containsEntry("modelId", "");
    }

    @Test
    void maintenanceSchemaIsTheOneTheRulEstimatorAlwaysPublished() {
        MaintenanceEstimate e = new MaintenanceEstimate("engine-\"5\"", 87.12345678, 0.69698765, "rul-cmapss-fd001",
                "1.0.0", 30, 12, Instant.parse("2024-05-01T12:00:00.420Z"), 0.51249);
        Map<String, Object> m = Json.object(MessageJson.maintenance(e));
        assertThat(m.keySet()).containsExactly("assetId", "rulCycles", "healthIndex", "modelId", "modelVersion",
                "windowLength", "samplesInWindow", "time", "latencyMs");
        assertThat(m).contains(entry("assetId", "engine-\"5\""), entry("rulCycles", 87.123),
                entry("healthIndex", 0.697), entry("modelId", "rul-cmapss-fd001"), entry("modelVersion", "1.0.0"),
                entry("windowLength", 30L), entry("samplesInWindow", 12L), entry("time", "2024-05-01T12:00:00.420Z"),
                entry("latencyMs", 0.512));
        MaintenanceEstimate n = new MaintenanceEstimate("a", Double.NaN, Double.NaN, null, null, 30, 1, OBSERVED,
                Double.POSITIVE_INFINITY);
        assertThat(Json.object(MessageJson.maintenance(n))).containsEntry("rulCycles", null)
                .containsEntry("healthIndex", null).containsEntry("latencyMs", null).containsEntry("modelId", "");
    }

    @Test
    void status() {
        assertThat(Json.object(MessageJson.online("g", OBSERVED, "0.1.0.SNAPSHOT"))).containsExactly(
                entry("gatewayId", "g"), entry("state", "online"), entry("since", "2024-05-01T12:00:00Z"),
                entry("version", "0.1.0.SNAPSHOT"), entry("health", "ok"), entry("problems", List.of()));
        GatewayHealth.Summary degraded = new GatewayHealth.Summary(false,
                List.of("source opcua:plant disconnected", "llm-runtime: model \"x\" rejected"));
        assertThat(Json.object(MessageJson.online("g", OBSERVED, "1", degraded))).containsExactly(
                entry("gatewayId", "g"), entry("state", "online"), entry("since", "2024-05-01T12:00:00Z"),
                entry("version", "1"), entry("health", "degraded"),
                entry("problems", List.of("source opcua:plant disconnected", "llm-runtime: model \"x\" rejected")));
        assertThat(Json.object(MessageJson.offline("g", "stopped"))).containsExactly(entry("gatewayId", "g"),
                entry("state", "offline"), entry("reason", "stopped"));
    }

    @Test
    void metrics() {
        MetricsSnapshot s = new MetricsSnapshot(OBSERVED, 100, 90, 89, Map.of("malformed_payload", 7L,
                "queue_full", 3L), 2, 1, 5, 1000, 120, 900, 4000, 12, 3, 7);
        Map<String, Object> m = Json.object(MessageJson.metrics("g", DETECTED, s,
                new MessageJson.UplinkCounters(3, 1, 0, 2, 4, 3, 1, 1, 0, 5, 2)));
        assertThat(m.keySet()).containsExactly("gatewayId", "time", "received", "accepted", "evaluated", "rejected",
                "alerts", "explanations", "queue_depth", "queue_capacity", "latency_p50_us", "latency_p99_us",
                "latency_max_us", "signals", "explanations_pending", "explanations_shed", "uplink_published",
                "uplink_dropped", "uplink_queue_depth", "outbox_stored", "outbox_delivered", "outbox_expired", "outbox_dropped", "outbox_pending",
                "outbox_bytes", "outbox_recovered", "uplink_connect_failures", "uplink_tls_failures", "sources",
                "health");
        assertThat(m).contains(entry("uplink_connect_failures", 5L), entry("uplink_tls_failures", 2L));
        assertThat(m).contains(entry("time", "2024-05-01T12:00:00Z"), entry("received", 100L),
                entry("accepted", 90L), entry("evaluated", 89L),
                entry("rejected", Map.of("malformed_payload", 7L, "queue_full", 3L)), entry("alerts", 2L),
                entry("explanations", 1L), entry("queue_depth", 5L), entry("queue_capacity", 1000L),
                entry("latency_p50_us", 120L), entry("latency_p99_us", 900L), entry("latency_max_us", 4000L),
                entry("signals", 12L), entry("explanations_pending", 3L), entry("explanations_shed", 7L),
                entry("uplink_published", 3L), entry("uplink_dropped", 1L),
                entry("uplink_queue_depth", 0L), entry("outbox_stored", 4L), entry("outbox_delivered", 3L),
                entry("outbox_expired", 1L), entry("outbox_dropped", 1L), entry("outbox_pending", 0L),
                entry("outbox_bytes", 0L), entry("outbox_recovered", 2L));
    }

    @Test
    void metricsWithoutPipeline() {
        Map<String, Object> m = Json.object(MessageJson.metrics("g", DETECTED, null,
                new MessageJson.UplinkCounters(0, 0, 2)));
        assertThat(m).containsOnlyKeys("gatewayId", "time", "uplink_published", "uplink_dropped",
                "uplink_queue_depth", "outbox_stored", "outbox_delivered", "outbox_expired", "outbox_dropped",
                "outbox_pending", "outbox_bytes", "outbox_recovered", "uplink_connect_failures", "uplink_tls_failures",
                "sources", "health")
                .containsEntry("time", "2024-05-01T12:00:00.004Z").containsEntry("sources", Map.of())
                .containsEntry("health", Map.of());
    }

    @Test
    void metricsCarrySourcesAndHealthReports() {
        Map<String, HealthReport> reports = new LinkedHashMap<>();
        Map<String, Number> counters = new LinkedHashMap<>();
        counters.put("models_rejected", 1);
        counters.put("load_ms", 412.5);
        counters.put("big", BigInteger.valueOf(42));
        counters.put("adder", new AtomicLong(7));
        counters.put("nan", Double.NaN);
        reports.put("llm-runtime", new HealthReport(false, "model x 2.0.0 rejected: sha256 mismatch", counters));
        reports.put("explainer", HealthReport.ok(null));
        Map<String, SourceHealth> sources = new LinkedHashMap<>();
        sources.put("opcua:plant", new SourceHealth(true, "connected to opc.tcp://h:4840 (security None, identity "
                + "anonymous); subscription 7: 30 monitored items", DETECTED, 1234));
        sources.put("mqtt:plant", new SourceHealth(false, "reconnecting", null, 0));
        GatewayHealth h = new GatewayHealth(new TreeMap<>(sources), new TreeMap<>(reports));
        Map<String, Object> m = Json.object(MessageJson.metrics("g", DETECTED, null,
                new MessageJson.UplinkCounters(0, 0, 0), h));

        @SuppressWarnings("unchecked")
        Map<String, Object> src = (Map<String, Object>) m.get("sources");
        assertThat(src.keySet()).containsExactly("mqtt:plant", "opcua:plant");
        assertThat(src.get("opcua:plant")).isEqualTo(Map.of("connected", true, "detail", "connected to "
                + "opc.tcp://h:4840 (security None, identity anonymous); subscription 7: 30 monitored items",
                "last_message", "2024-05-01T12:00:00.004Z", "messages", 1234L));
        @SuppressWarnings("unchecked")
        Map<String, Object> mqtt = (Map<String, Object>) src.get("mqtt:plant");
        assertThat(mqtt).containsExactly(entry("connected", false), entry("detail", "reconnecting"),
                entry("last_message", null), entry("messages", 0L));

        @SuppressWarnings("unchecked")
        Map<String, Object> health = (Map<String, Object>) m.get("health");
        assertThat(health.keySet()).containsExactly("explainer", "llm-runtime");
        assertThat(health.get("explainer")).isEqualTo(Map.of("ok", true, "detail", "", "counters", Map.of()));
        @SuppressWarnings("unchecked")
        Map<String, Object> llm = (Map<String, Object>) health.get("llm-runtime");
        assertThat(llm).containsEntry("ok", false).containsEntry("detail", "model x 2.0.0 rejected: sha256 mismatch");
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) llm.get("counters");
        assertThat(c.keySet()).containsExactly("adder", "big", "load_ms", "models_rejected", "nan");
        assertThat(c).containsEntry("adder", 7L).containsEntry("load_ms", 412.5).containsEntry("models_rejected", 1L)
                .containsEntry("nan", null);
        assertThat(c).containsEntry("big", 42L);
    }
}

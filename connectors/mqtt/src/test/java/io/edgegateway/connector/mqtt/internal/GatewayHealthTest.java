package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.SourceHealth;
import io.edgegateway.api.TelemetrySource;

class GatewayHealthTest {

    static final Instant T = Instant.parse("2024-05-01T12:00:00Z");

    @Test
    void healthyWhenEverySourceIsConnectedAndEveryReporterOk() {
        GatewayHealth h = new GatewayHealth(
                new TreeMap<>(Map.of("opcua:plant", new SourceHealth(true, "connected", T, 5))),
                new TreeMap<>(Map.of("llm-runtime", HealthReport.ok("model 1.0.0"))));
        assertThat(h.summary()).isEqualTo(GatewayHealth.Summary.OK);
        assertThat(h.summary().health()).isEqualTo("ok");
        assertThat(GatewayHealth.NONE.summary().ok()).isTrue();
    }

    @Test
    void problemsNameDisconnectedSourcesAndReportersThatAreNotOk() {
        GatewayHealth h = new GatewayHealth(
                new TreeMap<>(Map.of("opcua:plant", new SourceHealth(false, "session lost (attempt 3)", T, 5),
                        "mqtt:plant", new SourceHealth(true, "connected", T, 5))),
                new TreeMap<>(Map.of("llm-runtime", HealthReport.failed(" model x rejected: sha256 mismatch "),
                        "explainer", new HealthReport(false, "", Map.of("errors", 3)),
                        "rul", HealthReport.ok("fine"))));
        GatewayHealth.Summary s = h.summary();
        assertThat(s.ok()).isFalse();
        assertThat(s.health()).isEqualTo("degraded");
        assertThat(s.problems()).containsExactly("source opcua:plant disconnected", "explainer: not ok",
                "llm-runtime: model x rejected: sha256 mismatch");
    }

    @Test
    void summaryIgnoresWhatChangesAllTheTime() {
        // a source's detail (attempt counts), times and counters do not make a new status
        GatewayHealth a = new GatewayHealth(
                new TreeMap<>(Map.of("s", new SourceHealth(false, "reconnecting (attempt 1)", T, 5))),
                new TreeMap<>(Map.of("r", new HealthReport(false, "down", Map.of("n", 1)))));
        GatewayHealth b = new GatewayHealth(
                new TreeMap<>(Map.of("s", new SourceHealth(false, "reconnecting (attempt 2)", T.plusSeconds(1), 9))),
                new TreeMap<>(Map.of("r", new HealthReport(false, "down", Map.of("n", 2)))));
        assertThat(a.summary()).isEqualTo(b.summary());
        GatewayHealth c = new GatewayHealth(b.sources(),
                new TreeMap<>(Map.of("r", new HealthReport(false, "down: other reason", Map.of()))));
        assertThat(c.summary()).isNotEqualTo(b.summary());
    }

    @Test
    void longProblemsAreCut() {
        GatewayHealth h = new GatewayHealth(new TreeMap<>(),
                new TreeMap<>(Map.of("r", HealthReport.failed("x".repeat(500)))));
        String p = h.summary().problems().get(0);
        assertThat(p).hasSize(GatewayHealth.MAX_PROBLEM_CHARS).startsWith("r: xxx").endsWith("...");
    }

    @Test
    void healthReportIsAnImmutableCopy() {
        Map<String, Number> counters = new HashMap<>(Map.of("a", 1));
        HealthReport r = new HealthReport(true, null, counters);
        counters.put("b", 2);
        assertThat(r.counters()).containsOnlyKeys("a");
        assertThat(r.detail()).isEmpty();
        assertThat(new HealthReport(true, "x", null).counters()).isEmpty();
    }

    @Test
    void uplinkReadsEveryServiceOnceAndSurvivesBadOnes() {
        List<Map.Entry<Map<String, Object>, TelemetrySource>> sources = List.of(
                tuple(Map.of("service.id", 12L, TelemetrySource.SOURCE_ID, "opcua:plant"),
                        source("opcua:plant", new SourceHealth(true, "subscription 1: 3 monitored items", T, 3))),
                tuple(Map.of("service.id", 13L, TelemetrySource.SOURCE_ID, "mqtt:broken"), new TelemetrySource() {
                    public String sourceId() {
                        throw new IllegalStateException("gone");
                    }

                    public SourceHealth health() {
                        throw new IllegalStateException("bundle stopping");
                    }
                }),
                tuple(Map.of("service.id", 14L), source("mqtt:null", null)));
        List<Map.Entry<Map<String, Object>, HealthReporter>> reporters = List.of(
                // the later service of two claiming one name gets #2; the order of the list does not matter
                tuple(Map.of("service.id", 21L, HealthReporter.NAME, "llm-runtime"),
                        () -> HealthReport.failed("second")),
                tuple(Map.of("service.id", 20L, HealthReporter.NAME, "llm-runtime"), () -> HealthReport.ok("first")),
                tuple(Map.of("service.id", 22L, "component.name", "com.example.Thing"), () -> null),
                tuple(Map.of("service.id", 23L), () -> {
                    throw new IllegalStateException("boom");
                }));
        GatewayHealth h = MqttUplink.health(sources, reporters);
        assertThat(h.sources().keySet()).containsExactly("mqtt:broken", "mqtt:null", "opcua:plant");
        assertThat(h.sources().get("mqtt:broken").connected()).isFalse();
        assertThat(h.sources().get("mqtt:broken").detail()).contains("health() failed").contains("bundle stopping");
        assertThat(h.sources().get("mqtt:null").detail()).isEqualTo("health() returned null");
        assertThat(h.reporters().keySet()).containsExactly("com.example.Thing", "llm-runtime", "llm-runtime#2",
                "service.23");
        assertThat(h.reporters().get("llm-runtime").detail()).isEqualTo("first");
        assertThat(h.reporters().get("llm-runtime#2").detail()).isEqualTo("second");
        assertThat(h.reporters().get("service.23").detail()).contains("boom");
        assertThat(h.summary().problems()).containsExactly("source mqtt:broken disconnected",
                "source mqtt:null disconnected", "com.example.Thing: health() returned null",
                "llm-runtime#2: second", "service.23: health() failed: java.lang.IllegalStateException: boom");
    }

    private static <S> Map.Entry<Map<String, Object>, S> tuple(Map<String, Object> props, S service) {
        return new AbstractMap.SimpleImmutableEntry<>(props, service);
    }

    private static TelemetrySource source(String id, SourceHealth health) {
        return new TelemetrySource() {
            public String sourceId() {
                return id;
            }

            public SourceHealth health() {
                return health;
            }
        };
    }
}

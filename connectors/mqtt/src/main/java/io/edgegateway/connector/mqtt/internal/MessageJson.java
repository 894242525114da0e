package io.edgegateway.connector.mqtt.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.MaintenanceEstimate;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.SourceHealth;

/**
 * The JSON the gateway publishes (UTF-8, one object per MQTT message). Pure and thread-safe. Keys are camelCase
 * for alerts, explanations and status, as below, and never change meaning; consumers must ignore keys they do not
 * know (fields may be added). Times are ISO-8601 UTC text ({@code 2024-05-01T12:00:00.123Z}). A number that is
 * NaN or infinite is written as {@code null}, so every message is valid JSON.
 *
 * <h2>Alert</h2>
 * Topic {@code gateway/<gatewayId>/alerts/<assetId>}, QoS 1, not retained.
 * <pre>{@code
 * {"alertId":"4f7c...","gatewayId":"line-1","assetId":"pump-1","signal":"bearing_temperature",
 *  "detector":"threshold","detectorVersion":"0.1.0","severity":"CRITICAL","score":7.5,"baseline":80.0,
 *  "value":87.5,"unit":"degC","observedTime":"2024-05-01T12:00:00Z","detectionTime":"2024-05-01T12:00:00.004Z",
 *  "message":"above high limit 80.0 degC"}
 * }</pre>
 * <ul>
 * <li>{@code alertId} (text): unique id (UUID); the explanation of this alert carries the same id.</li>
 * <li>{@code gatewayId} (text): the gateway that raised it (framework property {@code gateway.id}).</li>
 * <li>{@code assetId} (text): the machine.</li>
 * <li>{@code signal} (text): the measured signal.</li>
 * <li>{@code detector} (text): the detector's name.</li>
 * <li>{@code detectorVersion} (text): version of the bundle that provided the detector; may be empty.</li>
 * <li>{@code severity} (text): {@code INFO}, {@code WARNING} or {@code CRITICAL}.</li>
 * <li>{@code score} (number or null): the detector's anomaly score, in the detector's own scale.</li>
 * <li>{@code baseline} (number or null): what the detector expected; null when it has none.</li>
 * <li>{@code value} (number or null): the sample value that fired the alert.</li>
 * <li>{@code unit} (text): the sample's engineering unit; empty when unknown.</li>
 * <li>{@code observedTime} (ISO-8601 UTC): when the value was measured (source time).</li>
 * <li>{@code detectionTime} (ISO-8601 UTC): when the gateway decided.</li>
 * <li>{@code message} (text): human-readable summary; may be empty.</li>
 * <li>{@code state} (text, since 1.3): {@code event} for a one-off detection; {@code raised} when a detector that
 * holds an alarm (the asset health model) turns it on, {@code cleared} when the asset is back to normal. A raised
 * alarm stays active until the {@code cleared} alert of the same asset and detector.</li>
 * <li>{@code activeSince} (ISO-8601 UTC, raised and cleared only): when the alarm became active (source time).</li>
 * <li>{@code durationMs} (number, cleared only): how long it was active.</li>
 * <li>{@code contributions} (array, asset-level detections only): the signals that drive the deviation, largest
 * first, each {@code {"signal","score","deviation","expected","direction"}}: its score over its own limit (above 1:
 * outside its normal range by itself), its distance from its normal level in standard deviations of normal
 * operation (signed), that normal level, and {@code up} or {@code down}.</li>
 * </ul>
 *
 * <h2>Explanation</h2>
 * Topic {@code gateway/<gatewayId>/explanations/<assetId>}, QoS 1, not retained.
 * <pre>{@code
 * {"alertId":"4f7c...","gatewayId":"line-1","assetId":"pump-1","text":"The bearing temperature rose ...",
 *  "probableCause":"bearing wear","recommendedAction":"check lubrication","urgency":"WARNING","source":"llm",
 *  "modelId":"explainer-small","modelVersion":"3","latencyMs":412.5,"createdTime":"2024-05-01T12:00:00.420Z",
 *  "servedBy":"line-1"}
 * }</pre>
 * <ul>
 * <li>{@code alertId} (text): the alert explained.</li>
 * <li>{@code gatewayId} (text): the gateway.</li>
 * <li>{@code assetId} (text): the alert's asset.</li>
 * <li>{@code text} (text): the explanation a person reads.</li>
 * <li>{@code probableCause} (text): short structured cause; may be empty.</li>
 * <li>{@code recommendedAction} (text): short structured action; may be empty.</li>
 * <li>{@code urgency} (text): {@code INFO}, {@code WARNING} or {@code CRITICAL}.</li>
 * <li>{@code source} (text): who wrote it, {@code llm} or {@code template}.</li>
 * <li>{@code modelId} (text): the model that produced it; empty for templates.</li>
 * <li>{@code modelVersion} (text): that model's version; empty for templates.</li>
 * <li>{@code latencyMs} (number or null): milliseconds from alert to explanation.</li>
 * <li>{@code createdTime} (ISO-8601 UTC): when it was produced.</li>
 * <li>{@code servedBy} (text, since API 1.2): the gateway whose explainer produced it: this gateway's id, or
 * another gateway's when that one's model answered an offloaded request (configuration
 * {@code io.edgegateway.mqtt.offload}).</li>
 * </ul>
 *
 * <h2>Maintenance</h2>
 * Topic {@code gateway/<gatewayId>/maintenance/<assetId>}, QoS 1, not retained: a remaining-useful-life estimate
 * (the RUL estimator, every {@code interval.s} per asset with new data).
 * <pre>{@code
 * {"assetId":"engine-91","rulCycles":87.125,"healthIndex":0.697,"modelId":"rul-cmapss-fd001",
 *  "modelVersion":"1.0.0","windowLength":30,"samplesInWindow":30,"time":"2024-05-01T12:00:00.420Z",
 *  "latencyMs":0.512}
 * }</pre>
 * <ul>
 * <li>{@code assetId} (text): the asset.</li>
 * <li>{@code rulCycles} (number or null): estimated remaining useful life in cycles, 3 decimals.</li>
 * <li>{@code healthIndex} (number or null): rulCycles over the model's RUL cap (1 healthy, 0 worn out), 4
 * decimals.</li>
 * <li>{@code modelId}, {@code modelVersion} (text): the model that estimated it.</li>
 * <li>{@code windowLength} (number): cycles the model looks at; {@code samplesInWindow} (number): cycles of this
 * asset in that window.</li>
 * <li>{@code time} (ISO-8601 UTC): when it was estimated.</li>
 * <li>{@code latencyMs} (number or null): inference time, 3 decimals.</li>
 * </ul>
 *
 * <h2>Status</h2>
 * Topic {@code gateway/<gatewayId>/status}, QoS 1, retained. After each connect, and again whenever the health
 * summary changes (checked every {@code metrics.interval.s}, or every 10 s when metrics are off; published only on
 * a change):
 * <pre>{@code
 * {"gatewayId":"line-1","state":"online","since":"2024-05-01T12:00:00Z","version":"0.1.0.SNAPSHOT",
 *  "health":"degraded","problems":["source opcua:plant disconnected",
 *  "llm-runtime: model rul-cmapss-fd001 1.1.0 rejected: sha256 mismatch; 1.0.0 stays"]}
 * }</pre>
 * <ul>
 * <li>{@code since} (ISO-8601 UTC): when this connection to the broker was made (unchanged by health updates).</li>
 * <li>{@code version} (text): the MQTT connector bundle's version.</li>
 * <li>{@code health} (text, since API 1.1): {@code ok}, or {@code degraded} when {@code problems} is not empty.</li>
 * <li>{@code problems} (list of text, since API 1.1): one short line (at most 200 characters) per telemetry source
 * that is not connected ({@code source <sourceId> disconnected}) and per health reporter that is not ok
 * ({@code <name>: <detail>}); empty when healthy. The details are in the metrics message.</li>
 * </ul>
 * {@code {"gatewayId":"line-1","state":"offline","reason":"stopped"}} on a clean stop; the broker publishes
 * {@code {"gatewayId":"line-1","state":"offline","reason":"connection lost"}} (the Last Will) when the gateway
 * vanishes.
 *
 * <h2>Metrics</h2>
 * Topic {@code gateway/<gatewayId>/metrics}, QoS 0, not retained, every {@code metrics.interval.s}. Keys are
 * snake_case: {@code gatewayId, time, received, accepted, evaluated, rejected} (object: reason to count),
 * {@code alerts, explanations, queue_depth, queue_capacity, latency_p50_us, latency_p99_us, latency_max_us,
 * signals, explanations_pending, explanations_shed} (the pipeline's counters, absent while the pipeline's metrics service is not available), and
 * {@code uplink_published, uplink_dropped, uplink_queue_depth} (this publisher's own counters), and the durable
 * outbox's exact counters since the gateway started: {@code outbox_stored} (accepted and stored),
 * {@code outbox_delivered} (acknowledged by the broker, then removed), {@code outbox_expired} (older than
 * {@code outbox.max.age.s}), {@code outbox_dropped} (evicted or rejected by the overflow policy),
 * {@code outbox_pending} and {@code outbox_bytes} (waiting now), {@code outbox_recovered} (found waiting at start),
 * {@code uplink_connect_failures} (failed connect attempts of the uplink since it started) and
 * {@code uplink_tls_failures} (those that failed on TLS: a file, the broker's or the client's certificate).
 * Then, always present (empty objects when there is nothing to report):
 * <ul>
 * <li>{@code sources} (object): each telemetry source by its id, {@code {"connected":true,"detail":"connected to
 * ...","last_message":"2024-05-01T12:00:00.120Z","messages":1234}} ({@code last_message} null before the first
 * message; {@code messages} since the source started). The OPC UA source's detail names the security, the
 * identity and its subscription (id, monitored items, refused items, re-creations, notifications lost).</li>
 * <li>{@code health} (object): each health reporter by its name,
 * {@code {"ok":false,"detail":"model ... rejected: ...","counters":{"models_loaded":2,"models_rejected":1}}}
 * (counters: integers or decimals, null when not finite). A reporter whose {@code health()} fails shows
 * {@code ok} false and the failure as detail.</li>
 * </ul>
 *
 * <h2>Delivery</h2>
 * Alerts, explanations and maintenance estimates are delivered at least once, also across broker outages and gateway restarts (they wait
 * in a durable outbox); a message sent again is byte-identical. Deduplicate alerts by {@code alertId}, and
 * explanations by {@code alertId} too (one explanation per alert).
 */
public final class MessageJson {

    private static final JsonFactory JSON = new JsonFactory();

    private MessageJson() {
    }

    /**
     * The uplink's own counters, for the metrics message. {@code published}: acknowledged by the broker;
     * {@code dropped}: dropped by the outbox's overflow policy or never stored (encoding/disk error);
     * {@code queueDepth}: waiting in the outbox. The outbox's counters are exact for this run:
     * {@code recovered + stored = delivered + expired + (dropped - rejected) + pending}.
     */
    record UplinkCounters(long published, long dropped, long queueDepth, long outboxRecovered, long outboxStored,
                          long outboxDelivered, long outboxExpired, long outboxDropped, long outboxBytes,
                          long connectFailures, long tlsFailures) {

        UplinkCounters(long published, long dropped, long queueDepth) {
            this(published, dropped, queueDepth, 0, 0, 0, 0, 0, 0, 0, 0);
        }
    }

    /** The alert message; also the {@code alert} of an offloaded explanation request. */
    public static byte[] alert(Alert a, String gatewayId) {
        return write(g -> {
            g.writeStringField("alertId", a.alertId());
            g.writeStringField("gatewayId", gatewayId);
            g.writeStringField("assetId", a.assetId());
            g.writeStringField("signal", a.signal());
            g.writeStringField("detector", a.detector());
            g.writeStringField("detectorVersion", a.detectorVersion());
            g.writeStringField("severity", a.severity().name());
            number(g, "score", a.score());
            number(g, "baseline", a.baseline());
            number(g, "value", a.value());
            g.writeStringField("unit", a.unit());
            time(g, "observedTime", a.observedTime());
            time(g, "detectionTime", a.detectionTime());
            g.writeStringField("message", a.message());
            g.writeStringField("state", a.state().name().toLowerCase(java.util.Locale.ROOT));
            if (a.state() != AlertState.EVENT) {
                time(g, "activeSince", a.activeSince());
            }
            if (a.state() == AlertState.CLEARED) {
                g.writeNumberField("durationMs", a.activeDuration().toMillis());
            }
            if (!a.contributions().isEmpty()) {
                g.writeArrayFieldStart("contributions");
                for (Contribution c : a.contributions()) {
                    g.writeStartObject();
                    g.writeStringField("signal", c.signal());
                    number(g, "score", c.score());
                    number(g, "deviation", c.deviation());
                    number(g, "expected", c.expected());
                    g.writeStringField("direction", c.direction());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
        });
    }

    /**
     * The explanation message ({@code servedBy} is {@code gatewayId} unless the explanation names another gateway);
     * also the {@code explanation} of an offload reply.
     */
    public static byte[] explanation(Explanation e, String gatewayId) {
        return write(g -> {
            g.writeStringField("alertId", e.alertId());
            g.writeStringField("gatewayId", gatewayId);
            g.writeStringField("assetId", e.assetId());
            g.writeStringField("text", e.text());
            g.writeStringField("probableCause", e.probableCause());
            g.writeStringField("recommendedAction", e.recommendedAction());
            g.writeStringField("urgency", e.urgency().name());
            g.writeStringField("source", e.source());
            g.writeStringField("modelId", e.modelId());
            g.writeStringField("modelVersion", e.modelVersion());
            number(g, "latencyMs", e.latencyMillis());
            time(g, "createdTime", e.createdTime());
            g.writeStringField("servedBy", e.servedBy().isEmpty() ? gatewayId : e.servedBy());
        });
    }

    /** The maintenance message: the fields and precision the RUL estimator has always published. */
    static byte[] maintenance(MaintenanceEstimate e) {
        return write(g -> {
            g.writeStringField("assetId", e.assetId());
            number(g, "rulCycles", round(e.rulCycles(), 1e3));
            number(g, "healthIndex", round(e.healthIndex(), 1e4));
            g.writeStringField("modelId", e.modelId());
            g.writeStringField("modelVersion", e.modelVersion());
            g.writeNumberField("windowLength", e.windowLength());
            g.writeNumberField("samplesInWindow", e.samplesInWindow());
            time(g, "time", e.time());
            number(g, "latencyMs", round(e.latencyMillis(), 1e3));
        });
    }

    private static double round(double v, double scale) {
        return Double.isFinite(v) && Math.abs(v) < 1e12 ? Math.round(v * scale) / scale : v;
    }

    /** The online status, healthy (the 1.0 keys and {@code "health":"ok","problems":[]}). */
    static byte[] online(String gatewayId, Instant since, String version) {
        return online(gatewayId, since, version, GatewayHealth.Summary.OK);
    }

    static byte[] online(String gatewayId, Instant since, String version, GatewayHealth.Summary health) {
        return write(g -> {
            g.writeStringField("gatewayId", gatewayId);
            g.writeStringField("state", "online");
            time(g, "since", since);
            g.writeStringField("version", version);
            g.writeStringField("health", health.health());
            g.writeArrayFieldStart("problems");
            for (String p : health.problems()) {
                g.writeString(p);
            }
            g.writeEndArray();
        });
    }

    static byte[] offline(String gatewayId, String reason) {
        return write(g -> {
            g.writeStringField("gatewayId", gatewayId);
            g.writeStringField("state", "offline");
            g.writeStringField("reason", reason);
        });
    }

    /**
     * @param snapshot the pipeline's counters; null when the pipeline's metrics service is not available
     */
    static byte[] metrics(String gatewayId, Instant now, MetricsSnapshot snapshot, UplinkCounters uplink) {
        return metrics(gatewayId, now, snapshot, uplink, GatewayHealth.NONE);
    }

    /**
     * @param snapshot the pipeline's counters; null when the pipeline's metrics service is not available
     * @param health   the sources' and health reporters' state
     */
    static byte[] metrics(String gatewayId, Instant now, MetricsSnapshot snapshot, UplinkCounters uplink,
                          GatewayHealth health) {
        return write(g -> {
            g.writeStringField("gatewayId", gatewayId);
            time(g, "time", snapshot == null ? now : snapshot.time());
            if (snapshot != null) {
                g.writeNumberField("received", snapshot.received());
                g.writeNumberField("accepted", snapshot.accepted());
                g.writeNumberField("evaluated", snapshot.evaluated());
                g.writeObjectFieldStart("rejected");
                for (Map.Entry<String, Long> r : new TreeMap<>(snapshot.rejected()).entrySet()) {
                    g.writeNumberField(r.getKey(), r.getValue());
                }
                g.writeEndObject();
                g.writeNumberField("alerts", snapshot.alerts());
                g.writeNumberField("explanations", snapshot.explanations());
                g.writeNumberField("queue_depth", snapshot.queueDepth());
                g.writeNumberField("queue_capacity", snapshot.queueCapacity());
                g.writeNumberField("latency_p50_us", snapshot.latencyP50Micros());
                g.writeNumberField("latency_p99_us", snapshot.latencyP99Micros());
                g.writeNumberField("latency_max_us", snapshot.latencyMaxMicros());
                g.writeNumberField("signals", snapshot.signals());
                g.writeNumberField("explanations_pending", snapshot.explanationsPending());
                g.writeNumberField("explanations_shed", snapshot.explanationsShed());
            }
            g.writeNumberField("uplink_published", uplink.published());
            g.writeNumberField("uplink_dropped", uplink.dropped());
            g.writeNumberField("uplink_queue_depth", uplink.queueDepth());
            g.writeNumberField("outbox_stored", uplink.outboxStored());
            g.writeNumberField("outbox_delivered", uplink.outboxDelivered());
            g.writeNumberField("outbox_expired", uplink.outboxExpired());
            g.writeNumberField("outbox_dropped", uplink.outboxDropped());
            g.writeNumberField("outbox_pending", uplink.queueDepth());
            g.writeNumberField("outbox_bytes", uplink.outboxBytes());
            g.writeNumberField("outbox_recovered", uplink.outboxRecovered());
            g.writeNumberField("uplink_connect_failures", uplink.connectFailures());
            g.writeNumberField("uplink_tls_failures", uplink.tlsFailures());
            g.writeObjectFieldStart("sources");
            for (Map.Entry<String, SourceHealth> e : health.sources().entrySet()) {
                SourceHealth h = e.getValue();
                g.writeObjectFieldStart(e.getKey());
                g.writeBooleanField("connected", h.connected());
                g.writeStringField("detail", h.detail() == null ? "" : h.detail());
                time(g, "last_message", h.lastMessage());
                g.writeNumberField("messages", h.messages());
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeObjectFieldStart("health");
            for (Map.Entry<String, HealthReport> e : health.reporters().entrySet()) {
                HealthReport r = e.getValue();
                g.writeObjectFieldStart(e.getKey());
                g.writeBooleanField("ok", r.ok());
                g.writeStringField("detail", r.detail());
                g.writeObjectFieldStart("counters");
                for (Map.Entry<String, Number> c : new TreeMap<>(r.counters()).entrySet()) {
                    counter(g, c.getKey(), c.getValue());
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndObject();
        });
    }

    /** Integral numbers as integers, others as decimals (null when not finite). */
    private static void counter(JsonGenerator g, String name, Number n) throws IOException {
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || n instanceof AtomicLong || n instanceof AtomicInteger || n instanceof LongAdder) {
            g.writeNumberField(name, n.longValue());
        } else if (n instanceof BigInteger b) {
            g.writeFieldName(name);
            g.writeNumber(b);
        } else if (n instanceof BigDecimal d) {
            g.writeNumberField(name, d);
        } else {
            number(g, name, n.doubleValue());
        }
    }

    /** The fields of one JSON object message. */
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object (UTF-8) with the fields {@code body} writes; also the offload messages' writer. */
    public static byte[] write(Body body) {
        try (ByteArrayBuilder buf = new ByteArrayBuilder(512);
             JsonGenerator g = JSON.createGenerator(buf, JsonEncoding.UTF8)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
            g.flush();
            return buf.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory: does not happen
        }
    }

    private static void number(JsonGenerator g, String name, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(name, v);
        } else {
            g.writeNullField(name);
        }
    }

    private static void time(JsonGenerator g, String name, Instant t) throws IOException {
        if (t == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, t.toString());
        }
    }
}

package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.Severity;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.BadMessage;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.Reply;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.Request;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.Status;

/** The request and reply JSON of inference offload: what travels, what comes back, and what is refused. */
class OffloadCodecTest {

    static final Alert ALERT = new Alert("a-1", "pump-1", "bearing_temperature", "threshold", "0.1.0",
            Severity.CRITICAL, 0.14, 80.0, 91.5, "degC", Instant.parse("2024-05-01T12:00:00Z"),
            Instant.parse("2024-05-01T12:00:00.004Z"), "above high limit 80.0 degC");
    static final String CONTEXT = "{\"assetType\":\"pump\",\"assetId\":\"pump-1\",\"signal\":\"bearing_temperature\","
            + "\"unit\":\"degC\",\"pattern\":\"threshold\",\"direction\":\"up\",\"value\":91.5,\"baseline\":null,"
            + "\"deviation\":7.25,\"slopePerMin\":0,\"durationS\":12,\"others\":{\"vibration\":\"up\"},\"rulCycles\":40}";

    static Request request() {
        return new Request("r-1", "line-1", "gateway/line-1/offload/reply", 2000, ALERT, CONTEXT);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void requestCarriesTheAlertAsPublishedAndTheContextVerbatim() {
        byte[] json = OffloadCodec.request(request());
        Map<String, Object> m = Json.object(json);
        assertThat(m.keySet()).containsExactly("v", "requestId", "requester", "replyTo", "deadlineMs", "alert",
                "context");
        assertThat(m).containsEntry("v", 1L).containsEntry("requestId", "r-1").containsEntry("requester", "line-1")
                .containsEntry("replyTo", "gateway/line-1/offload/reply").containsEntry("deadlineMs", 2000L);
        // the alert is the alert message of the uplink, key for key
        assertThat(m.get("alert")).isEqualTo(Json.object(MessageJson.alert(ALERT, "line-1")));
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"context\":" + CONTEXT);

        Request back = OffloadCodec.parseRequest(json);
        assertThat(back).isEqualTo(request());
        assertThat(back.context()).isEqualTo(CONTEXT); // byte for byte: explainers parse it, not the transport
    }

    @Test
    void aHeldAlarmTravelsWithItsStateAndContributions() {
        Instant since = ALERT.observedTime().minusSeconds(600);
        Alert a = new Alert("a-3", "pump-3", "vibration", "health", "0.1.0", Severity.WARNING, 2.5, 1.0, 5.5,
                "mm/s", ALERT.observedTime(), ALERT.detectionTime(), "abnormal", AlertState.RAISED, since,
                List.of(new Contribution("vibration", 3.5, 2.9, 2.0), new Contribution("flow", 0.4, -0.5, 40)));
        Request r = OffloadCodec.parseRequest(OffloadCodec.request(new Request("r-3", "g", "gateway/g/offload/reply",
                10, a, "{}")));
        assertThat(r.alert()).isEqualTo(a);
    }

    @Test
    void nonFiniteAlertNumbersTravelAsNullAndComeBackAsNaN() {
        Alert a = new Alert("a-2", "fan-1", "vibration", "stuck", "", Severity.WARNING, Double.NaN, Double.NaN, 4.5,
                "", ALERT.observedTime(), ALERT.detectionTime(), "");
        Request r = OffloadCodec.parseRequest(OffloadCodec.request(new Request("r-2", "g", "gateway/g/offload/reply",
                10, a, "{}")));
        assertThat(r.alert()).isEqualTo(a);
        assertThat(r.alert().baseline()).isNaN();
    }

    @Test
    void answerCarriesTheExplanationMessageWithItsServer() {
        Explanation e = new Explanation("a-1", "pump-1", "Bearing runs hot.", "bearing wear", "check lubrication",
                Severity.WARNING, Explanation.SOURCE_LLM, "explainer-maint", "1.0.0", 41.5,
                Instant.parse("2024-05-01T12:00:00.046Z"));
        byte[] json = OffloadCodec.answer("r-1", "line-2", e);
        Map<String, Object> m = Json.object(json);
        assertThat(m).containsEntry("v", 1L).containsEntry("requestId", "r-1").containsEntry("servedBy", "line-2")
                .containsEntry("status", "ok");
        assertThat(m.get("explanation")).isEqualTo(Json.object(MessageJson.explanation(e, "line-2")));

        Reply r = OffloadCodec.parseReply(json);
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.servedBy()).isEqualTo("line-2");
        assertThat(r.explanation()).isEqualTo(e.fromGateway("line-2", 41.5));
    }

    @Test
    void busyAndErrorRepliesCarryTheReason() {
        Reply busy = OffloadCodec.parseReply(OffloadCodec.refusal("r-1", "line-3", Status.BUSY, "queue full"));
        assertThat(busy).isEqualTo(new Reply("r-1", "line-3", Status.BUSY, null, "queue full"));
        Reply error = OffloadCodec.parseReply(OffloadCodec.refusal("r-1", "line-3", Status.ERROR, "context.x: bad"));
        assertThat(error.status()).isEqualTo(Status.ERROR);
        assertThat(error.reason()).isEqualTo("context.x: bad");
        assertThatThrownBy(() -> OffloadCodec.refusal("r", "g", Status.OK, "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unknownKeysAreIgnored() {
        String json = new String(OffloadCodec.refusal("r-1", "g", Status.BUSY, "x"), StandardCharsets.UTF_8);
        Reply r = OffloadCodec.parseReply(bytes(json.replace("{\"v\":1", "{\"v\":1,\"future\":{\"a\":[1,2]}")));
        assertThat(r.status()).isEqualTo(Status.BUSY);
    }

    @Test
    void badRequestsAreRefusedNamingTheFieldAndKeepWhatCanBeAnswered() {
        String ok = new String(OffloadCodec.request(request()), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes("not json")))
                .isInstanceOf(BadMessage.class).hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes("[1]")))
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes(ok + " {}")))
                .hasMessageContaining("content after the JSON object");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes(ok.replace("\"v\":1", "\"v\":2"))))
                .hasMessageContaining("v: '2' (this gateway speaks version 1)");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes(ok.replace("\"deadlineMs\":2000",
                "\"deadlineMs\":0")))).hasMessageContaining("deadlineMs: must be >= 1");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes(ok.replace("\"severity\":\"CRITICAL\"",
                "\"severity\":\"LOUD\"")))).hasMessageContaining("alert.severity: 'LOUD' is not INFO, WARNING or "
                + "CRITICAL");
        assertThatThrownBy(() -> OffloadCodec.parseRequest(bytes(ok.replace("\"detectionTime\":\"2024-05-01T12:00:00.004Z\"",
                "\"detectionTime\":\"yesterday\"")))).hasMessageContaining("alert.detectionTime: 'yesterday' is not");
        BadMessage noContext = (BadMessage) org.assertj.core.api.Assertions.catchThrowable(() ->
                OffloadCodec.parseRequest(bytes(ok.substring(0, ok.indexOf(",\"context\"")) + ",\"context\":[1]}")));
        assertThat(noContext).hasMessage("offload request r-1: context: expected a JSON object");
        // readable enough to be answered with the error
        assertThat(noContext.requestId()).isEqualTo("r-1");
        assertThat(noContext.replyTo()).isEqualTo("gateway/line-1/offload/reply");
        assertThatThrownBy(() -> OffloadCodec.request(new Request("r", "g", "t", 1, ALERT, "{\"a\":")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("context: malformed JSON");
    }

    @Test
    void badRepliesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> OffloadCodec.parseReply(bytes("{\"v\":1,\"requestId\":\"r\",\"servedBy\":\"g\","
                + "\"status\":\"maybe\"}"))).isInstanceOf(BadMessage.class)
                .hasMessage("offload reply r: status: 'maybe' is not ok, busy or error");
        assertThatThrownBy(() -> OffloadCodec.parseReply(bytes("{\"v\":1,\"requestId\":\"r\",\"servedBy\":\"g\","
                + "\"status\":\"ok\"}"))).hasMessage("offload reply r: explanation: missing");
        assertThatThrownBy(() -> OffloadCodec.parseReply(bytes("{\"v\":1,\"requestId\":\"r\",\"servedBy\":\"g\","
                + "\"status\":\"ok\",\"explanation\":{\"alertId\":\"a\"}}")))
                .hasMessage("offload reply r: explanation.assetId: missing");
        assertThatThrownBy(() -> OffloadCodec.parseReply(bytes("{\"requestId\":\"r\"}")))
                .hasMessageContaining("v: missing");
    }
}

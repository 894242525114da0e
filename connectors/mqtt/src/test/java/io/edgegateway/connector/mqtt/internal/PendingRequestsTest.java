package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.Severity;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.Reply;
import io.edgegateway.connector.mqtt.internal.offload.OffloadCodec.Status;
import io.edgegateway.connector.mqtt.internal.offload.PendingRequests;
import io.edgegateway.connector.mqtt.internal.offload.PendingRequests.Outcome;

/** The requester's correlation of replies with requests: one outcome per request, in time. */
class PendingRequestsTest {

    final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

    {
        timer.setRemoveOnCancelPolicy(true); // as the offload's own thread
    }

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    static final byte[] PAYLOAD = {'{', '}'};

    static Alert alert(String id, long detectedMillis) {
        return new Alert(id, "pump-1", "bearing_temperature", "threshold", "", Severity.WARNING, 1, 80, 90, "degC",
                Instant.ofEpochMilli(detectedMillis), Instant.ofEpochMilli(detectedMillis), "");
    }

    static Explanation explanation(String alertId) {
        return new Explanation(alertId, "pump-1", "text", "cause", "action", Severity.WARNING,
                Explanation.SOURCE_LLM, "explainer-maint", "1.0.0", 12, Instant.now());
    }

    static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(5, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("not completed");
        }
    }

    @Test
    void anAnswerCompletesItsRequestWithTheServerAndTheLatencyMeasuredHere() throws Exception {
        PendingRequests p = new PendingRequests(10, 0, timer, () -> 1_000_250L);
        CompletableFuture<Explanation> f = p.register("r-1", alert("a-1", 1_000_000L), 5000, PAYLOAD);
        assertThat(p.pending()).isEqualTo(1);
        assertThat(p.onReply(new Reply("r-1", "line-2", Status.OK, explanation("a-1"), ""))).isEqualTo(Outcome.ANSWERED);
        Explanation e = f.get(1, TimeUnit.SECONDS);
        assertThat(e.servedBy()).isEqualTo("line-2");
        assertThat(e.latencyMillis()).isEqualTo(250.0);
        assertThat(e.source()).isEqualTo("llm");
        assertThat(p.pending()).isZero();
        // the same reply again (QoS 1 may deliver twice) finds nothing waiting
        assertThat(p.onReply(new Reply("r-1", "line-2", Status.OK, explanation("a-1"), ""))).isEqualTo(Outcome.LATE);
        assertThat(p.answered()).isEqualTo(1);
        assertThat(p.late()).isEqualTo(1);
    }

    @Test
    void withoutAReplyTheRequestTimesOutAtItsDeadlineAndALateReplyIsCounted() throws Exception {
        PendingRequests p = new PendingRequests(10, 0, timer, System::currentTimeMillis);
        long t0 = System.nanoTime();
        CompletableFuture<Explanation> f = p.register("r-1", alert("a-1", System.currentTimeMillis()), 100, PAYLOAD);
        assertThat(failure(f)).isInstanceOf(TimeoutException.class).hasMessageContaining("no answer within 100 ms");
        assertThat((System.nanoTime() - t0) / 1e6).isGreaterThanOrEqualTo(99);
        assertThat(p.timedOut()).isEqualTo(1);
        assertThat(p.pending()).isZero();
        assertThat(p.onReply(new Reply("r-1", "line-2", Status.OK, explanation("a-1"), ""))).isEqualTo(Outcome.LATE);
    }

    @Test
    void busyErrorAndAnAnswerForAnotherAlertFailTheRequestAtOnce() throws Exception {
        PendingRequests p = new PendingRequests(10, 0, timer, System::currentTimeMillis);
        CompletableFuture<Explanation> busy = p.register("r-1", alert("a-1", 0), 60_000, PAYLOAD);
        CompletableFuture<Explanation> error = p.register("r-2", alert("a-2", 0), 60_000, PAYLOAD);
        CompletableFuture<Explanation> wrong = p.register("r-3", alert("a-3", 0), 60_000, PAYLOAD);
        assertThat(p.onReply(new Reply("r-1", "line-2", Status.BUSY, null, "queue full"))).isEqualTo(Outcome.BUSY);
        assertThat(p.onReply(new Reply("r-2", "line-2", Status.ERROR, null, "context.x"))).isEqualTo(Outcome.ERROR);
        assertThat(p.onReply(new Reply("r-3", "line-2", Status.OK, explanation("a-9"), ""))).isEqualTo(Outcome.ERROR);
        assertThat(failure(busy)).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("line-2 is busy");
        assertThat(failure(error)).isInstanceOf(IllegalStateException.class).hasMessageContaining("context.x");
        assertThat(failure(wrong)).hasMessageContaining("alert a-9, not a-3");
        assertThat(p.pending()).isZero();
        assertThat(timer.getQueue()).as("their deadlines are cancelled").isEmpty();
    }

    @Test
    void aBusyReplyIsRetriedWhileTheDeadlineLastsThenFailsTheRequest() throws Exception {
        PendingRequests p = new PendingRequests(10, 2, timer, () -> 1_000_100L);
        CompletableFuture<Explanation> f = p.register("r-1", alert("a-1", 1_000_000L), 60_000, PAYLOAD);
        Reply busy = new Reply("r-1", "line-2", Status.BUSY, null, "queue full");
        assertThat(p.onReply(busy)).isEqualTo(Outcome.RETRY);
        assertThat(p.payload("r-1")).as("sent again as it was").isSameAs(PAYLOAD);
        assertThat(p.onReply(new Reply("r-1", "line-3", Status.BUSY, null, "queue full"))).isEqualTo(Outcome.RETRY);
        assertThat(f).isNotDone();
        assertThat(p.onReply(busy)).as("retries used up").isEqualTo(Outcome.BUSY);
        assertThat(failure(f)).isInstanceOf(RejectedExecutionException.class);
        assertThat(p.retried()).isEqualTo(2);
        assertThat(p.payload("r-1")).isNull();

        // a retry answered by another gateway completes the request
        CompletableFuture<Explanation> g = p.register("r-2", alert("a-2", 1_000_000L), 60_000, PAYLOAD);
        assertThat(p.onReply(new Reply("r-2", "line-2", Status.BUSY, null, "queue full"))).isEqualTo(Outcome.RETRY);
        assertThat(p.onReply(new Reply("r-2", "line-3", Status.OK, explanation("a-2"), ""))).isEqualTo(Outcome.ANSWERED);
        assertThat(g.get(1, TimeUnit.SECONDS).servedBy()).isEqualTo("line-3");
        assertThat(p.pending()).isZero();
    }

    @Test
    void boundedBeyondMaxPendingAndFailAllLeavesNothingWaiting() throws Exception {
        PendingRequests p = new PendingRequests(2, 0, timer, System::currentTimeMillis);
        CompletableFuture<Explanation> a = p.register("r-1", alert("a-1", 0), 60_000, PAYLOAD);
        CompletableFuture<Explanation> b = p.register("r-2", alert("a-2", 0), 60_000, PAYLOAD);
        CompletableFuture<Explanation> c = p.register("r-3", alert("a-3", 0), 60_000, PAYLOAD);
        assertThat(failure(c)).isInstanceOf(RejectedExecutionException.class).hasMessageContaining("max.pending");
        assertThat(p.refused()).isEqualTo(1);
        p.failed("r-1", new IllegalStateException("not sent"));
        assertThat(failure(a)).hasMessage("not sent");
        p.failAll("stopped");
        assertThat(failure(b)).isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped");
        assertThat(p.pending()).isZero();
        assertThat(p.sent()).isEqualTo(2);
        assertThat(p.failed()).isEqualTo(2);
    }
}

package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationOffload;
import io.edgegateway.api.OffloadRequest;
import io.edgegateway.api.Severity;
import io.edgegateway.llm.internal.explain.Offloading.Reason;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;

/**
 * The explainer's offload decisions with the shipped knowledge base and stand-ins for the transport (the real one is
 * the MQTT connector, exercised by OffloadIT): when an alert goes to other gateways, that every failure gives the
 * template at once, and which requests of others the local model takes.
 */
class OffloadingTest {

    static final ExplainContext CONTEXT = ExplainerCoreTest.CONTEXT;
    static final Offloading.Settings ON = new Offloading.Settings(true, 1500, true, 2);

    static Offloading offloading(Offloading.Settings s) {
        return new Offloading(ExplainerCoreTest.KB, s);
    }

    /** A transport that records requests and answers with the given stage. */
    static final class Transport implements ExplanationOffload {
        final List<OffloadRequest> requests = new ArrayList<>();
        final CompletableFuture<Explanation> answer;

        Transport(CompletableFuture<Explanation> answer) {
            this.answer = answer;
        }

        @Override
        public CompletableFuture<Explanation> offload(OffloadRequest request) {
            requests.add(request);
            return answer;
        }
    }

    static Explanation remote(String alertId) {
        return new Explanation(alertId, CONTEXT.assetId(), "served elsewhere", "cause", "action", Severity.WARNING,
                Explanation.SOURCE_LLM, "explainer-maint", "1.0.0", 80, Instant.now(), "line-2");
    }

    @Test
    void offloadsWithoutAModelOrWithTheQueueFullAndOnlyThen() {
        Offloading o = offloading(ON);
        assertThat(o.reason(true, CONTEXT, false, 0, 64)).contains(Reason.NO_MODEL);
        assertThat(o.reason(true, CONTEXT, true, 64, 64)).contains(Reason.OVERLOADED);
        assertThat(o.reason(true, CONTEXT, true, 63, 64)).as("room here").isEmpty();
        assertThat(o.reason(false, CONTEXT, false, 0, 64)).as("no transport").isEmpty();
        assertThat(offloading(new Offloading.Settings(false, 1500, true, 2)).reason(true, CONTEXT, false, 0, 64))
                .as("offload.enabled=false").isEmpty();
        ExplainContext unknown = new ExplainContext("spaceship", "ss-1", CONTEXT.signal(), "", "spike", "up", 1,
                OptionalDouble.empty(), 5, 0, 1, Map.of(), OptionalDouble.empty());
        assertThat(o.reason(true, unknown, false, 0, 64)).as("the catch-all template needs no model").isEmpty();
    }

    @Test
    void theRequestCarriesTheContextAndTheDeadlineAndTheAnswerGoesOutAsItIs() throws Exception {
        Offloading o = offloading(ON);
        Transport t = new Transport(CompletableFuture.completedFuture(remote("a-1")));
        Explanation e = o.offload(t, ExplainerCoreTest.alert(1), CONTEXT, Reason.NO_MODEL).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        assertThat(e.servedBy()).isEqualTo("line-2");
        assertThat(e.source()).isEqualTo("llm");
        OffloadRequest r = t.requests.get(0);
        assertThat(r.alert().alertId()).isEqualTo("a-1");
        assertThat(ExplainContext.fromJson(r.context())).isEqualTo(CONTEXT);
        assertThat(r.deadline().toMillis()).isEqualTo(1500);
        assertThat(o.offloaded(Reason.NO_MODEL)).isEqualTo(1);
        assertThat(o.answered()).isEqualTo(1);
    }

    @Test
    void everyFailureGivesTheTemplateAndIsCountedByWhy() throws Exception {
        Offloading o = offloading(ON);
        List<Throwable> failures = List.of(new TimeoutException("no answer"), new RejectedExecutionException("busy"),
                new IllegalStateException("not connected"));
        int i = 0;
        for (Throwable f : failures) {
            Explanation e = o.offload(new Transport(CompletableFuture.failedFuture(f)), ExplainerCoreTest.alert(++i),
                    CONTEXT, Reason.OVERLOADED).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(e.source()).isEqualTo(Explanation.SOURCE_TEMPLATE);
            assertThat(e.servedBy()).isEmpty();
            assertThat(e.alertId()).isEqualTo("a-" + i);
            assertThat(e.probableCause()).isNotBlank();
        }
        ExplanationOffload throwing = request -> {
            throw new IllegalStateException("transport bug");
        };
        assertThat(o.offload(throwing, ExplainerCoreTest.alert(9), CONTEXT, Reason.OVERLOADED).toCompletableFuture()
                .get(5, TimeUnit.SECONDS).source()).isEqualTo(Explanation.SOURCE_TEMPLATE);
        assertThat(o.offloaded(Reason.OVERLOADED)).isEqualTo(4);
        assertThat(o.timedOut()).isEqualTo(1);
        assertThat(o.busy()).isEqualTo(1);
        assertThat(o.failed()).isEqualTo(2);
        assertThat(o.answered()).isZero();
    }

    @Test
    void servesOthersOnlyWithAModel() {
        Offloading o = offloading(ON);
        assertThat(o.serving(true)).isTrue();
        assertThat(o.serving(false)).as("no model").isFalse();
        assertThat(offloading(new Offloading.Settings(true, 1500, false, 2)).serving(true))
                .as("serve.offloaded=false").isFalse();
    }

    @Test
    void aServerWithTooManyExplanationsWaitingSaysBusyAtOnceAndTakesRequestsAgainWhenItDrained() throws Exception {
        Offloading o = offloading(ON); // serve.max.queue 2
        CountDownLatch release = new CountDownLatch(1);
        try (ExplainerCore core = new ExplainerCore(ExplainerCoreTest.KB, new ExplainerCoreTest.NoModel(release),
                new ExplainerCore.Settings(1, 8, 5000, 64, true))) {
            // one generating (held), two waiting: the queue is at serve.max.queue
            List<CompletableFuture<ExplainerCore.Result>> own = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                own.add(core.explain(ExplainerCoreTest.alert(i), CONTEXT).toCompletableFuture());
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (core.queueDepth() < 2 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            OffloadRequest r = new OffloadRequest(ExplainerCoreTest.alert(9), CONTEXT.toJson(),
                    java.time.Duration.ofSeconds(2));
            CompletableFuture<Explanation> refused = o.serve(core, r, true).toCompletableFuture();
            assertThat(refused).as("at once, not after the queue").isCompletedExceptionally();
            assertThat(cause(refused)).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("2 explanations waiting (serve.max.queue 2)");
            release.countDown();
            for (CompletableFuture<ExplainerCore.Result> f : own) {
                f.get(5, TimeUnit.SECONDS);
            }
            assertThat(core.queueDepth()).isZero();
            // drained: taken again (this model source has no model, so the core's template makes it busy, not
            // an answer: the requester falls back by itself)
            assertThat(cause(o.serve(core, r, true).toCompletableFuture())).hasMessageContaining("busy: no_model");
        }
        assertThat(o.servedRefused()).isEqualTo(2);
    }

    @Test
    void aServedRequestWithoutAModelIsBusyNotATemplate() throws Exception {
        Offloading o = offloading(ON);
        OffloadRequest r = new OffloadRequest(ExplainerCoreTest.alert(1), CONTEXT.toJson(),
                java.time.Duration.ofSeconds(2));
        try (ExplainerCore core = new ExplainerCore(ExplainerCoreTest.KB,
                new ExplainerCoreTest.NoModel(new CountDownLatch(0)), new ExplainerCore.Settings(1, 4, 1000, 64, true))) {
            // not serving (no model): refused at once
            assertThat(cause(o.serve(core, r, false).toCompletableFuture())).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("no model in service");
            // the model went away between the check and the generation: the core's no-model template is not an
            // answer, the requester falls back by itself
            assertThat(cause(o.serve(core, r, true).toCompletableFuture())).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("no_model");
            // an unreadable context is an error, not busy
            OffloadRequest bad = new OffloadRequest(r.alert(), "{\"assetType\":\"pump\"}", r.deadline());
            assertThat(cause(o.serve(core, bad, true).toCompletableFuture())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("context.");
        }
        assertThat(o.servedRefused()).isEqualTo(3);
        assertThat(o.served()).isZero();
    }

    @Test
    void settingsNameThePidAndTheSetting() {
        assertThatThrownBy(() -> new Offloading.Settings(true, 0, true, 1))
                .hasMessage("io.edgegateway.llm.explainer: setting 'offload.deadline.ms' = '0' must be >= 1");
        assertThatThrownBy(() -> new Offloading.Settings(true, 1, true, 0))
                .hasMessage("io.edgegateway.llm.explainer: setting 'serve.max.queue' = '0' must be >= 1");
    }

    private static Throwable cause(CompletableFuture<?> f) throws Exception {
        try {
            f.get(5, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            return c instanceof java.util.concurrent.CompletionException && c.getCause() != null ? c.getCause() : c;
        }
    }
}

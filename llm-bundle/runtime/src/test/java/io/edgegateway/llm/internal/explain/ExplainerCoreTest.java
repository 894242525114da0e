package io.edgegateway.llm.internal.explain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.Severity;
import io.edgegateway.llm.internal.explain.ExplainerCore.Fallback;
import io.edgegateway.llm.internal.explain.knowledge.EvalCase;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;

/**
 * The explainer's queueing, shedding and deadline logic, with the shipped knowledge base and a stand-in for the
 * model source (the real model is exercised by ExplainerModelGoldenTest and the end-to-end tests).
 */
class ExplainerCoreTest {

    static final KnowledgeBase KB = load();
    static final ExplainContext CONTEXT = firstEvalContext();

    static KnowledgeBase load() {
        try {
            return KnowledgeBase.load(Path.of(System.getProperty("explainer.knowledge.file")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ExplainContext firstEvalContext() {
        try {
            return EvalCase.readJsonl(Path.of(System.getProperty("explainer.eval.cases"))).get(0).context();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Alert alert(int i) {
        return new Alert("a-" + i, CONTEXT.assetId(), CONTEXT.signal(), "ewma", "1.0", Severity.WARNING, 5, 70, 90,
                CONTEXT.unit(), Instant.now(), Instant.now(), "");
    }

    /** A model source that never has a model, optionally holding each caller until released. */
    static final class NoModel implements ExplainerCore.ModelSource {
        final CountDownLatch release;

        NoModel(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public <R> Optional<R> withModel(Function<ExplainerModel, R> f) {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        }
    }

    @Test
    void withoutAModelTheTemplateOfTheKnowledgeBaseGoesOut() throws Exception {
        try (ExplainerCore core = new ExplainerCore(KB, new NoModel(new CountDownLatch(0)),
                new ExplainerCore.Settings(1, 4, 1000, 64, true))) {
            ExplainerCore.Result r = core.explain(alert(1), CONTEXT).toCompletableFuture().get(5, TimeUnit.SECONDS);
            Explanation e = r.explanation();
            assertThat(e.source()).isEqualTo(Explanation.SOURCE_TEMPLATE);
            assertThat(e.probableCause()).isEqualTo(KB.template(CONTEXT).cause());
            assertThat(e.text()).isNotBlank().doesNotContain("{");
            assertThat(e.alertId()).isEqualTo("a-1");
            assertThat(r.fallback()).contains(Fallback.NO_MODEL);
            assertThat(core.fallbacks(Fallback.NO_MODEL)).isEqualTo(1);
        }
    }

    @Test
    void beyondTheQueueRequestsAreShedAtOnceAndPastTheDeadlineTheyGetTemplates() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (ExplainerCore core = new ExplainerCore(KB, new NoModel(release),
                new ExplainerCore.Settings(1, 3, 200, 64, true))) {
            List<CompletableFuture<ExplainerCore.Result>> results = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                results.add(core.explain(alert(i), CONTEXT).toCompletableFuture());
            }
            double submitMs = (System.nanoTime() - t0) / 1e6;
            // 1 running, 3 queued: the other 16 were answered on the caller's thread, immediately
            assertThat(results.stream().filter(CompletableFuture::isDone).count()).isEqualTo(16);
            assertThat(core.fallbacks(Fallback.SHED)).isEqualTo(16);
            assertThat(core.queueDepth()).isEqualTo(3);
            assertThat(submitMs).as("the caller never waits").isLessThan(1000);
            Thread.sleep(300); // the queued ones are now past their 200 ms deadline
            release.countDown();
            for (CompletableFuture<ExplainerCore.Result> f : results) {
                assertThat(f.get(5, TimeUnit.SECONDS).explanation().source()).isEqualTo(Explanation.SOURCE_TEMPLATE);
            }
            assertThat(core.fallbacks(Fallback.DEADLINE)).isEqualTo(3);
            assertThat(core.fallbacks(Fallback.NO_MODEL)).isEqualTo(1);
            assertThat(core.requested()).isEqualTo(20);
        }
    }

    @Test
    void anAssetTypeTheModelNeverSawGetsTheCatchAllTemplate() throws Exception {
        ExplainContext unknown = ExplainContext.fromJson(CONTEXT.toJson().replace("\"assetType\":\""
                + CONTEXT.assetType() + "\"", "\"assetType\":\"machine\""));
        try (ExplainerCore core = new ExplainerCore(KB, new NoModel(new CountDownLatch(0)),
                new ExplainerCore.Settings(1, 4, 1000, 64, true))) {
            ExplainerCore.Result r = core.explainNow(alert(1), unknown);
            assertThat(r.fallback()).contains(Fallback.OUT_OF_DOMAIN);
            assertThat(r.explanation().source()).isEqualTo(Explanation.SOURCE_TEMPLATE);
        }
    }
}

package io.edgegateway.llm.internal.explain;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationOffload;
import io.edgegateway.api.OffloadRequest;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;

/**
 * The explainer's side of inference offload, free of OSGi: when an alert goes to other gateways instead of the
 * local model (no model in service, or the queue full), the template when they do not answer in time, and which
 * requests of other gateways the local model takes.
 *
 * <p>Requester: an alert the local model cannot explain now is handed to the {@link ExplanationOffload} with its
 * context ({@link ExplainContext#toJson()}) and {@code offload.deadline.ms}; the answer (source {@code llm},
 * {@code servedBy} the answering gateway) goes out as it is; a timeout, a busy gateway or any other failure gives
 * the knowledge base's template at once: every alert gets exactly one explanation, in time.
 *
 * <p>Server: this gateway serves others while a model is in service; it takes a request only while fewer than
 * {@code serve.max.queue} explanations wait in its queue (its own alerts keep the rest of the queue), and answers
 * "busy" (RejectedExecutionException) at once otherwise, or when the core could not run the model for it.
 */
final class Offloading {

    /** Why an alert goes to other gateways. */
    enum Reason { NO_MODEL, OVERLOADED }

    /** The explainer configuration's offload settings. */
    record Settings(boolean enabled, long deadlineMillis, boolean serve, int serveMaxQueue) {
        Settings {
            if (deadlineMillis < 1) {
                throw new IllegalArgumentException(LlmExplainer.PID + ": setting 'offload.deadline.ms' = '"
                        + deadlineMillis + "' must be >= 1");
            }
            if (serveMaxQueue < 1) {
                throw new IllegalArgumentException(LlmExplainer.PID + ": setting 'serve.max.queue' = '"
                        + serveMaxQueue + "' must be >= 1");
            }
        }
    }

    /** Core fallbacks that mean the model did not run for a served request: the requester falls back itself. */
    private static final Set<ExplainerCore.Fallback> NOT_SERVED = EnumSet.of(ExplainerCore.Fallback.NO_MODEL,
            ExplainerCore.Fallback.SHED, ExplainerCore.Fallback.DEADLINE, ExplainerCore.Fallback.ERROR);

    private final KnowledgeBase knowledge;
    private final Settings settings;
    private final LongAdder offloadedNoModel = new LongAdder();
    private final LongAdder offloadedOverloaded = new LongAdder();
    private final LongAdder answered = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder busy = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final LongAdder servedRefused = new LongAdder();

    Offloading(KnowledgeBase knowledge, Settings settings) {
        this.knowledge = knowledge;
        this.settings = settings;
    }

    Settings settings() {
        return settings;
    }

    /**
     * Why this alert should go to other gateways, or empty: explain it here. Never for an asset type or signal the
     * knowledge base does not know (the catch-all template needs no model).
     *
     * @param transport     whether an offload is available
     * @param modelInService whether the local model is in service
     * @param queueDepth    explanations waiting in the local queue
     * @param queueCapacity the local queue's capacity
     */
    Optional<Reason> reason(boolean transport, ExplainContext context, boolean modelInService, int queueDepth,
                            int queueCapacity) {
        if (!settings.enabled() || !transport || !inDomain(context)) {
            return Optional.empty();
        }
        if (!modelInService) {
            return Optional.of(Reason.NO_MODEL);
        }
        return queueDepth >= queueCapacity ? Optional.of(Reason.OVERLOADED) : Optional.empty();
    }

    private boolean inDomain(ExplainContext c) {
        return knowledge.assetTypes().contains(c.assetType()) && knowledge.signals().contains(c.signal());
    }

    /** Hands the alert to other gateways; completes with their answer or, when that fails, the template. */
    CompletionStage<Explanation> offload(ExplanationOffload transport, Alert alert, ExplainContext context,
                                         Reason why) {
        (why == Reason.NO_MODEL ? offloadedNoModel : offloadedOverloaded).increment();
        CompletionStage<Explanation> answer;
        try {
            answer = transport.offload(new OffloadRequest(alert, context.toJson(),
                    Duration.ofMillis(settings.deadlineMillis())));
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((e, failure) -> {
            if (failure == null && e != null) {
                answered.increment();
                return e;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            (cause instanceof TimeoutException ? timedOut : cause instanceof RejectedExecutionException ? busy
                    : failed).increment();
            return template(alert, context);
        });
    }

    /** The knowledge base's explanation, as the core writes it. */
    private Explanation template(Alert alert, ExplainContext context) {
        KnowledgeBase.TemplateExplanation t = knowledge.template(context);
        return new Explanation(alert.alertId(), alert.assetId(), t.text(), t.cause(), t.action(), t.urgency(),
                Explanation.SOURCE_TEMPLATE, "", "", Math.max(0, System.currentTimeMillis()
                - alert.detectionTime().toEpochMilli()), Instant.now());
    }

    /** Whether this gateway serves other gateways' requests (it is in the shared group). */
    boolean serving(boolean modelInService) {
        return settings.serve() && modelInService;
    }

    /**
     * Explains another gateway's request with the local core; fails with RejectedExecutionException when not
     * serving, when {@code serve.max.queue} explanations wait, or when the model did not run for it; with
     * IllegalArgumentException for an unreadable context.
     */
    CompletionStage<Explanation> serve(ExplainerCore core, OffloadRequest request, boolean modelInService) {
        int depth = core.queueDepth();
        if (!serving(modelInService) || depth >= settings.serveMaxQueue()) {
            servedRefused.increment();
            return CompletableFuture.failedFuture(new RejectedExecutionException(!modelInService
                    ? "no model in service" : !settings.serve() ? "serving is off"
                    : depth + " explanations waiting (serve.max.queue " + settings.serveMaxQueue() + ")"));
        }
        ExplainContext context;
        try {
            context = ExplainContext.fromJson(request.context());
        } catch (IllegalArgumentException e) {
            servedRefused.increment();
            return CompletableFuture.failedFuture(e);
        }
        return core.explain(request.alert(), context).thenApply(r -> {
            if (r.fallback().isPresent() && NOT_SERVED.contains(r.fallback().get())) {
                servedRefused.increment();
                throw new CompletionException(new RejectedExecutionException("busy: "
                        + r.fallback().get().metricName()));
            }
            served.increment();
            return r.explanation();
        });
    }

    long offloaded() {
        return offloadedNoModel.sum() + offloadedOverloaded.sum();
    }

    long offloaded(Reason why) {
        return (why == Reason.NO_MODEL ? offloadedNoModel : offloadedOverloaded).sum();
    }

    long answered() {
        return answered.sum();
    }

    long timedOut() {
        return timedOut.sum();
    }

    long busy() {
        return busy.sum();
    }

    long failed() {
        return failed.sum();
    }

    long served() {
        return served.sum();
    }

    long servedRefused() {
        return servedRefused.sum();
    }
}

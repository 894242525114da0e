package io.edgegateway.llm.internal.explain;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.GeneratedOutput;
import io.edgegateway.llm.internal.explain.knowledge.HallucinationCheck;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import io.edgegateway.llm.internal.explain.knowledge.SlotFiller;

/**
 * The explainer's engine room, free of OSGi so the testbed's commands and benchmarks run exactly this code: a
 * bounded queue in front of a bounded pool of generation threads, a deadline per explanation, and the knowledge
 * base's template whenever the model cannot answer in time.
 *
 * <p>Every request gets exactly one explanation: the model's ({@code source=llm}) or a template
 * ({@code source=template}), counted by why ({@link Fallback}). A request that finds the queue full is answered
 * with a template at once (shed) on the caller's thread, so the pipeline is never blocked. A model output that is
 * malformed or fails the hallucination check is never published: the template goes out instead.
 */
public final class ExplainerCore implements AutoCloseable {

    /** Why a template went out instead of the model's text. */
    public enum Fallback {
        NO_MODEL("no_model"), SHED("shed"), DEADLINE("deadline"), ERROR("error"), INVALID_OUTPUT("invalid_output"),
        /** An asset type or signal the knowledge base (so the model) does not know: the catch-all template. */
        OUT_OF_DOMAIN("out_of_domain");

        private final String metricName;

        Fallback(String metricName) {
            this.metricName = metricName;
        }

        public String metricName() {
            return metricName;
        }
    }

    /** Settings (the component's configuration, or a command's options). */
    public record Settings(int threads, int queueCapacity, long deadlineMillis, int maxNewTokens, boolean useCache) {
        public Settings {
            if (threads < 1 || queueCapacity < 1 || deadlineMillis < 1 || maxNewTokens < 1) {
                throw new IllegalArgumentException("threads, queue.capacity, deadline.ms and max.new.tokens must be >= 1");
            }
        }
    }

    /** Where the model in service comes from: runs a function with it, or returns empty when there is none. */
    public interface ModelSource {
        <R> Optional<R> withModel(Function<ExplainerModel, R> f);
    }

    /** An explanation and what it cost. */
    public record Result(Explanation explanation, Optional<Fallback> fallback, ExplainerModel.Generation generation,
                         String rawOutput, List<String> problems) {
    }

    private final KnowledgeBase knowledge;
    private final HallucinationCheck hallucinations;
    private final ModelSource models;
    private final Settings settings;
    private final ThreadPoolExecutor pool;
    private final LongAdder requested = new LongAdder();
    private final LongAdder byModel = new LongAdder();
    private final Map<Fallback, LongAdder> fallbacks = new EnumMap<>(Fallback.class);
    private final AtomicInteger busy = new AtomicInteger();

    public ExplainerCore(KnowledgeBase knowledge, ModelSource models, Settings settings) {
        this.knowledge = knowledge;
        this.hallucinations = new HallucinationCheck(knowledge);
        this.models = models;
        this.settings = settings;
        for (Fallback f : Fallback.values()) {
            fallbacks.put(f, new LongAdder());
        }
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(settings.threads(), settings.threads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(settings.queueCapacity()), r -> {
                    Thread t = new Thread(r, "llm-explainer-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** Queues the explanation; completes with it (never exceptionally for a model problem: templates then). */
    public CompletionStage<Result> explain(Alert alert, ExplainContext context) {
        requested.increment();
        long accepted = System.nanoTime();
        CompletableFuture<Result> f = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    f.complete(run(alert, context, accepted));
                } catch (RuntimeException | Error e) {
                    f.complete(template(alert, context, Fallback.ERROR, null, "", List.of(e.toString())));
                }
            });
        } catch (RejectedExecutionException full) {
            f.complete(template(alert, context, Fallback.SHED, null, "", List.of("queue full")));
        }
        return f;
    }

    /** Explains on the calling thread (the {@code explain} command, the evaluation). */
    public Result explainNow(Alert alert, ExplainContext context) {
        requested.increment();
        return run(alert, context, System.nanoTime());
    }

    private Result run(Alert alert, ExplainContext context, long acceptedNanos) {
        if (!knowledge.assetTypes().contains(context.assetType()) || !knowledge.signals().contains(context.signal())) {
            return template(alert, context, Fallback.OUT_OF_DOMAIN, null, "", List.of("asset type '"
                    + context.assetType() + "' or signal '" + context.signal() + "' unknown to the knowledge base"));
        }
        long deadline = acceptedNanos + TimeUnit.MILLISECONDS.toNanos(settings.deadlineMillis());
        if (System.nanoTime() - deadline > 0) {
            return template(alert, context, Fallback.DEADLINE, null, "", List.of("waited past the deadline in the queue"));
        }
        busy.incrementAndGet();
        try {
            Optional<Result> r = models.withModel(model -> {
                ExplainerModel.Generation g = model.generate(knowledge.prompt(context), settings.maxNewTokens(), deadline,
                        settings.useCache(), constraints(model, context));
                if (g.stop() == ExplainerModel.Stop.DEADLINE) {
                    return template(alert, context, Fallback.DEADLINE, g, g.text(), List.of("generation passed the deadline"));
                }
                GeneratedOutput out = GeneratedOutput.parse(g.text());
                List<String> problems = new java.util.ArrayList<>(hallucinations.check(context, out));
                if (!out.wellFormed()) {
                    problems.add("malformed output (" + g.stop() + ")");
                }
                if (!problems.isEmpty()) {
                    return template(alert, context, Fallback.INVALID_OUTPUT, g, g.text(), problems);
                }
                byModel.increment();
                ExplainerDescriptor d = model.descriptor();
                Explanation e = new Explanation(alert.alertId(), alert.assetId(),
                        knowledge.slotFiller().fill(out.text(), context), out.cause(), out.action(),
                        KnowledgeBase.severity(out.urgency()), Explanation.SOURCE_LLM, d.id(), d.version(),
                        latencyMs(alert), Instant.now());
                return new Result(e, Optional.empty(), g, g.text(), List.of());
            });
            return r.orElseGet(() -> template(alert, context, Fallback.NO_MODEL, null, "", List.of("no model in service")));
        } finally {
            busy.decrementAndGet();
        }
    }

    /**
     * What the model may not write for this context: the slots whose facts the input lacks (a {@code {rul}}
     * without an estimate would be a hallucination), and no 4-gram twice within one field of the output (greedy
     * loops; {@code cause: ... | action: ... | urgency: ... | text}, fields end at {@code " |"}).
     */
    public static ExplainerModel.Constraints constraints(ExplainerModel model, ExplainContext context) {
        java.util.Set<String> present = SlotFiller.presentSlots(context);
        java.util.Set<Integer> banned = new java.util.HashSet<>();
        for (String slot : SlotFiller.SLOTS) {
            int id = model.tokenizer().specialId(slot);
            if (id >= 0 && !present.contains(slot)) {
                banned.add(id);
            }
        }
        return new ExplainerModel.Constraints(banned, NO_REPEAT_NGRAM, model.tokenizer().encode(FIELD_SEPARATOR));
    }

    /** Ends each field of the model's output (SPEC section 4). */
    static final String FIELD_SEPARATOR = " |";

    /**
     * Repeating any 4 tokens within one field is what a looping greedy decoder does; real explanations never need
     * it (an action may repeat words of the cause: that is another field).
     */
    static final int NO_REPEAT_NGRAM = 4;

    private Result template(Alert alert, ExplainContext context, Fallback why, ExplainerModel.Generation g, String raw,
                            List<String> problems) {
        fallbacks.get(why).increment();
        KnowledgeBase.TemplateExplanation t = knowledge.template(context);
        Explanation e = new Explanation(alert.alertId(), alert.assetId(), t.text(), t.cause(), t.action(),
                t.urgency(), Explanation.SOURCE_TEMPLATE, "", "", latencyMs(alert), Instant.now());
        return new Result(e, Optional.of(why), g, raw, problems);
    }

    private static double latencyMs(Alert alert) {
        return Math.max(0, (System.currentTimeMillis() - alert.detectionTime().toEpochMilli()));
    }

    public long requested() {
        return requested.sum();
    }

    public long byModel() {
        return byModel.sum();
    }

    public long fallbacks(Fallback why) {
        return fallbacks.get(why).sum();
    }

    public int queueDepth() {
        return pool.getQueue().size();
    }

    public int busy() {
        return busy.get();
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.edgegateway.llm.internal.explain;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AssetContext;
import io.edgegateway.api.Detector;
import io.edgegateway.api.Explainer;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationOffload;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.OffloadExplainer;
import io.edgegateway.api.OffloadRequest;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;
import io.edgegateway.llm.internal.ModelTracker;
import io.edgegateway.llm.internal.RulEstimates;
import io.edgegateway.llm.internal.explain.knowledge.ContextBuilder;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;

/**
 * The local language-model explainer (configuration {@code io.edgegateway.llm.explainer}): the core asks it after
 * an alert went out; it answers with the model's explanation, or the knowledge base's template when there is no
 * model, the queue is full, the deadline passes, or the output fails its checks (see {@link ExplainerCore}).
 *
 * <p>It also registers as a {@link Detector} that never raises: the core routes every sample to it on the asset's
 * pipeline worker, which keeps the short per-signal history the alert's context is built from (pattern, slope,
 * duration, other deviating signals). Recording a sample is a few array writes.
 *
 * <p>The model comes from the {@link ModelTracker} (a model bundle with kind {@code explainer}); swapping the model
 * bundle switches models between two explanations, never during one.
 *
 * <p>Inference offload ({@link Offloading}): with an {@link ExplanationOffload} bound (the MQTT connector's), an
 * alert that finds no model in service or the queue full goes to the gateways that have a model, and the template
 * goes out if none answers within {@code offload.deadline.ms}; as an {@link OffloadExplainer} it answers other
 * gateways' requests while its model is in service, each one only while its queue is short.
 */
@Component(configurationPid = LlmExplainer.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {Explainer.class, Detector.class, HealthReporter.class, OffloadExplainer.class},
        property = {Explainer.NAME + "=llm", Detector.NAME + "=explainer-context", HealthReporter.NAME + "=explainer",
            "service.ranking:Integer=100"})
@Designate(ocd = LlmExplainer.Config.class)
public class LlmExplainer implements Explainer, Detector, HealthReporter, OffloadExplainer {

    public static final String PID = "io.edgegateway.llm.explainer";
    /** The knowledge base inside this bundle (copied from llm-bundle/training/explainer/knowledge at build time). */
    public static final String KNOWLEDGE = "/knowledge/failure_modes.json";
    private static final Logger LOG = LoggerFactory.getLogger(LlmExplainer.class);

    @ObjectClassDefinition(name = "LLM explainer")
    public @interface Config {
        @AttributeDefinition(description = "Model id (model.json 'id') of an explainer model bundle")
        String model_id() default "explainer-maint";

        @AttributeDefinition(description = "Generation threads (each runs one explanation at a time)")
        int threads() default 1;

        @AttributeDefinition(description = "Explanations waiting at most; beyond it, a template goes out at once (shed)")
        int queue_capacity() default 64;

        @AttributeDefinition(description = "Milliseconds from request to explanation; past it, a template goes out")
        long deadline_ms() default 2000;

        @AttributeDefinition(description = "Token limit of one explanation")
        int max_new_tokens() default 96;

        @AttributeDefinition(description = "Use the model's KV cache (false recomputes every step: for benchmarks)")
        boolean use_cache() default true;

        @AttributeDefinition(description = "Asset types by asset-id glob, 'glob=type' (e.g. 'P-1*=pump'); "
                + "otherwise the id's leading word ('pump-1' -> pump)")
        String[] asset_types() default {};

        @AttributeDefinition(description = "Signal names by gateway name, 'gateway=knowledge-base' (e.g. "
                + "'temp_brg=bearing_temperature'); other names are used as they are")
        String[] signal_names() default {};

        @AttributeDefinition(description = "Samples kept per signal for the alert's context")
        int history_size() default 256;

        @AttributeDefinition(description = "Seconds between the explainer's counters in the log (0: never)")
        int log_interval_s() default 60;

        @AttributeDefinition(description = "Hand alerts to the gateways with a model (the MQTT offload, when "
                + "configured) when no model is in service here or the queue is full")
        boolean offload_enabled() default true;

        @AttributeDefinition(description = "Milliseconds an offloaded alert waits for another gateway's answer; "
                + "past it, the template goes out")
        long offload_deadline_ms() default 2000;

        @AttributeDefinition(description = "Answer other gateways' offloaded requests while a model is in service "
                + "here (one that finds serve.max.queue explanations waiting is refused as busy)")
        boolean serve_offloaded() default true;

        @AttributeDefinition(description = "Explanations waiting here at most for another gateway's request to be "
                + "taken (the rest of the queue is kept for this gateway's own alerts)")
        int serve_max_queue() default 8;
    }

    private final ModelTracker models;
    private final ExplainerCore core;
    private final ContextBuilder context;
    private final Map<String, String> assetTypes = new LinkedHashMap<>();
    private final String modelId;
    private final ScheduledExecutorService reporter;
    private final RulEstimates rul;
    private final Offloading offloading;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ExplanationOffload offload;

    @Activate
    public LlmExplainer(@Reference ModelTracker models, @Reference RulEstimates rul, BundleContext ctx,
                        Config config) throws IOException {
        this.models = models;
        this.rul = rul;
        this.modelId = config.model_id();
        assetTypes.putAll(pairs("asset.types", config.asset_types()));
        Map<String, String> signalNames = pairs("signal.names", config.signal_names());
        KnowledgeBase kb;
        URL url = ctx.getBundle().getEntry(KNOWLEDGE);
        if (url == null) {
            throw new IOException(PID + ": the bundle has no " + KNOWLEDGE);
        }
        try (InputStream in = url.openStream()) {
            kb = KnowledgeBase.load(in);
        }
        this.offloading = new Offloading(kb, new Offloading.Settings(config.offload_enabled(),
                config.offload_deadline_ms(), config.serve_offloaded(), config.serve_max_queue()));
        this.context = new ContextBuilder(config.history_size(), ContextBuilder.DEFAULT_MAX_SERIES,
                s -> signalNames.getOrDefault(s, s));
        this.core = new ExplainerCore(kb, new ExplainerCore.ModelSource() {
            @Override
            public <R> Optional<R> withModel(Function<ExplainerModel, R> f) {
                return models.withModel(modelId, ExplainerModel.class, f);
            }
        }, new ExplainerCore.Settings(config.threads(), config.queue_capacity(), config.deadline_ms(),
                config.max_new_tokens(), config.use_cache()));
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "llm-explainer-report"));
        if (config.log_interval_s() > 0) {
            reporter.scheduleAtFixedRate(this::report, config.log_interval_s(), config.log_interval_s(), TimeUnit.SECONDS);
        }
        models.demand(); // model bundles load now, off the start-up path; templates answer until then
        LOG.info("LLM explainer: model {}, {} thread(s), queue {}, deadline {} ms, knowledge base {}; offload {} "
                        + "(deadline {} ms), serves other gateways {}", modelId, config.threads(),
                config.queue_capacity(), config.deadline_ms(), kb.version(), config.offload_enabled() ? "on" : "off",
                config.offload_deadline_ms(), config.serve_offloaded() ? "up to queue " + config.serve_max_queue()
                        : "never");
    }

    @Deactivate
    void deactivate() {
        reporter.shutdownNow();
        core.close();
    }

    @Override
    public CompletionStage<Explanation> explain(Alert alert, AssetContext assetContext) {
        // the latest remaining-useful-life estimate, when this asset has one (RulEstimator), so the explanation can
        // say how much life is likely left
        OptionalDouble rulCycles = rul.latest(alert.assetId())
                .map(e -> OptionalDouble.of(e.rulCycles())).orElse(OptionalDouble.empty());
        ExplainContext c = context.build(alert, ContextBuilder.assetTypeOf(alert.assetId(), assetTypes), rulCycles);
        ExplanationOffload o = offload;
        Optional<Offloading.Reason> why = offloading.reason(o != null, c, modelInService(), core.queueDepth(),
                core.settings().queueCapacity());
        if (why.isPresent()) {
            return offloading.offload(o, alert, c, why.get());
        }
        return core.explain(alert, c).thenApply(ExplainerCore.Result::explanation);
    }

    private boolean modelInService() {
        return !"none".equals(models.inService(modelId));
    }

    @Override
    public boolean serving() {
        return offloading.serving(modelInService());
    }

    @Override
    public CompletionStage<Explanation> explainOffloaded(OffloadRequest request) {
        return offloading.serve(core, request, modelInService());
    }

    @Override
    public SignalDetector create(SignalKey key) {
        return sample -> {
            context.record(sample);
            return null; // never raises: this detector only keeps the history the explanations need
        };
    }

    /** 'a=b' entries of a setting (a .cfg file gives one comma-separated string, Config Admin an array). */
    private static Map<String, String> pairs(String setting, String[] values) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String e : String.join(",", values).split(",")) {
            e = e.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            if (eq <= 0 || eq == e.length() - 1) {
                throw new IllegalArgumentException(PID + ": setting '" + setting + "' entry '" + e + "' must be 'a=b'");
            }
            m.put(e.substring(0, eq).trim(), e.substring(eq + 1).trim());
        }
        return m;
    }

    /** Not ok while no model is in service (every explanation is then a template); counters for the metrics. */
    @Override
    public HealthReport health() {
        Map<String, Number> counters = new LinkedHashMap<>();
        counters.put("requested", core.requested());
        counters.put("llm", core.byModel());
        for (ExplainerCore.Fallback f : ExplainerCore.Fallback.values()) {
            counters.put("template_" + f.metricName(), core.fallbacks(f));
        }
        counters.put("queue_depth", core.queueDepth());
        counters.put("offloaded", offloading.offloaded());
        counters.put("offloaded_no_model", offloading.offloaded(Offloading.Reason.NO_MODEL));
        counters.put("offloaded_overloaded", offloading.offloaded(Offloading.Reason.OVERLOADED));
        counters.put("offload_answered", offloading.answered());
        counters.put("offload_timed_out", offloading.timedOut());
        counters.put("offload_busy", offloading.busy());
        counters.put("offload_failed", offloading.failed());
        counters.put("served_offloaded", offloading.served());
        counters.put("served_refused", offloading.servedRefused());
        String version = models.inService(modelId);
        boolean offloads = offloading.settings().enabled() && offload != null;
        return "none".equals(version)
                ? new HealthReport(false, "no model '" + modelId + "' in service: explanations are "
                + (offloads ? "offloaded to other gateways (templates when none answers)" : "templates"), counters)
                : new HealthReport(true, "model " + modelId + " " + version, counters);
    }

    private void report() {
        StringBuilder sb = new StringBuilder();
        for (ExplainerCore.Fallback f : ExplainerCore.Fallback.values()) {
            sb.append(' ').append(f.metricName()).append('=').append(core.fallbacks(f));
        }
        LOG.info("LLM explainer: requested={} llm={} template:{} queue={} offloaded={} (answered={} timed_out={} "
                        + "busy={} failed={}) served={} refused={} model {} {}; model bundles rejected={}{}",
                core.requested(), core.byModel(), sb, core.queueDepth(), offloading.offloaded(), offloading.answered(),
                offloading.timedOut(), offloading.busy(), offloading.failed(), offloading.served(),
                offloading.servedRefused(), modelId, models.inService(modelId),
                models.rejectedCount(), models.lastRejection().isEmpty() ? "" : " (last: " + models.lastRejection() + ")");
    }
}

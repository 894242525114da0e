package io.edgegateway.testbed.explain;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Explanation;
import io.edgegateway.llm.internal.explain.ExplainerCore;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.explain.knowledge.ContextBuilder;
import io.edgegateway.llm.internal.explain.knowledge.ExplainContext;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import io.edgegateway.llm.internal.rul.MiniJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway explain --alert FILE.json}: the explanation the gateway would publish for one alert, from the
 * same model, knowledge base and checks. Without the gateway's sample history, the alert's context comes from the
 * alert itself (pattern from the detector, baseline from the alert); an optional {@code "context"} object in the
 * file (llm-bundle/training/explainer/SPEC.md section 1) gives the full context instead.
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explain one alert (the gateway's alert JSON) with the local language model.")
public final class ExplainCommand implements Callable<Integer> {

    @Option(names = "--alert", required = true, paramLabel = "FILE",
            description = "An alert as the gateway publishes it; may hold a \"context\" object (SPEC.md section 1).")
    Path alert;

    @Option(names = "--asset-type", paramLabel = "TYPE",
            description = "Knowledge-base asset type. Default: the asset id's leading word (pump-1 -> pump).")
    String assetType;

    @Option(names = "--rul", paramLabel = "CYCLES", description = "Latest remaining-useful-life estimate, if any.")
    Double rul;

    @Option(names = "--model", paramLabel = "DIR", description = "A folder with model.json. Default: the bundled model.")
    Path model;

    @Option(names = "--artifact", paramLabel = "KEY", description = "fp32, int8, ... Default: model.json's default.")
    String artifact;

    @Option(names = "--json", description = "Print the explanation as the gateway publishes it (one JSON object).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> m = ExplainSupport.readObject(alert);
        Alert a = ExplainSupport.alertFromJson(m);
        ExplainContext context = m.get("context") != null
                ? ExplainContext.fromJson(MiniJson.object(m.get("context"), "context"))
                : new ContextBuilder().build(a, assetType != null ? assetType
                        : ContextBuilder.assetTypeOf(a.assetId(), Map.of()),
                        rul == null ? OptionalDouble.empty() : OptionalDouble.of(rul));
        KnowledgeBase kb = ExplainSupport.knowledge(null);
        try (ExplainerModel em = ExplainSupport.load(model, artifact);
             ExplainerCore core = ExplainSupport.core(kb, em, new ExplainerCore.Settings(1, 1, 60_000,
                     em.descriptor().maxNewTokens(), true))) {
            ExplainerCore.Result r = core.explainNow(a, context);
            Explanation e = r.explanation();
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("alertId", e.alertId());
                out.put("assetId", e.assetId());
                out.put("text", e.text());
                out.put("probableCause", e.probableCause());
                out.put("recommendedAction", e.recommendedAction());
                out.put("urgency", e.urgency().name());
                out.put("source", e.source());
                out.put("modelId", e.modelId());
                out.put("modelVersion", e.modelVersion());
                out.put("generationMs", r.generation() == null ? null : r.generation().totalMs());
                out.put("tokens", r.generation() == null ? null : r.generation().newTokens());
                out.put("fallback", r.fallback().map(ExplainerCore.Fallback::metricName).orElse(null));
                out.put("problems", r.problems());
                out.put("raw", r.rawOutput());
                out.put("prompt", kb.prompt(context).strip());
                System.out.println(JsonText.write(out));
            } else {
                System.out.println("context:  " + kb.prompt(context).strip());
                System.out.println("source:   " + e.source() + (e.modelId().isEmpty() ? ""
                        : " (" + e.modelId() + " " + e.modelVersion() + ", " + em.descriptor().artifactKey() + ")")
                        + r.fallback().map(f -> ", fallback: " + f.metricName() + " " + r.problems()).orElse(""));
                if (r.generation() != null) {
                    System.out.printf(Locale.ROOT, "time:     %.1f ms, %d tokens (first token %.1f ms)%n",
                            r.generation().totalMs(), r.generation().newTokens(), r.generation().firstTokenMs());
                }
                System.out.println("cause:    " + e.probableCause());
                System.out.println("action:   " + e.recommendedAction());
                System.out.println("urgency:  " + e.urgency());
                System.out.println(e.text());
            }
        }
        return 0;
    }
}

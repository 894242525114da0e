package io.edgegateway.testbed.explain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.edgegateway.llm.internal.explain.ExplainerCore;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.explain.knowledge.EvalCase;
import io.edgegateway.llm.internal.explain.knowledge.EvalScore;
import io.edgegateway.llm.internal.explain.knowledge.GeneratedOutput;
import io.edgegateway.llm.internal.explain.knowledge.HallucinationCheck;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway explain-eval --cases FILE.jsonl}: accuracy of the model's raw explanations on held-out cases
 * (case format: llm-bundle/training/explainer/SPEC.md section 8; README "Explainer"). Scores the model itself, before
 * the gateway's own output check, which replaces a failing output with the template.
 */
@Command(name = "explain-eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Accuracy of the explainer on held-out cases: probable cause, action, hallucination rate.")
public final class ExplainEvalCommand implements Callable<Integer> {

    @Option(names = "--cases", required = true, paramLabel = "FILE",
            description = "JSON lines: {\"id\", \"context\": {...}, \"expected\": {\"cause\", \"action\", \"urgency\"}}.")
    Path cases;

    @Option(names = "--model", paramLabel = "DIR", description = "A folder with model.json. Default: the bundled model.")
    Path model;

    @Option(names = "--artifact", paramLabel = "KEY", description = "fp32, int8, ... Default: model.json's default.")
    String artifact;

    @Option(names = "--knowledge", paramLabel = "FILE", description = "Knowledge base. Default: the gateway's.")
    Path knowledge;

    @Option(names = "--no-cache", description = "Recompute the whole sequence at every step (slow; for comparison).")
    boolean noCache;

    @Option(names = "--unconstrained", description = "Plain greedy decoding, without the gateway's constraints (no "
            + "slot whose fact the input lacks, no repeated 4-gram): the raw model.")
    boolean unconstrained;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate the first N cases only.")
    Integer limit;

    @Option(names = "--show", paramLabel = "N", defaultValue = "5", description = "Failed cases printed (default 5).")
    int show;

    @Option(names = "--json", description = "Print {cause_accuracy, action_accuracy, hallucination_rate, cases}.")
    boolean json;

    /** The outcome, also for tests and the benchmark. */
    public record Outcome(EvalScore score, double meanMs, List<String> failures) {
    }

    @Override
    public Integer call() throws Exception {
        List<EvalCase> all = EvalCase.readJsonl(cases);
        if (limit != null && limit < all.size()) {
            all = all.subList(0, limit);
        }
        KnowledgeBase kb = ExplainSupport.knowledge(knowledge);
        Outcome o;
        try (ExplainerModel m = ExplainSupport.load(model, artifact)) {
            o = evaluate(m, kb, all, !noCache, !unconstrained);
            if (json) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("cause_accuracy", o.score().causeAccuracy());
                out.put("action_accuracy", o.score().actionAccuracy());
                out.put("hallucination_rate", o.score().hallucinationRate());
                out.put("cases", o.score().cases());
                out.put("model", m.descriptor().id() + " " + m.descriptor().version());
                out.put("artifact", m.descriptor().artifactKey());
                out.put("mean_ms", o.meanMs());
                out.put("decoding", unconstrained ? "greedy" : "greedy, constrained as in the gateway");
                System.out.println(JsonText.write(out));
            } else {
                System.out.printf(Locale.ROOT, "%d cases, model %s %s (%s, %s): probable cause correct %.1f %%, "
                                + "action correct %.1f %%, hallucination rate %.2f %%; %.1f ms per explanation%n",
                        o.score().cases(), m.descriptor().id(), m.descriptor().version(),
                        m.descriptor().artifactKey(), unconstrained ? "plain greedy" : "constrained greedy", 100 * o.score().causeAccuracy(),
                        100 * o.score().actionAccuracy(), 100 * o.score().hallucinationRate(), o.meanMs());
                o.failures().stream().limit(show).forEach(f -> System.out.println("  " + f));
            }
        }
        return 0;
    }

    public static Outcome evaluate(ExplainerModel m, KnowledgeBase kb, List<EvalCase> cases, boolean useCache,
                                   boolean constrained) {
        EvalScore score = new EvalScore(new HallucinationCheck(kb));
        List<String> failures = new ArrayList<>();
        double totalMs = 0;
        for (EvalCase c : cases) {
            ExplainerModel.Generation g = m.generate(kb.prompt(c.context()), m.descriptor().maxNewTokens(),
                    Long.MAX_VALUE, useCache, constrained ? ExplainerCore.constraints(m, c.context())
                            : ExplainerModel.Constraints.NONE);
            totalMs += g.totalMs();
            GeneratedOutput out = GeneratedOutput.parse(g.text());
            List<String> problems = new ArrayList<>(score.add(c, out));
            if (!out.cause().trim().equals(c.expectedCause().trim())) {
                problems.add("cause '" + out.cause() + "', expected '" + c.expectedCause() + "'");
            }
            if (!problems.isEmpty()) {
                failures.add(c.id() + ": " + problems + " <- " + g.text());
            }
        }
        return new Outcome(score, cases.isEmpty() ? 0 : totalMs / cases.size(), failures);
    }
}

package io.edgegateway.testbed.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import io.edgegateway.llm.internal.explain.ExplainerDescriptor;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.explain.knowledge.EvalCase;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import io.edgegateway.llm.internal.rul.DjlEngine;
import io.edgegateway.testbed.explain.ExplainEvalCommand;
import io.edgegateway.testbed.explain.ExplainSupport;
import io.edgegateway.testbed.rul.RulCommandSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./gateway bench llm}: the explainer model's variants side by side in one JVM (same machine, same moment):
 * fp32 with the KV cache, int8 with the cache, int8 recomputing the whole sequence each step, and any further
 * artifact of the descriptor (e.g. a distilled student) with the cache. Latency is for an explanation of exactly
 * {@code --tokens} tokens (greedy, end-of-sequence ignored), batch 1, on the gateway's one inference thread.
 */
@Command(name = "llm", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Explainer model: size, load time, first-token latency, tokens/s, p50/p99, accuracy per variant.")
public final class LlmBench implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR", description = "A folder with model.json. Default: the bundled model.")
    Path model;

    @Option(names = "--cases", paramLabel = "FILE", description = "Eval cases (JSON lines). Default: ${DEFAULT-VALUE}.",
            defaultValue = "${sys:user.dir}/llm-bundle/training/explainer/data/eval_cases.jsonl")
    Path cases;

    @Option(names = "--accuracy-cases", defaultValue = "200", description = "Eval cases scored per variant (default 200; "
            + "the no-cache variant scores a quarter of them).")
    int accuracyCases;

    @Option(names = "--runs", defaultValue = "60", description = "Timed explanations per variant (default 60).")
    int runs;

    @Option(names = "--tokens", defaultValue = "48", description = "Tokens per timed explanation (default 48).")
    int tokens;

    @Option(names = "--gateway-alerts", defaultValue = "20", description = "Limit breaches sent to the real gateway "
            + "(each raises at least one alert); its RSS is read once all are explained (default 20; 0: no gateway, "
            + "rss_bytes is then -1).")
    int gatewayAlerts;

    @Option(names = "--json", description = "{\"variants\": [{name, size_bytes, load_ms, first_token_ms, tokens_per_s, "
            + "p50_ms, p99_ms, accuracy}], \"rss_bytes\"}: rss_bytes is the real gateway's, with its model loaded; "
            + "bench_jvm_rss_bytes this JVM's with every variant loaded.")
    boolean json;

    record Variant(String name, String artifact, boolean cache) {
    }

    @Override
    public Integer call() throws Exception {
        RulCommandSupport.configureDjl();
        Path dir = ExplainSupport.modelDir(model);
        KnowledgeBase kb = ExplainSupport.knowledge(null);
        List<EvalCase> eval = EvalCase.readJsonl(cases);
        List<Variant> variants = new ArrayList<>(List.of(new Variant("fp32-kv", "fp32", true),
                new Variant("int8-kv", "int8", true), new Variant("int8-nocache", "int8", false)));
        for (String key : artifactKeys(dir)) {
            if (!key.equals("fp32") && !key.equals("int8")) {
                variants.add(new Variant(key + "-kv", key, true));
            }
        }
        DjlEngine.get();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<ExplainerModel> loaded = new ArrayList<>();
        for (Variant v : variants) {
            long t0 = System.nanoTime();
            ExplainerModel m = ExplainerModel.load(ExplainerDescriptor.read(dir, v.artifact()));
            double loadMs = (System.nanoTime() - t0) / 1e6;
            loaded.add(m);
            double[] total = new double[runs];
            double[] first = new double[runs];
            int n = v.cache() ? runs : Math.max(10, runs / 3);
            for (int i = 0; i < 5; i++) {
                m.generate(kb.prompt(eval.get(i % eval.size()).context()), tokens, Long.MAX_VALUE, v.cache(), false);
            }
            long generated = 0;
            double sumMs = 0;
            for (int i = 0; i < n; i++) {
                ExplainerModel.Generation g = m.generate(kb.prompt(eval.get((i * 7) % eval.size()).context()), tokens,
                        Long.MAX_VALUE, v.cache(), false);
                total[i] = g.totalMs();
                first[i] = g.firstTokenMs();
                generated += g.newTokens();
                sumMs += g.totalMs();
            }
            total = Arrays.copyOf(total, n);
            first = Arrays.copyOf(first, n);
            Arrays.sort(total);
            Arrays.sort(first);
            int acc = v.cache() ? accuracyCases : Math.max(1, accuracyCases / 4);
            ExplainEvalCommand.Outcome o = ExplainEvalCommand.evaluate(m, kb, eval.subList(0, Math.min(acc, eval.size())),
                    v.cache(), true);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", v.name());
            row.put("size_bytes", Files.size(m.descriptor().artifactPath()));
            row.put("load_ms", loadMs);
            row.put("first_token_ms", first[n / 2]);
            row.put("tokens_per_s", generated / (sumMs / 1000));
            row.put("p50_ms", total[n / 2]);
            row.put("p99_ms", total[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)]);
            row.put("accuracy", o.score().causeAccuracy());
            row.put("action_accuracy", o.score().actionAccuracy());
            row.put("hallucination_rate", o.score().hallucinationRate());
            row.put("accuracy_cases", o.score().cases());
            rows.add(row);
            if (!json) {
                System.out.printf(Locale.ROOT, "%-14s %9.2f MB  load %6.0f ms  first token %6.2f ms  %7.1f tokens/s  "
                                + "%d-token explanation p50 %6.1f ms p99 %6.1f ms  cause %.1f %% (n=%d)%n", v.name(),
                        ((Number) row.get("size_bytes")).longValue() / 1e6, loadMs, first[n / 2],
                        (double) row.get("tokens_per_s"), tokens, total[n / 2], (double) row.get("p99_ms"),
                        100 * o.score().causeAccuracy(), o.score().cases());
            }
        }
        long benchRss = rssBytes();
        loaded.forEach(ExplainerModel::close);
        GatewayWithModel.Result gw = null;
        if (gatewayAlerts > 0) {
            Bench.log("the real gateway with its shipped model: " + gatewayAlerts + " limit breaches, their alerts "
                    + "explained, then its RSS");
            gw = GatewayWithModel.measure(gatewayAlerts);
        }
        long rss = gw == null ? -1 : gw.rssBytes();
        if (json) {
            StringBuilder sb = new StringBuilder("{\"variants\":[");
            for (int i = 0; i < rows.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(io.edgegateway.testbed.explain.JsonText.write(rows.get(i)));
            }
            sb.append("],\"rss_bytes\":").append(rss).append(",\"bench_jvm_rss_bytes\":").append(benchRss)
                    .append(",\"tokens\":").append(tokens).append(",\"engine_start_ms\":")
                    .append(DjlEngine.startMillis());
            if (gw != null) {
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("rss_bytes", gw.rssBytes());
                g.put("heap_used_bytes", gw.heapUsedBytes());
                g.put("alerts", gw.alerts());
                g.put("explanations_by_source", gw.explanationsBySource());
                g.put("model_loaded_ms", gw.modelLoadedAfterMs());
                sb.append(",\"gateway\":").append(io.edgegateway.testbed.explain.JsonText.write(g));
            }
            sb.append('}');
            System.out.println(sb);
        } else {
            Map<String, Object> kv = rows.get(1);
            Map<String, Object> fp = rows.get(0);
            Map<String, Object> nc = rows.get(2);
            System.out.printf(Locale.ROOT, "int8/fp32: %.2fx tokens/s at %.0f %% of the size; KV cache vs recompute "
                            + "(int8, %d tokens): %.2fx faster; RSS of this JVM with %d variants loaded: %d MiB%n",
                    (double) kv.get("tokens_per_s") / (double) fp.get("tokens_per_s"),
                    100.0 * ((Number) kv.get("size_bytes")).longValue() / ((Number) fp.get("size_bytes")).longValue(),
                    tokens, (double) nc.get("p50_ms") / (double) kv.get("p50_ms"), loaded.size(), benchRss >> 20);
            if (gw != null) {
                System.out.printf(Locale.ROOT, "gateway (the distribution, shipped configuration and model) once "
                                + "its %d alerts were explained %s: RSS %d MiB, heap used %d MiB; model loaded %.0f ms "
                                + "after the start%n", gw.alerts(), gw.explanationsBySource(), gw.rssBytes() >> 20,
                        gw.heapUsedBytes() >> 20, gw.modelLoadedAfterMs());
            }
        }
        return 0;
    }

    private static List<String> artifactKeys(Path dir) throws java.io.IOException {
        Map<String, Object> m = io.edgegateway.llm.internal.rul.MiniJson.object(io.edgegateway.llm.internal.rul.MiniJson
                .parse(Files.readString(dir.resolve("model.json"))), "model.json");
        return new ArrayList<>(io.edgegateway.llm.internal.rul.MiniJson.object(m.get("artifacts"), "artifacts").keySet());
    }

    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}

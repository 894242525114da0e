package io.edgegateway.testbed.explain;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Severity;
import io.edgegateway.llm.internal.explain.ExplainerCore;
import io.edgegateway.llm.internal.explain.ExplainerDescriptor;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.explain.knowledge.KnowledgeBase;
import io.edgegateway.llm.internal.rul.MiniJson;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.testbed.rul.RulCommandSupport;

/**
 * The explainer outside OSGi, for the testbed's commands: the same model loading, knowledge base and
 * {@link ExplainerCore} as the gateway's LLM explainer.
 */
public final class ExplainSupport {

    /** Where the explainer model bundle keeps its files (its Gateway-Model header names the descriptor here). */
    public static final String BUNDLE_MODEL_DIR = "explainer-model";
    /** The knowledge base inside the llm-runtime bundle. */
    public static final String KNOWLEDGE = "knowledge/failure_modes.json";

    private ExplainSupport() {
    }

    /** The model folder: {@code dir}, or the model bundle on the class path extracted into a temporary folder. */
    public static Path modelDir(Path dir) throws IOException {
        if (dir != null) {
            return dir;
        }
        Path tmp = Files.createTempDirectory("explainer-model");
        tmp.toFile().deleteOnExit();
        ModelDescriptor.extract(ExplainSupport::resource, BUNDLE_MODEL_DIR + "/model.json", tmp);
        try (var files = Files.list(tmp)) {
            files.forEach(f -> f.toFile().deleteOnExit());
        }
        return tmp;
    }

    /** Loads one artifact (null: the default) of the model in {@code dir} (null: the bundled one). */
    public static ExplainerModel load(Path dir, String artifact) throws IOException {
        RulCommandSupport.configureDjl();
        return ExplainerModel.load(ExplainerDescriptor.read(modelDir(dir), artifact));
    }

    public static KnowledgeBase knowledge(Path file) throws IOException {
        if (file != null) {
            return KnowledgeBase.load(file);
        }
        try (InputStream in = resource(KNOWLEDGE)) {
            if (in == null) {
                throw new IOException(KNOWLEDGE + " is not on the class path (llm-runtime)");
            }
            return KnowledgeBase.load(in);
        }
    }

    /** An explainer core over one loaded model (or none: templates only). */
    public static ExplainerCore core(KnowledgeBase kb, ExplainerModel model, ExplainerCore.Settings settings) {
        return new ExplainerCore(kb, new ExplainerCore.ModelSource() {
            @Override
            public <R> Optional<R> withModel(Function<ExplainerModel, R> f) {
                return model == null ? Optional.empty() : Optional.of(f.apply(model));
            }
        }, settings);
    }

    /** An alert in the gateway's alert JSON (README, "Alert schema"). */
    public static Alert alertFromJson(Map<String, Object> m) {
        return new Alert(text(m, "alertId", "cli-" + System.nanoTime()), required(m, "assetId"),
                required(m, "signal"), text(m, "detector", "threshold"), text(m, "detectorVersion", ""),
                Severity.valueOf(text(m, "severity", "WARNING").toUpperCase()), number(m, "score"),
                number(m, "baseline"), number(m, "value"), text(m, "unit", ""),
                Instant.parse(text(m, "observedTime", Instant.now().toString())),
                Instant.parse(text(m, "detectionTime", Instant.now().toString())), text(m, "message", ""));
    }

    static Map<String, Object> readObject(Path file) throws IOException {
        return MiniJson.object(MiniJson.parse(Files.readString(file)), file.toString());
    }

    private static String required(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException("alert: '" + key + "' is missing or not text");
        }
        return s;
    }

    private static String text(Map<String, Object> m, String key, String dflt) {
        Object v = m.get(key);
        return v instanceof String s ? s : dflt;
    }

    private static double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Double d ? d : Double.NaN;
    }

    private static InputStream resource(String path) {
        return ExplainSupport.class.getClassLoader().getResourceAsStream(path);
    }
}

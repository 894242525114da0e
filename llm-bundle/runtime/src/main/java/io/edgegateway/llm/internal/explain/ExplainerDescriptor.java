package io.edgegateway.llm.internal.explain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.edgegateway.llm.internal.rul.MiniJson;
import io.edgegateway.llm.internal.rul.ModelDescriptor;

/**
 * The descriptor ({@code model.json}) of an explainer model (kind {@code explainer}; contract in
 * {@code llm-bundle/training/explainer/SPEC.md} section 7): the TorchScript artifact to load with its sha256, the
 * tokenizer with its sha256, and the shape of the KV cache.
 *
 * @param dir          folder holding the descriptor and its files
 * @param id           model id, e.g. {@code explainer-maint}
 * @param version      model version
 * @param artifactKey  which artifact ({@code fp32}, {@code int8}, ...)
 * @param artifact     its file name
 * @param sha256       its expected sha256
 * @param tokenizer    tokenizer file name
 * @param tokenizerSha256 its expected sha256 (empty: not checked)
 * @param vocabSize    the model's output size; must equal the tokenizer's vocabulary
 * @param layers       transformer layers (cache dimension 0)
 * @param heads        attention heads (cache dimension 3)
 * @param headDim      per-head size (cache dimension 5)
 * @param maxLen       positions the model has; prompt plus output must fit
 * @param maxNewTokens default token limit of one explanation
 * @param knowledgeVersion version of the knowledge base the model was trained from
 */
public record ExplainerDescriptor(Path dir, String id, String version, String artifactKey, String artifact,
                                  String sha256, String tokenizer, String tokenizerSha256, int vocabSize, int layers, int heads,
                                  int headDim, int maxLen, int maxNewTokens, String knowledgeVersion) {

    public static final String KIND = "explainer";

    /**
     * The knowledge-base major version whose prompt this gateway writes (SPEC.md section 2: version 2 carries the
     * signal family and the pattern group). A model trained on another major version reads prompts of another
     * shape, so it is rejected at load, never served.
     */
    public static final String KNOWLEDGE_MAJOR = "2";

    /** Reads {@code dir/model.json}; {@code artifactKey} null = the descriptor's default artifact. */
    public static ExplainerDescriptor read(Path dir, String artifactKey) throws IOException {
        Map<String, Object> m = MiniJson.object(MiniJson.parse(Files.readString(dir.resolve(ModelDescriptor.DESCRIPTOR))),
                ModelDescriptor.DESCRIPTOR);
        if (!KIND.equals(m.get("kind"))) {
            throw new IllegalArgumentException("model.json: kind is " + m.get("kind") + ", expected " + KIND);
        }
        Map<String, Object> artifacts = MiniJson.object(require(m, "artifacts"), "artifacts");
        String key = artifactKey;
        if (key == null) {
            String file = (String) require(m, "default_artifact");
            for (Map.Entry<String, Object> a : artifacts.entrySet()) {
                if (file.equals(MiniJson.object(a.getValue(), "artifact").get("file"))) {
                    key = a.getKey();
                }
            }
            if (key == null) {
                throw new IllegalArgumentException("model.json: default_artifact " + file + " not in artifacts");
            }
        }
        if (!artifacts.containsKey(key)) {
            throw new IllegalArgumentException("model.json: no artifact '" + key + "' (has " + artifacts.keySet() + ")");
        }
        Map<String, Object> art = MiniJson.object(artifacts.get(key), "artifacts." + key);
        Map<String, Object> arch = MiniJson.object(require(m, "architecture"), "architecture");
        Map<String, Object> gen = MiniJson.object(require(m, "generation"), "generation");
        if (num(gen, "bos_id") != 1 || num(gen, "eos_id") != 2 || num(gen, "sep_id") != 3) {
            throw new IllegalArgumentException("model.json: generation ids must be bos 1, eos 2, sep 3");
        }
        String knowledge = String.valueOf(m.getOrDefault("knowledge_version", ""));
        if (!knowledge.split("\\.")[0].equals(KNOWLEDGE_MAJOR)) {
            throw new IllegalArgumentException("model.json: knowledge_version '" + knowledge + "': this gateway writes "
                    + "the prompts of knowledge base " + KNOWLEDGE_MAJOR + ".x (with signal family and pattern group)");
        }
        return new ExplainerDescriptor(dir, (String) require(m, "id"), (String) require(m, "version"), key,
                (String) require(art, "file"), ((String) require(art, "sha256")).toLowerCase(),
                (String) require(m, "tokenizer_file"), String.valueOf(m.getOrDefault("tokenizer_sha256", "")).toLowerCase(),
                num(arch, "vocab_size"), num(over(art, arch, "layers"), "layers"), num(over(art, arch, "heads"), "heads"),
                num(over(art, arch, "head_dim"), "head_dim"), num(arch, "max_len"),
                num(gen, "max_new_tokens"), knowledge);
    }

    public Path artifactPath() {
        return dir.resolve(artifact);
    }

    public Path tokenizerPath() {
        return dir.resolve(tokenizer);
    }

    /** Checks the sha256 of the artifact and the tokenizer; the message names the file and both values. */
    public void verify() throws IOException {
        check(artifactPath(), sha256);
        if (!tokenizerSha256.isEmpty()) {
            check(tokenizerPath(), tokenizerSha256);
        }
    }

    private static void check(Path file, String expected) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file.getFileName() + " is missing");
        }
        String actual = ModelDescriptor.sha256(file);
        if (!actual.equals(expected)) {
            throw new IOException("sha256 of " + file.getFileName() + " is " + actual + ", descriptor says " + expected);
        }
    }

    /**
     * An artifact may have its own shape (a distilled student is smaller than the model the descriptor's
     * architecture block describes): its layers, heads and head_dim win where it gives them.
     */
    private static Map<String, Object> over(Map<String, Object> artifact, Map<String, Object> architecture, String key) {
        return artifact.containsKey(key) ? artifact : architecture;
    }

    private static int num(Map<String, Object> m, String key) {
        Object v = require(m, key);
        if (!(v instanceof Double d)) {
            throw new IllegalArgumentException("model.json: '" + key + "' must be a number");
        }
        return d.intValue();
    }

    private static Object require(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("model.json: '" + key + "' is missing");
        }
        return v;
    }
}

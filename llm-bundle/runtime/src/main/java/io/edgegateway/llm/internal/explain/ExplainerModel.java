package io.edgegateway.llm.internal.explain;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;

import io.edgegateway.llm.internal.rul.DjlEngine;

/**
 * A loaded explainer model: the TorchScript decoder through DJL's PyTorch engine, its tokenizer, and our own greedy
 * decoder over the module's KV-cache interface ({@code SPEC.md} section 6). DJL's {@code TextGenerator} is not used:
 * it does not stop at end-of-sequence (pitfalls.md); this loop stops at {@code </s>}, at a token limit, at the
 * model's context length, or at a deadline, whichever comes first.
 *
 * <p>Thread-safe: a forward pass of a TorchScript module may run on several threads at once; each generation has
 * its own NDManager, closed at the end, and closes every intermediate array as soon as it is consumed, so memory
 * stays flat however many explanations run.
 */
public final class ExplainerModel implements AutoCloseable {

    /** Why a generation ended. */
    public enum Stop {
        EOS, TOKEN_LIMIT, CONTEXT_FULL, DEADLINE
    }

    /**
     * One generation.
     *
     * @param text         the raw output (between {@code <sep>} and {@code </s>}), slots not yet filled
     * @param promptTokens tokens fed before the first output token
     * @param newTokens    tokens generated (the end-of-sequence token not counted)
     * @param firstTokenMs time to the first output token
     * @param totalMs      total time
     * @param stop         why it ended
     */
    public record Generation(String text, int promptTokens, int newTokens, double firstTokenMs, double totalMs,
                             Stop stop) {
    }

    private final ExplainerDescriptor descriptor;
    private final BpeTokenizer tokenizer;
    private final ZooModel<NDList, NDList> zoo;
    private final Block block;
    private final long loadMillis;
    private volatile long warmupMillis;

    private ExplainerModel(ExplainerDescriptor d, BpeTokenizer tokenizer, ZooModel<NDList, NDList> zoo, long loadMillis) {
        this.descriptor = d;
        this.tokenizer = tokenizer;
        this.zoo = zoo;
        this.block = zoo.getBlock();
        this.loadMillis = loadMillis;
    }

    /** Verifies both sha256, starts the engine if needed, loads the module and warms it up (see RulPredictor). */
    public static ExplainerModel load(ExplainerDescriptor d) throws IOException {
        d.verify();
        BpeTokenizer tokenizer = BpeTokenizer.load(d.tokenizerPath());
        if (tokenizer.vocabSize() != d.vocabSize()) {
            throw new IOException("tokenizer has " + tokenizer.vocabSize() + " tokens, model.json says vocab_size "
                    + d.vocabSize());
        }
        DjlEngine.get();
        long t0 = System.nanoTime();
        ZooModel<NDList, NDList> zoo;
        try {
            zoo = DjlEngine.withDjlLoader(() -> Criteria.builder()
                    .setTypes(NDList.class, NDList.class)
                    .optEngine(DjlEngine.ENGINE)
                    .optModelPath(d.artifactPath())
                    .optOption("mapLocation", "true")
                    .optTranslator(new NoopTranslator())
                    .build()
                    .loadModel());
        } catch (Exception e) { // ModelNotFoundException, MalformedModelException, IOException, EngineException
            throw new IOException("cannot load " + d.artifactPath().getFileName() + ": " + e.getMessage(), e);
        }
        ExplainerModel model = new ExplainerModel(d, tokenizer, zoo, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        try {
            model.warmUp(3);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e instanceof IOException io ? io : new IOException("warm-up failed: " + e.getMessage(), e);
        }
        return model;
    }

    /**
     * Generates a few explanations of a fixed prompt (libtorch's profiling executor optimises after the first
     * passes, 50-400 ms each): a model is only switched in after this. Throws if the model cannot produce text.
     */
    public void warmUp(int runs) throws IOException {
        long t0 = System.nanoTime();
        String prompt = "type=pump signal=vibration pattern=spike dir=up dev=high dur=short others=none rul=none\n";
        for (int k = 0; k < runs; k++) {
            Generation g = generate(prompt, 24, Long.MAX_VALUE, true);
            if (g.newTokens() == 0 && g.stop() != Stop.EOS) {
                throw new IOException("warm-up produced no tokens (" + g.stop() + ")");
            }
        }
        warmupMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * Greedy decoding of the output for {@code prompt} (SPEC section 2, ending in a newline).
     *
     * @param maxNewTokens  token limit
     * @param deadlineNanos {@link System#nanoTime()} after which no further token is generated
     * @param useCache      false: recompute the whole sequence at every step (for measuring what the cache saves)
     */
    public Generation generate(String prompt, int maxNewTokens, long deadlineNanos, boolean useCache) {
        return generate(prompt, maxNewTokens, deadlineNanos, useCache, true, Constraints.NONE);
    }

    /** As above, with constraints on what may be generated (see {@link Constraints}). */
    public Generation generate(String prompt, int maxNewTokens, long deadlineNanos, boolean useCache,
                               Constraints constraints) {
        return generate(prompt, maxNewTokens, deadlineNanos, useCache, true, constraints);
    }

    /**
     * Constrained greedy decoding: the most likely token among those allowed. {@code bannedTokens} are never
     * generated (the explainer bans the slots whose facts the input does not have, so the model cannot refer to a
     * remaining-useful-life estimate that does not exist); with {@code noRepeatNgram} n > 0, a token that would
     * repeat an n-gram already in the current field of the output is not generated (small greedy models fall into
     * loops). Fields end at {@code fieldSeparator} (the tokens of {@code " |"}; empty: the whole output is one
     * field): an action may legitimately repeat words of its cause ("lubrication supply ..."), a loop stays
     * inside one field.
     */
    public record Constraints(java.util.Set<Integer> bannedTokens, int noRepeatNgram, int[] fieldSeparator) {
        public static final Constraints NONE = new Constraints(java.util.Set.of(), 0, new int[0]);
    }

    /**
     * As above; {@code stopAtEos} false keeps generating past {@code </s>} up to the token limit (benchmarks time
     * explanations of an exact length this way).
     */
    public Generation generate(String prompt, int maxNewTokens, long deadlineNanos, boolean useCache,
                               boolean stopAtEos) {
        return generate(prompt, maxNewTokens, deadlineNanos, useCache, stopAtEos, Constraints.NONE);
    }

    private Generation generate(String prompt, int maxNewTokens, long deadlineNanos, boolean useCache,
                                boolean stopAtEos, Constraints constraints) {
        long t0 = System.nanoTime();
        int[] promptIds = tokenizer.encode(prompt);
        int[] seq = new int[Math.min(descriptor.maxLen(), promptIds.length + 2 + maxNewTokens)];
        if (promptIds.length + 2 > seq.length) {
            throw new IllegalArgumentException("prompt of " + promptIds.length + " tokens does not fit the model's "
                    + descriptor.maxLen() + " positions");
        }
        int n = 0;
        seq[n++] = tokenizer.bos();
        System.arraycopy(promptIds, 0, seq, n, promptIds.length);
        n += promptIds.length;
        seq[n++] = tokenizer.sep();
        int promptLen = n;
        double firstTokenMs = -1;
        Stop stop;
        try (NDManager m = zoo.getNDManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            Shape emptyCache = new Shape(descriptor.layers(), 2, 1, descriptor.heads(), 0, descriptor.headDim());
            NDArray cache = m.zeros(emptyCache);
            NDArray input = tokens(m, seq, 0, n);
            while (true) {
                NDList in = new NDList(input, cache);
                NDList out = DjlEngine.withDjlLoader(() -> block.forward(ps, in, false));
                in.close();
                NDArray logits = out.get(0);
                float[] scores = logits.toFloatArray();
                logits.close();
                if (scores.length != tokenizer.vocabSize()) {
                    out.get(1).close();
                    throw new IllegalStateException("model gives " + scores.length + " logits for a vocabulary of "
                            + tokenizer.vocabSize());
                }
                if (!constraints.bannedTokens().isEmpty() || constraints.noRepeatNgram() > 0) {
                    constrain(scores, constraints, seq, promptLen, n);
                }
                int next = argMax(scores);
                if (firstTokenMs < 0) {
                    firstTokenMs = (System.nanoTime() - t0) / 1e6;
                }
                if (next == tokenizer.eos() && stopAtEos) {
                    out.get(1).close();
                    stop = Stop.EOS;
                    break;
                }
                seq[n++] = next;
                if (n - promptLen >= maxNewTokens) {
                    out.get(1).close();
                    stop = Stop.TOKEN_LIMIT;
                    break;
                }
                if (n >= seq.length) {
                    out.get(1).close();
                    stop = Stop.CONTEXT_FULL;
                    break;
                }
                if (System.nanoTime() - deadlineNanos > 0) {
                    out.get(1).close();
                    stop = Stop.DEADLINE;
                    break;
                }
                if (useCache) {
                    cache = out.get(1);
                    input = tokens(m, seq, n - 1, n);
                } else {
                    out.get(1).close();
                    cache = m.zeros(emptyCache);
                    input = tokens(m, seq, 0, n);
                }
            }
        }
        return new Generation(tokenizer.decode(seq, promptLen, n), promptLen, n - promptLen, firstTokenMs,
                (System.nanoTime() - t0) / 1e6, stop);
    }

    private static NDArray tokens(NDManager m, int[] seq, int from, int to) {
        long[] ids = new long[to - from];
        for (int k = from; k < to; k++) {
            ids[k - from] = seq[k];
        }
        return m.create(ids, new Shape(1, ids.length));
    }

    /** Sets the scores of tokens the constraints forbid to -infinity. */
    static void constrain(float[] scores, Constraints c, int[] seq, int outStart, int n) {
        for (int t : c.bannedTokens()) {
            if (t >= 0 && t < scores.length) {
                scores[t] = Float.NEGATIVE_INFINITY;
            }
        }
        int k = c.noRepeatNgram() - 1; // the n-gram's prefix length
        int from = fieldStart(c.fieldSeparator(), seq, outStart, n);
        if (k < 0 || n - from < k) {
            return;
        }
        // every earlier place in this field where the last k tokens occurred: the token after it is banned
        for (int i = from; i + k < n; i++) {
            boolean same = true;
            for (int j = 0; j < k && same; j++) {
                same = seq[i + j] == seq[n - k + j];
            }
            if (same) {
                scores[seq[i + k]] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Where the field being written starts: just after the last separator in the output, else the output's start. */
    static int fieldStart(int[] separator, int[] seq, int outStart, int n) {
        int len = separator.length;
        for (int i = n - len; len > 0 && i >= outStart; i--) {
            boolean same = true;
            for (int j = 0; j < len && same; j++) {
                same = seq[i + j] == separator[j];
            }
            if (same) {
                return i + len;
            }
        }
        return outStart;
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int k = 1; k < v.length; k++) {
            if (v[k] > v[best]) {
                best = k;
            }
        }
        return best;
    }

    public ExplainerDescriptor descriptor() {
        return descriptor;
    }

    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    public long loadMillis() {
        return loadMillis;
    }

    public long warmupMillis() {
        return warmupMillis;
    }

    /** Token ids of a prompt as the model sees them ({@code <s>} prompt {@code <sep>}); for tests and tools. */
    public int[] promptIds(String prompt) {
        int[] p = tokenizer.encode(prompt);
        int[] r = new int[p.length + 2];
        r[0] = tokenizer.bos();
        System.arraycopy(p, 0, r, 1, p.length);
        r[r.length - 1] = tokenizer.sep();
        return r;
    }

    @Override
    public void close() {
        zoo.close();
    }

    @Override
    public String toString() {
        return descriptor.id() + " " + descriptor.version() + " (" + descriptor.artifactKey() + ")";
    }
}

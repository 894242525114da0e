package io.edgegateway.llm.internal.rul;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Batchifier;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;

/**
 * A windowed regression model (TorchScript, via DJL) behind its I/O contract: raw rows in, RUL out. Plain Java:
 * the gateway's RUL estimator and the testbed's {@code ./gateway rul} both use it, so they compute the same thing.
 *
 * <p>Contract ({@code model.json}): the last {@code window} rows (oldest first) of the features in descriptor order;
 * fewer rows are padded at the start by repeating the oldest; each value z-scored with float64 statistics, then
 * cast to float32; input {@code [batch, window, features]}, output {@code [batch]}. Thread-safe (one predictor,
 * calls serialised: a forward pass of this model is a fraction of a millisecond).
 */
public final class RulPredictor implements AutoCloseable {

    private final ModelDescriptor descriptor;
    private final ZooModel<float[], float[]> model;
    private final Predictor<float[], float[]> predictor;
    private final long loadMillis;
    private long warmupMillis;

    private RulPredictor(ModelDescriptor d, ZooModel<float[], float[]> model, long loadMillis) {
        this.descriptor = d;
        this.model = model;
        this.predictor = model.newPredictor();
        this.loadMillis = loadMillis;
    }

    /**
     * Verifies the artifact's sha256, starts the engine if needed, loads the TorchScript file and warms it up
     * (the first passes through libtorch's profiling executor take 50-400 ms; they must not hit live traffic).
     */
    public static RulPredictor load(ModelDescriptor d) throws IOException {
        d.verify();
        DjlEngine.get();
        long t0 = System.nanoTime();
        ZooModel<float[], float[]> zoo;
        try {
            zoo = DjlEngine.withDjlLoader(() -> Criteria.builder()
                    .setTypes(float[].class, float[].class)
                    .optEngine(DjlEngine.ENGINE)
                    .optModelPath(d.artifactPath())
                    .optOption("mapLocation", "true")
                    .optTranslator(new WindowTranslator(d.window(), d.features().size()))
                    .build()
                    .loadModel());
        } catch (Exception e) { // ModelNotFoundException, MalformedModelException, IOException, EngineException
            throw new IOException("cannot load " + d.artifactPath() + ": " + e.getMessage(), e);
        }
        long t1 = System.nanoTime();
        RulPredictor p = new RulPredictor(d, zoo, TimeUnit.NANOSECONDS.toMillis(t1 - t0));
        try {
            p.warmUp(5);
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e instanceof IOException io ? io : new IOException("warm-up failed: " + e.getMessage(), e);
        }
        p.warmupMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        return p;
    }

    /**
     * Runs {@code passes} forward passes on a typical input (the mean row). libtorch's profiling executor optimises
     * after a couple of passes, and the first passes on each new calling thread are slow too: a thread that will
     * serve estimates warms up once itself. Throws if the output is not finite.
     */
    public void warmUp(int passes) throws IOException {
        List<double[][]> typical = List.<double[][]>of(new double[][] {descriptor.mean().clone()});
        for (int k = 0; k < passes; k++) {
            float v = predict(typical)[0];
            if (!Float.isFinite(v)) {
                throw new IOException("warm-up output is " + v);
            }
        }
    }

    public ModelDescriptor descriptor() {
        return descriptor;
    }

    public long loadMillis() {
        return loadMillis;
    }

    public long warmupMillis() {
        return warmupMillis;
    }

    /**
     * Predicts one value per history: each history is its raw rows, oldest first, at least one row of
     * {@code features().size()} values; only the last {@code window} rows are used.
     */
    public float[] predict(List<double[][]> histories) {
        int w = descriptor.window();
        int f = descriptor.features().size();
        float[] input = new float[histories.size() * w * f];
        for (int b = 0; b < histories.size(); b++) {
            fillWindow(descriptor, histories.get(b), input, b * w * f);
        }
        try {
            synchronized (this) {
                return DjlEngine.withDjlLoader(() -> predictor.predict(input));
            }
        } catch (TranslateException e) {
            throw new IllegalStateException("inference failed: " + e.getMessage(), e);
        }
    }

    /** One history's normalised, padded window into {@code out} at {@code offset} (window x features floats). */
    public static void fillWindow(ModelDescriptor d, double[][] rows, float[] out, int offset) {
        int w = d.window();
        int f = d.features().size();
        if (rows.length == 0) {
            throw new IllegalArgumentException("a history needs at least one row");
        }
        int first = Math.max(0, rows.length - w);
        int pad = w - (rows.length - first);
        for (int t = 0; t < w; t++) {
            double[] row = rows[t < pad ? first : first + t - pad];
            if (row.length != f) {
                throw new IllegalArgumentException("a row needs " + f + " values, got " + row.length);
            }
            for (int k = 0; k < f; k++) {
                out[offset + t * f + k] = (float) ((row[k] - d.mean()[k]) / d.std()[k]);
            }
        }
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }

    /** float[batch*window*features] in, float[batch] out; no batchifier: the batch is built by the caller. */
    private static final class WindowTranslator implements NoBatchifyTranslator<float[], float[]> {
        private final int window;
        private final int features;

        WindowTranslator(int window, int features) {
            this.window = window;
            this.features = features;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, float[] input) {
            long batch = input.length / ((long) window * features);
            return new NDList(ctx.getNDManager().create(input, new Shape(batch, window, features)));
        }

        @Override
        public float[] processOutput(TranslatorContext ctx, NDList list) {
            return list.singletonOrThrow().toFloatArray();
        }

        @Override
        public Batchifier getBatchifier() {
            return null;
        }
    }
}

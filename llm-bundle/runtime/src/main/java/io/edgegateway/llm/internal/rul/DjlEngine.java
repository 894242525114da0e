package io.edgegateway.llm.internal.rul;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ai.djl.engine.Engine;
import ai.djl.pytorch.engine.PtEngineProvider;

/**
 * Starts DJL's PyTorch engine once per JVM, on first need (never on the gateway's start-up path).
 *
 * <p>DJL lives on the launcher class path; it finds its engine provider (ServiceLoader) and its native files
 * through the thread context class loader, which in a bundle thread may be anything. Every DJL call that may
 * start the engine or load a model runs inside {@link #withDjlLoader}. If a lookup with a wrong loader happened
 * anyway ("Deep learning engine not found: PyTorch" stays for the JVM's life), registering the provider by hand
 * recovers. libtorch loads once per JVM and is never reloaded: models are swapped, the engine stays.
 */
public final class DjlEngine {

    public static final String ENGINE = "PyTorch";
    private static final Logger LOG = LoggerFactory.getLogger(DjlEngine.class);
    private static volatile Engine engine;
    private static volatile long startMillis = -1;

    private DjlEngine() {
    }

    /** Starts the engine if needed (0.3-3 s: the first start unpacks libtorch into DJL_CACHE_DIR). */
    public static synchronized Engine get() {
        if (engine != null) {
            return engine;
        }
        // one intra-op and one inter-op thread: small models, and the gateway's cores belong to the pipeline too
        setDefault("ai.djl.pytorch.num_threads", "1");
        setDefault("ai.djl.pytorch.num_interop_threads", "1");
        setDefault("ai.djl.offline", "true");
        long t0 = System.nanoTime();
        engine = withDjlLoader(() -> {
            Engine e;
            try {
                e = Engine.getEngine(ENGINE);
            } catch (RuntimeException notFound) {
                LOG.warn("DJL engine lookup failed ({}); registering the PyTorch provider directly", notFound.getMessage());
                Engine.registerEngine(new PtEngineProvider());
                e = Engine.getEngine(ENGINE);
            }
            return e;
        });
        startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        LOG.info("DJL engine {} {} started in {} ms (cache {}, offline {})", engine.getEngineName(),
                engine.getVersion(), startMillis, System.getProperty("DJL_CACHE_DIR", "~/.djl.ai"),
                System.getProperty("ai.djl.offline"));
        return engine;
    }

    /** How long the engine took to start, ms; -1 while not started. */
    public static long startMillis() {
        return startMillis;
    }

    public interface Call<T, E extends Exception> {
        T call() throws E;
    }

    /** Runs {@code c} with the thread context class loader set to DJL's own class loader. */
    public static <T, E extends Exception> T withDjlLoader(Call<T, E> c) throws E {
        Thread t = Thread.currentThread();
        ClassLoader old = t.getContextClassLoader();
        t.setContextClassLoader(Engine.class.getClassLoader());
        try {
            return c.call();
        } finally {
            t.setContextClassLoader(old);
        }
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}

package io.edgegateway.llm.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.util.tracker.BundleTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.llm.internal.explain.ExplainerDescriptor;
import io.edgegateway.llm.internal.explain.ExplainerModel;
import io.edgegateway.llm.internal.rul.DjlEngine;
import io.edgegateway.llm.internal.rul.MiniJson;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;

/**
 * Finds model bundles (resource-only bundles with a {@value #HEADER} header naming their descriptor) and keeps
 * the newest model of each id in service. Each one is extracted to {@code ${gateway.home}/data/models/...},
 * checked against its sha256, loaded through DJL and warmed up on this component's own thread, and only then
 * switched in; a model that fails any step is rejected with one log line and the one in service stays. Removing
 * (or stopping) a model bundle closes its model and rolls back to the next newest.
 *
 * <p>Two kinds of model ({@code model.json} "kind"): {@code rul} (a {@link RulPredictor}; descriptors without a kind)
 * and {@code explainer} (an {@link ExplainerModel}). Consumers ask for a model id and the type they expect.
 *
 * <p>Lazy: nothing is loaded (and libtorch is not started) until a consumer calls {@link #demand()}, so a gateway
 * with model bundles but no RUL or explainer configuration never pays for the engine. The engine lives on the launcher class
 * path and stays for the JVM's life; only models come and go.
 */
@Component(service = {ModelTracker.class, HealthReporter.class}, immediate = true,
        property = HealthReporter.NAME + "=models")
public class ModelTracker implements HealthReporter {

    /** Manifest header of a model bundle: the path of its descriptor, e.g. {@code model/model.json}. */
    public static final String HEADER = "Gateway-Model";

    private static final Logger LOG = LoggerFactory.getLogger(ModelTracker.class);

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final ModelSlots<Loaded> slots = new ModelSlots<>(); // guarded by lock
    private final java.util.concurrent.atomic.AtomicLong rejected = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastRejection = "";
    /** Bundles whose model was rejected, with why; cleared when the bundle goes or loads fine. Not ok while any. */
    private final java.util.Map<Long, String> rejections = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong loaded = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.Map<Long, Bundle> known = new java.util.concurrent.ConcurrentHashMap<>();
    private ExecutorService loader;
    private BundleTracker<Bundle> tracker;
    private Path modelsDir;
    private volatile boolean demanded;

    @Activate
    void activate(BundleContext ctx) {
        String home = ctx.getProperty("gateway.home");
        modelsDir = home != null ? Path.of(home, "data", "models") : ctx.getDataFile("models").toPath();
        loader = Executors.newSingleThreadExecutor(r -> new Thread(r, "llm-model-loader"));
        tracker = new BundleTracker<>(ctx, Bundle.STARTING | Bundle.ACTIVE, null) {
            @Override
            public Bundle addingBundle(Bundle bundle, BundleEvent event) {
                if (bundle.getHeaders().get(HEADER) == null) {
                    return null;
                }
                known.put(bundle.getBundleId(), bundle);
                if (demanded) {
                    loader.execute(() -> load(bundle));
                }
                return bundle;
            }

            @Override
            public void removedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                known.remove(bundle.getBundleId());
                loader.execute(() -> unload(bundle));
            }
        };
        tracker.open();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        tracker.close();
        loader.shutdown();
        loader.awaitTermination(30, TimeUnit.SECONDS);
        lock.writeLock().lock();
        try {
            slots.all(s -> s).forEach(s -> slots.remove(s.bundleId()).ifPresent(x -> x.model().close()));
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Loads the tracked model bundles (once; later arrivals load as they come). Starts the engine if needed. */
    public void demand() {
        if (!demanded) {
            synchronized (this) {
                if (!demanded) {
                    demanded = true;
                    known.values().forEach(b -> loader.execute(() -> load(b)));
                }
            }
        }
    }

    /**
     * Runs {@code f} with the model in service for {@code modelId} while holding it (a swap waits for it, so the
     * model is never closed under a caller); empty when no such model is in service.
     */
    public <R> Optional<R> withModel(String modelId, Function<RulPredictor, R> f) {
        return withModel(modelId, RulPredictor.class, f);
    }

    /** As above for a model of the given type; empty also when the model of that id is of another kind. */
    public <T, R> Optional<R> withModel(String modelId, Class<T> type, Function<T, R> f) {
        lock.readLock().lock();
        try {
            return slots.current(modelId).filter(s -> type.isInstance(s.model().model()))
                    .map(s -> f.apply(type.cast(s.model().model())));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Model bundles rejected since start (bad descriptor, sha256 mismatch, load or warm-up failure). */
    public long rejectedCount() {
        return rejected.get();
    }

    /** The last rejection, one line; empty when none. */
    public String lastRejection() {
        return lastRejection;
    }

    /** A loaded model of any kind, with what the tracker needs to show and close it. */
    record Loaded(String kind, String id, String version, AutoCloseable model, long loadMillis, long warmupMillis) {
        void close() {
            try {
                model.close();
            } catch (Exception e) {
                LOG.warn("Closing model {} {} failed: {}", id, version, e.toString());
            }
        }
    }

    /** Loads the model a descriptor describes, by its kind. */
    static Loaded loadModel(Path dir) throws IOException {
        Object kind = MiniJson.object(MiniJson.parse(java.nio.file.Files.readString(dir.resolve(ModelDescriptor.DESCRIPTOR))),
                ModelDescriptor.DESCRIPTOR).getOrDefault("kind", "rul");
        if (ExplainerDescriptor.KIND.equals(kind)) {
            ExplainerModel m = ExplainerModel.load(ExplainerDescriptor.read(dir, null));
            ExplainerDescriptor d = m.descriptor();
            return new Loaded(ExplainerDescriptor.KIND, d.id(), d.version(), m, m.loadMillis(), m.warmupMillis());
        }
        if ("rul".equals(kind)) {
            RulPredictor p = RulPredictor.load(ModelDescriptor.read(dir, null));
            ModelDescriptor d = p.descriptor();
            return new Loaded("rul", d.id(), d.version(), p, p.loadMillis(), p.warmupMillis());
        }
        throw new IllegalArgumentException("model.json: unknown kind '" + kind + "' (rul, explainer)");
    }

    private void load(Bundle bundle) {
        if (!known.containsKey(bundle.getBundleId())) {
            return; // went away before its turn
        }
        String descriptorPath = String.valueOf(bundle.getHeaders().get(HEADER)).trim();
        String name = bundle.getSymbolicName() + " " + bundle.getVersion();
        try {
            Path dir = modelsDir.resolve(bundle.getSymbolicName())
                    .resolve(bundle.getVersion() + "-" + bundle.getBundleId() + "-" + bundle.getLastModified());
            ModelDescriptor.extract(path -> {
                java.net.URL u = bundle.getEntry(path);
                return u == null ? null : u.openStream();
            }, descriptorPath, dir);
            Loaded p = loadModel(dir);
            if (!p.version().equals(versionWithoutQualifier(bundle))) {
                LOG.warn("Model bundle {}: Bundle-Version differs from the model's version {}", name, p.version());
            }
            boolean stillThere;
            Optional<ModelSlots.Slot<Loaded>> before;
            lock.writeLock().lock();
            try {
                stillThere = known.containsKey(bundle.getBundleId());
                before = stillThere ? slots.add(new ModelSlots.Slot<>(p.id(), bundle.getVersion().toString(),
                        bundle.getBundleId(), p)) : Optional.empty();
            } finally {
                lock.writeLock().unlock();
            }
            if (!stillThere) {
                p.close();
                return;
            }
            loaded.incrementAndGet();
            rejections.remove(bundle.getBundleId());
            String inService = inService(p.id());
            LOG.info("Model {} {} loaded ({}) from bundle {} (load {} ms, warm-up {} ms, engine start {} ms); in service: {}{}",
                    p.id(), p.version(), p.kind(), name, p.loadMillis(), p.warmupMillis(), DjlEngine.startMillis(),
                    inService, before.map(b -> " (was " + b.model().version() + ")").orElse(""));
        } catch (IOException | RuntimeException | LinkageError e) {
            rejected.incrementAndGet();
            lastRejection = "model bundle " + name + " rejected: " + e.getMessage();
            rejections.put(bundle.getBundleId(), shortName(bundle) + " " + bundle.getVersion() + " rejected ("
                    + shortReason(e.getMessage()) + ")");
            LOG.error("Model bundle {} REJECTED, the model in service stays: {}", name, e.getMessage());
        }
    }

    /**
     * Health on the gateway's status topic: not ok while a model bundle that is still installed was rejected (the
     * model in service stays; the detail says which bundle and, in a few words, why: the log has the whole reason);
     * the detail otherwise lists the models in service.
     */
    @Override
    public HealthReport health() {
        java.util.Map<String, Number> counters = java.util.Map.of("models_loaded", loaded.get(), "models_rejected",
                rejected.get());
        if (!rejections.isEmpty()) {
            return new HealthReport(false, String.join("; ", new java.util.TreeSet<>(rejections.values())), counters);
        }
        return new HealthReport(true, "in service: " + inServiceSummary(), counters);
    }

    /** The status line is short: the bundle's name without its dotted prefix, and the reason in a few words. */
    private static String shortName(Bundle b) {
        String n = b.getSymbolicName();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    private static String shortReason(String message) {
        String m = String.valueOf(message);
        if (m.startsWith("sha256 of ")) {
            return m.substring(0, m.indexOf(" is ") < 0 ? m.length() : m.indexOf(" is ")) + " differs";
        }
        return m.length() <= 48 ? m : m.substring(0, 47) + "…";
    }

    private String inServiceSummary() {
        lock.readLock().lock();
        try {
            java.util.List<String> ids = slots.all(s -> s.modelId()).stream().distinct().sorted().toList();
            return ids.isEmpty() ? "no model" : ids.stream()
                    .map(id -> id + " " + slots.current(id).map(s -> s.model().version()).orElse("?"))
                    .collect(java.util.stream.Collectors.joining(", "));
        } finally {
            lock.readLock().unlock();
        }
    }

    private void unload(Bundle bundle) {
        rejections.remove(bundle.getBundleId());
        Optional<ModelSlots.Slot<Loaded>> removed;
        lock.writeLock().lock();
        try {
            removed = slots.remove(bundle.getBundleId());
        } finally {
            lock.writeLock().unlock();
        }
        removed.ifPresent(s -> {
            s.model().close();
            LOG.info("Model {} {} of bundle {} removed; in service now: {}", s.modelId(), s.model().version(),
                    bundle.getSymbolicName(), inService(s.modelId()));
        });
    }

    /** The version in service for a model id, or "none". */
    public String inService(String modelId) {
        lock.readLock().lock();
        try {
            return slots.current(modelId).map(s -> s.model().version()).orElse("none");
        } finally {
            lock.readLock().unlock();
        }
    }

    private static String versionWithoutQualifier(Bundle b) {
        return b.getVersion().getMajor() + "." + b.getVersion().getMinor() + "." + b.getVersion().getMicro();
    }

}

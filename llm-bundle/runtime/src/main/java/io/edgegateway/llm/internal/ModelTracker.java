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

import io.edgegateway.llm.internal.rul.DjlEngine;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;

/**
 * Finds model bundles (resource-only bundles with a {@value #HEADER} header naming their descriptor) and keeps
 * the newest model of each id in service. Each one is extracted to {@code ${gateway.home}/data/models/...},
 * checked against its sha256, loaded through DJL and warmed up on this component's own thread, and only then
 * switched in; a model that fails any step is rejected with one log line and the one in service stays. Removing
 * (or stopping) a model bundle closes its model and rolls back to the next newest.
 *
 * <p>Lazy: nothing is loaded (and libtorch is not started) until a consumer calls {@link #demand()}, so a gateway
 * with model bundles but no RUL configuration never pays for the engine. The engine lives on the launcher class
 * path and stays for the JVM's life; only models come and go.
 */
@Component(service = ModelTracker.class, immediate = true)
public class ModelTracker {

    /** Manifest header of a model bundle: the path of its descriptor, e.g. {@code model/model.json}. */
    public static final String HEADER = "Gateway-Model";

    private static final Logger LOG = LoggerFactory.getLogger(ModelTracker.class);

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final ModelSlots<RulPredictor> slots = new ModelSlots<>(); // guarded by lock
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
        lock.readLock().lock();
        try {
            return slots.current(modelId).map(s -> f.apply(s.model()));
        } finally {
            lock.readLock().unlock();
        }
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
            ModelDescriptor d = ModelDescriptor.read(dir, null);
            if (!d.version().equals(versionWithoutQualifier(bundle))) {
                LOG.warn("Model bundle {}: Bundle-Version differs from the model's version {}", name, d.version());
            }
            RulPredictor p = RulPredictor.load(d);
            boolean stillThere;
            Optional<ModelSlots.Slot<RulPredictor>> before;
            lock.writeLock().lock();
            try {
                stillThere = known.containsKey(bundle.getBundleId());
                before = stillThere ? slots.add(new ModelSlots.Slot<>(d.id(), bundle.getVersion().toString(),
                        bundle.getBundleId(), p)) : Optional.empty();
            } finally {
                lock.writeLock().unlock();
            }
            if (!stillThere) {
                p.close();
                return;
            }
            String inService = withModel(d.id(), m -> m.descriptor().version()).orElse("?");
            LOG.info("Model {} {} loaded from bundle {} (load {} ms, warm-up {} ms, engine start {} ms); in service: {}{}",
                    d.id(), d.version(), name, p.loadMillis(), p.warmupMillis(), DjlEngine.startMillis(), inService,
                    before.map(b -> " (was " + b.model().descriptor().version() + ")").orElse(""));
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.error("Model bundle {} REJECTED, the model in service stays: {}", name, e.getMessage());
        }
    }

    private void unload(Bundle bundle) {
        Optional<ModelSlots.Slot<RulPredictor>> removed;
        lock.writeLock().lock();
        try {
            removed = slots.remove(bundle.getBundleId());
        } finally {
            lock.writeLock().unlock();
        }
        removed.ifPresent(s -> {
            s.model().close();
            String now = withModel(s.modelId(), m -> m.descriptor().version()).orElse("none");
            LOG.info("Model {} {} of bundle {} removed; in service now: {}", s.modelId(),
                    s.model().descriptor().version(), bundle.getSymbolicName(), now);
        });
    }

    private static String versionWithoutQualifier(Bundle b) {
        return b.getVersion().getMajor() + "." + b.getVersion().getMinor() + "." + b.getVersion().getMicro();
    }

}

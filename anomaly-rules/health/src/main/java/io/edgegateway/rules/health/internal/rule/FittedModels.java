package io.edgegateway.rules.health.internal.rule;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.Version;
import org.osgi.util.tracker.BundleTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelJson;
import io.edgegateway.rules.health.internal.model.ModelBundle;

/**
 * The fitted models of one asset type found in model bundles ({@link ModelBundle#HEADER}). The newest valid bundle
 * serves; a bundle whose model cannot be read is rejected with one log line naming the bundle and the field, and
 * the model in service stays; removing the serving bundle falls back to the next newest, and with none left the
 * model in service stays until a restart (then the assets learn by themselves). Every change of the serving model
 * is handed to the listener, on the framework's bundle-event thread.
 */
final class FittedModels {

    /** The model in service and where it came from. */
    record Fitted(HealthModel model, String bundle, Version version, long bundleId) {

        String describe() {
            return bundle + " " + version;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(FittedModels.class);

    private final String assetType;
    private final Consumer<Optional<Fitted>> listener;
    private final Map<Long, Fitted> valid = new ConcurrentHashMap<>();
    private final Map<Long, String> rejected = new ConcurrentHashMap<>();
    private final BundleTracker<Bundle> tracker;
    private volatile Optional<Fitted> serving = Optional.empty();

    FittedModels(BundleContext context, String assetType, Consumer<Optional<Fitted>> listener) {
        this.assetType = assetType;
        this.listener = listener;
        this.tracker = new BundleTracker<>(context, Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE, null) {
            @Override
            public Bundle addingBundle(Bundle bundle, BundleEvent event) {
                if (bundle.getHeaders().get(ModelBundle.HEADER) == null
                        || !assetType.equals(bundle.getHeaders().get(ModelBundle.ASSET_TYPE))) {
                    return null;
                }
                load(bundle);
                return bundle;
            }

            @Override
            public void modifiedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                if (event != null && (event.getType() == BundleEvent.UPDATED)) {
                    load(bundle);
                }
            }

            @Override
            public void removedBundle(Bundle bundle, BundleEvent event, Bundle object) {
                valid.remove(bundle.getBundleId());
                rejected.remove(bundle.getBundleId());
                choose();
            }
        };
    }

    void open() {
        tracker.open();
    }

    void close() {
        tracker.close();
    }

    Optional<Fitted> serving() {
        return serving;
    }

    /** Bundles rejected, with why (empty when none). */
    Map<Long, String> rejected() {
        return Map.copyOf(rejected);
    }

    private void load(Bundle bundle) {
        String path = bundle.getHeaders().get(ModelBundle.HEADER);
        String name = bundle.getSymbolicName() + " " + bundle.getVersion();
        URL entry = bundle.getEntry(path);
        try {
            if (entry == null) {
                throw new IOException(name + ": no entry '" + path + "' (header " + ModelBundle.HEADER + ")");
            }
            HealthModel model;
            try (InputStream in = entry.openStream()) {
                model = HealthModelJson.read(in, name + "!/" + path).model();
            }
            valid.put(bundle.getBundleId(), new Fitted(model, bundle.getSymbolicName(), bundle.getVersion(),
                    bundle.getBundleId()));
            rejected.remove(bundle.getBundleId());
            LOG.info("Fitted health model for asset type '{}' from {}: {} signals, learnt from {} rows", assetType,
                    name, model.signals().size(), model.learntRows());
        } catch (IOException | RuntimeException e) {
            valid.remove(bundle.getBundleId());
            rejected.put(bundle.getBundleId(), e.getMessage());
            LOG.error("Fitted health model for asset type '{}' rejected: {}{}", assetType, e.getMessage(),
                    serving.map(f -> "; " + f.describe() + " stays in service").orElse(""));
            return;
        }
        choose();
    }

    private synchronized void choose() {
        Optional<Fitted> newest = valid.values().stream().max(Comparator.comparing(Fitted::version)
                .thenComparingLong(Fitted::bundleId));
        Optional<Fitted> before = serving;
        if (newest.isEmpty()) {
            // the serving bundle is being updated (stopped, then started again), was replaced by a broken one, or
            // was removed: the model already loaded keeps the assets monitored rather than sending them back to
            // learning on whatever they do now; a restart without any model bundle learns afresh
            before.ifPresent(f -> LOG.warn("Health model for asset type '{}': no valid model bundle at the moment;"
                    + " {} stays in service", assetType, f.describe()));
            return;
        }
        if (newest.map(Fitted::model).equals(before.map(Fitted::model))) {
            return;
        }
        serving = newest;
        LOG.info("Health model for asset type '{}': {} in service", assetType, newest.get().describe());
        listener.accept(newest);
    }
}

package io.edgegateway.llm.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Detector;
import io.edgegateway.api.MaintenanceEstimate;
import io.edgegateway.api.MaintenanceSink;
import io.edgegateway.api.Quality;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;
import io.edgegateway.llm.internal.rul.AssetWindow;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;

/**
 * Remaining-useful-life estimates per asset (factory configuration {@code io.edgegateway.rul}, one per group of
 * assets): keeps a sliding window of each asset's model inputs and every {@code interval.s} estimates, for each
 * asset with new data, a {@link MaintenanceEstimate}: it records it in {@link RulEstimates} and hands it to every
 * bound {@link MaintenanceSink} (the MQTT uplink stores it in its durable outbox and publishes it to
 * {@code gateway/<gatewayId>/maintenance/<assetId>}). With no sink bound, estimates are not published: they are
 * counted and logged (at most once a minute), never queued here, and the estimator never waits for a sink.
 *
 * <p>How it sees samples: it registers as a {@link Detector} that never raises (its {@link SignalDetector}s always
 * return {@code null}). The core routes every sample of the matching assets/signals ({@code detector.asset},
 * {@code detector.signal} globs) to it on the asset's pipeline worker, in arrival order: a deliberate use of the
 * detector whiteboard as a sample tap, so the API needs no new SPI. The detectors only record values
 * (microseconds); inference runs on this component's own scheduler thread, never on a pipeline worker.
 */
@Component(configurationPid = RulEstimator.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=rul")
@Designate(ocd = RulEstimator.Config.class, factory = true)
public class RulEstimator implements Detector {

    public static final String PID = "io.edgegateway.rul";
    private static final Logger LOG = LoggerFactory.getLogger(RulEstimator.class);

    @ObjectClassDefinition(name = "Remaining useful life estimator")
    public @interface Config {
        @AttributeDefinition(description = "Glob over asset ids")
        String detector_asset() default "*";

        @AttributeDefinition(description = "Glob over signal names (signals not in signal.map are ignored)")
        String detector_signal() default "*";

        @AttributeDefinition(description = "The model's features in any order, each 'feature' (the asset's signal "
                + "has the feature's name) or 'feature=signal'")
        String[] signal_map();

        @AttributeDefinition(description = "Model id (model.json 'id') of a loaded model bundle")
        String model_id() default "rul-cmapss-fd001";

        @AttributeDefinition(description = "Seconds between estimates")
        double interval_s() default 10;

        @AttributeDefinition(description = "Cycles kept per asset (the model's window)")
        int window() default 30;

        @AttributeDefinition(description = "At most this many assets are tracked")
        int max_assets() default 10000;
    }

    /** Settings of the former own MQTT client: accepted, ignored, and named once in the log. */
    private static final List<String> RETIRED_SETTINGS = List.of("broker.url", "client.id", "qos");
    private static final long NO_SINK_LOG_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final ModelTracker models;
    private final RulEstimates estimates;
    private final List<MaintenanceSink> sinks = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> featureOfSignal = new LinkedHashMap<>();
    private final List<String> features = new ArrayList<>();
    private final Map<String, AssetState> assets = new ConcurrentHashMap<>();
    private final String modelId;
    private final int window;
    private final int maxAssets;
    private final ScheduledExecutorService scheduler;
    private volatile String lastProblem = "";
    /** Estimates made while no sink was bound (scheduler thread only, like the two fields below). */
    private long unpublished;
    private long unpublishedLogged;
    private long noSinkLoggedNanos;
    private RulPredictor warmedHere; // the model last warmed up on the scheduler thread (only that thread uses it)

    private static final class AssetState {
        final AssetWindow window;
        long estimatedRows;

        AssetState(int features, int capacity) {
            window = new AssetWindow(features, capacity);
        }
    }

    @Activate
    public RulEstimator(@Reference ModelTracker models, @Reference RulEstimates estimates, Config config,
                        Map<String, Object> properties) {
        this.models = models;
        this.estimates = estimates;
        // a .cfg file gives one comma-separated string, Config Admin/metatype an array: accept both
        for (String e : String.join(",", config.signal_map()).split(",")) {
            e = e.trim();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String feature = (eq < 0 ? e : e.substring(0, eq)).trim();
            String signal = (eq < 0 ? e : e.substring(eq + 1)).trim();
            featureOfSignal.put(signal, features.size());
            features.add(feature);
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException(PID + ": setting 'signal.map' must list the model's features");
        }
        if (!(config.interval_s() > 0)) {
            throw new IllegalArgumentException(PID + ": setting 'interval.s' = " + config.interval_s() + " must be > 0");
        }
        this.modelId = config.model_id();
        this.window = config.window();
        this.maxAssets = config.max_assets();
        List<String> retired = RETIRED_SETTINGS.stream().filter(properties::containsKey).toList();
        if (!retired.isEmpty()) {
            LOG.info("{}: settings {} are no longer used (estimates are published by the MQTT uplink, through its "
                    + "durable outbox, with its broker and QoS); they can be removed", PID, retired);
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rul-estimator"));
        long period = Math.max(1, Math.round(config.interval_s() * 1000));
        scheduler.scheduleWithFixedDelay(this::estimateAll, period, period, TimeUnit.MILLISECONDS);
        models.demand(); // the model bundles load (and the engine starts) now, off the start-up path
        LOG.info("RUL estimator for assets '{}': {} features, model {}, every {} s, to the maintenance sinks",
                config.detector_asset(), features.size(), modelId, config.interval_s());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindMaintenanceSink(MaintenanceSink sink) {
        sinks.add(sink);
    }

    void unbindMaintenanceSink(MaintenanceSink sink) {
        sinks.remove(sink);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        scheduler.shutdownNow();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public SignalDetector create(SignalKey key) {
        Integer feature = featureOfSignal.get(key.signal());
        if (feature == null) {
            return sample -> null;
        }
        int f = feature;
        return sample -> {
            if (sample.quality() != Quality.BAD) {
                AssetState s = assets.get(sample.assetId());
                if (s == null && assets.size() < maxAssets) {
                    s = assets.computeIfAbsent(sample.assetId(), a -> new AssetState(features.size(), window));
                }
                if (s != null) {
                    s.window.offer(f, sample.value());
                }
            }
            return null; // never raises: this detector only records the asset's inputs
        };
    }

    private void estimateAll() {
        try {
            for (Map.Entry<String, AssetState> e : assets.entrySet()) {
                AssetState s = e.getValue();
                long rows = s.window.rowsAppended();
                if (rows == 0 || rows == s.estimatedRows) {
                    continue; // no data, or nothing new since the last estimate
                }
                if (estimate(e.getKey(), s.window.rows())) {
                    s.estimatedRows = rows;
                }
            }
        } catch (RuntimeException e) {
            LOG.error("RUL estimation failed: {}", e.toString());
        }
    }

    /** Estimates and publishes; false when no estimate could be made (logged). */
    private boolean estimate(String assetId, double[][] rows) {
        // predict under the model's read lock; publish (a sink may wait for an fsync) after it
        Optional<Optional<MaintenanceEstimate>> made = models.withModel(modelId, p -> predict(p, assetId, rows));
        if (made.isEmpty()) {
            problem("no model '" + modelId + "' in service yet; estimates wait for it");
            return false;
        }
        made.get().ifPresent(this::publish);
        return made.get().isPresent();
    }

    /** Empty when the model does not fit the configuration or cannot warm up (logged). */
    private Optional<MaintenanceEstimate> predict(RulPredictor p, String assetId, double[][] rows) {
        int[] order = inputOrder(p.descriptor());
        if (order == null) {
            return Optional.empty();
        }
        double[][] ordered = new double[rows.length][order.length];
        for (int t = 0; t < rows.length; t++) {
            for (int k = 0; k < order.length; k++) {
                ordered[t][k] = rows[t][order[k]];
            }
        }
        if (p != warmedHere) { // libtorch's first passes on a new thread are slow (~50 ms): not in latencyMs
            try {
                p.warmUp(10);
            } catch (java.io.IOException ex) {
                problem("model " + modelId + " warm-up failed: " + ex.getMessage());
                return Optional.empty();
            }
            warmedHere = p;
        }
        long t0 = System.nanoTime();
        float rul = p.predict(List.<double[][]>of(ordered))[0];
        double latencyMs = (System.nanoTime() - t0) / 1e6;
        ModelDescriptor d = p.descriptor();
        return Optional.of(new MaintenanceEstimate(assetId, rul, rul / d.cap(), d.id(), d.version(), d.window(),
                Math.min(rows.length, d.window()), Instant.now(), latencyMs));
    }

    /** Records the estimate and hands it to every sink (each returns once it has it, e.g. stored durably). */
    private void publish(MaintenanceEstimate estimate) {
        estimates.record(estimate);
        List<MaintenanceSink> now = List.copyOf(sinks);
        if (now.isEmpty()) {
            unpublished++;
            long t = System.nanoTime();
            if (unpublished == 1 || t - noSinkLoggedNanos >= NO_SINK_LOG_NANOS) {
                noSinkLoggedNanos = t;
                LOG.warn("{}: no maintenance sink (the MQTT uplink) is bound: estimates are not published ({} so far, "
                        + "the latest of each asset is kept in memory)", PID, unpublished);
            }
            return;
        }
        if (unpublished > unpublishedLogged) {
            LOG.info("{}: a maintenance sink is bound again; {} estimates were not published meanwhile", PID,
                    unpublished - unpublishedLogged);
            unpublishedLogged = unpublished;
        }
        for (MaintenanceSink sink : now) {
            try {
                sink.onMaintenance(estimate);
            } catch (RuntimeException e) {
                problem(PID + ": maintenance sink " + sink.getClass().getName() + " failed: " + e);
            }
        }
    }

    /** order[k] = index in our rows of the model's k-th feature; null (logged once) if the features differ. */
    private int[] inputOrder(ModelDescriptor d) {
        if (d.features().size() != features.size() || !features.containsAll(d.features())) {
            problem(PID + ": signal.map features " + features + " are not the model's " + d.features());
            return null;
        }
        int[] order = new int[features.size()];
        for (int k = 0; k < order.length; k++) {
            order[k] = features.indexOf(d.features().get(k));
        }
        return order;
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            lastProblem = message;
            LOG.warn(message);
        }
    }
}

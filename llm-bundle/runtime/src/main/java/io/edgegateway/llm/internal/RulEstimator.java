package io.edgegateway.llm.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Detector;
import io.edgegateway.api.Quality;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;
import io.edgegateway.llm.internal.rul.AssetWindow;
import io.edgegateway.llm.internal.rul.ModelDescriptor;
import io.edgegateway.llm.internal.rul.RulPredictor;

/**
 * Remaining-useful-life estimates per asset (factory configuration {@code io.edgegateway.rul}, one per group of
 * assets): keeps a sliding window of each asset's model inputs and every {@code interval.s} publishes, for each
 * asset with new data, {@code {assetId, rulCycles, healthIndex, modelId, modelVersion, windowLength,
 * samplesInWindow, time, latencyMs}} to {@code gateway/<gatewayId>/maintenance/<assetId>} (QoS {@code qos}).
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

        @AttributeDefinition(description = "Broker; empty = the framework property gateway.broker.url")
        String broker_url() default "";

        @AttributeDefinition(description = "MQTT client id; empty = edgegw-rul-<gateway.id>-<random>")
        String client_id() default "";

        int qos() default 1;

        @AttributeDefinition(description = "Cycles kept per asset (the model's window)")
        int window() default 30;

        @AttributeDefinition(description = "At most this many assets are tracked")
        int max_assets() default 10000;
    }

    private final ModelTracker models;
    private final Map<String, Integer> featureOfSignal = new LinkedHashMap<>();
    private final List<String> features = new ArrayList<>();
    private final Map<String, AssetState> assets = new ConcurrentHashMap<>();
    private final String modelId;
    private final String gatewayId;
    private final int qos;
    private final int window;
    private final int maxAssets;
    private final ScheduledExecutorService scheduler;
    private final MaintenancePublisher publisher;
    private volatile String lastProblem = "";
    private RulPredictor warmedHere; // the model last warmed up on the scheduler thread (only that thread uses it)

    private static final class AssetState {
        final AssetWindow window;
        long estimatedRows;

        AssetState(int features, int capacity) {
            window = new AssetWindow(features, capacity);
        }
    }

    @Activate
    public RulEstimator(@Reference ModelTracker models, BundleContext ctx, Config config) throws Exception {
        this.models = models;
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
        this.gatewayId = ctx.getProperty("gateway.id") == null ? "gateway" : ctx.getProperty("gateway.id");
        this.qos = config.qos();
        this.window = config.window();
        this.maxAssets = config.max_assets();
        String url = config.broker_url().isBlank() ? ctx.getProperty("gateway.broker.url") : config.broker_url();
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(PID + ": setting 'broker.url' is empty and gateway.broker.url is unset");
        }
        String clientId = config.client_id().isBlank()
                ? "edgegw-rul-" + gatewayId + "-" + UUID.randomUUID().toString().substring(0, 8) : config.client_id();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "rul-estimator"));
        this.publisher = new MaintenancePublisher(url, clientId, scheduler);
        publisher.connect();
        long period = Math.max(1, Math.round(config.interval_s() * 1000));
        scheduler.scheduleWithFixedDelay(this::estimateAll, period, period, TimeUnit.MILLISECONDS);
        models.demand(); // the model bundles load (and the engine starts) now, off the start-up path
        LOG.info("RUL estimator for assets '{}': {} features, model {}, every {} s, to gateway/{}/maintenance/<asset>",
                config.detector_asset(), features.size(), modelId, config.interval_s(), gatewayId);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        scheduler.shutdownNow();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
        publisher.close();
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

    private boolean estimate(String assetId, double[][] rows) {
        return models.withModel(modelId, p -> {
            int[] order = inputOrder(p.descriptor());
            if (order == null) {
                return false;
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
                    return false;
                }
                warmedHere = p;
            }
            long t0 = System.nanoTime();
            float rul = p.predict(List.<double[][]>of(ordered))[0];
            double latencyMs = (System.nanoTime() - t0) / 1e6;
            ModelDescriptor d = p.descriptor();
            String json = String.format(Locale.ROOT, "{\"assetId\":\"%s\",\"rulCycles\":%.3f,\"healthIndex\":%.4f,"
                            + "\"modelId\":\"%s\",\"modelVersion\":\"%s\",\"windowLength\":%d,\"samplesInWindow\":%d,"
                            + "\"time\":\"%s\",\"latencyMs\":%.3f}", escape(assetId), rul, rul / d.cap(),
                    escape(d.id()), escape(d.version()), d.window(), Math.min(rows.length, d.window()),
                    Instant.now(), latencyMs);
            publisher.publish("gateway/" + gatewayId + "/maintenance/" + assetId, json, qos);
            return true;
        }).orElseGet(() -> {
            problem("no model '" + modelId + "' in service yet; estimates wait for it");
            return false;
        });
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

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}

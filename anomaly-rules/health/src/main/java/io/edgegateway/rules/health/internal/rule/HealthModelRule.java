package io.edgegateway.rules.health.internal.rule;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Detector;
import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelJson;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;

/**
 * The asset health-model rule, one per factory configuration {@value #PID} (an asset group), e.g.
 * {@code deploy/io.edgegateway.rules.health-pumps.cfg}:
 * <pre>
 * detector.asset=pump-*
 * tick.ms=1000
 * learn.duration=1h
 * </pre>
 * Each matching asset learns its own normal behaviour ({@link AssetHealth}), freezes it, stores it under
 * {@code model.dir} and is then monitored with it: an alert with state {@code raised} when its alarm becomes active
 * (naming the signal that contributes most, and the contributions), one with state {@code cleared} when it is back
 * to normal. A new {@code model.generation} learns afresh; the previous generation's files stay, so setting it
 * back is a rollback. Health: one reporter per configuration, {@code health-model-<alias>}.
 */
@Component(configurationPid = HealthModelRule.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=" + HealthModelRule.NAME)
@Designate(ocd = HealthModelRule.Config.class, factory = true)
public class HealthModelRule implements Detector {

    /** Factory configuration PID. */
    public static final String PID = "io.edgegateway.rules.health";
    /** Value of the {@link Detector#NAME} service property. */
    public static final String NAME = "health";

    private static final Logger LOG = LoggerFactory.getLogger(HealthModelRule.class);

    @ObjectClassDefinition(name = "Edge Gateway asset health model",
            description = "Learns each matching asset's normal multivariate behaviour, freezes it and raises an"
                    + " alarm, held while the asset is abnormal and cleared when it is back, naming the signals"
                    + " that drive the deviation.")
    public @interface Config {

        @AttributeDefinition(name = "Assets", description = "Glob over asset ids (* any run, ? one character).")
        String detector_asset() default "*";

        @AttributeDefinition(name = "Signals", description = "Glob over the signals that make up the asset's vector.")
        String detector_signal() default "*";

        @AttributeDefinition(name = "Tick (ms)", description = "One vector per asset per tick: the last value of"
                + " each signal at the tick's end (source time). >= 10.")
        long tick_ms() default 1000;

        @AttributeDefinition(name = "Learning period", description = "Normal operation learnt after"
                + " commissioning, then frozen: ticks ('3600 ticks') or a time ('30m', '8h', '2d').")
        String learn_duration() default "1h";

        @AttributeDefinition(name = "Signal timeout (ms)", description = "A signal without a good sample for this"
                + " long makes its asset's ticks incomplete (not learnt, not judged); 0: 10 ticks.")
        long signal_timeout_ms() default 0;

        @AttributeDefinition(name = "Raise: ticks over", description = "Raise when this many of the last"
                + " raise.window ticks are over the limit.")
        int raise_count() default 2;

        @AttributeDefinition(name = "Raise: window", description = "Ticks looked at for raising. 1..63.")
        int raise_window() default 3;

        @AttributeDefinition(name = "Clear: ticks under", description = "Clear after this many consecutive ticks"
                + " with the health index under clear.below.")
        int clear_ticks() default 2;

        @AttributeDefinition(name = "Clear below", description = "Hysteresis: the health index (1 = the limit)"
                + " a tick must be under to count towards clearing. (0, 1].")
        double clear_below() default 1.0;

        @AttributeDefinition(name = "Level window", description = "Ticks averaged by the level statistics.")
        int level_window() default HealthModelSettings.DEFAULT_LEVEL_WINDOW;

        @AttributeDefinition(name = "Dynamics window", description = "Ticks averaged by the dynamics statistic.")
        int dynamics_window() default HealthModelSettings.DEFAULT_DYNAMICS_WINDOW;

        @AttributeDefinition(name = "Variance share", description = "Share of the variance the principal"
                + " components keep. (0, 1].")
        double variance_share() default HealthModelSettings.DEFAULT_VARIANCE_SHARE;

        @AttributeDefinition(name = "False-alarm rate", description = "Share of normal ticks allowed over a limit,"
                + " split over the statistics. (0, 0.5).")
        double false_alarm_rate() default HealthModelSettings.DEFAULT_FALSE_ALARM_RATE;

        @AttributeDefinition(name = "Model generation", description = "A new number learns afresh; an earlier"
                + " one uses its stored models again (rollback). >= 1.")
        int model_generation() default 1;

        @AttributeDefinition(name = "Model folder", description = "Where frozen models are stored; relative to"
                + " the gateway home; empty: data/health/<alias>.")
        String model_dir() default "";

        @AttributeDefinition(name = "Asset type", description = "When set, the assets use the fitted model of this"
                + " type from a model bundle (./gateway fit) instead of learning by themselves, and switch when the"
                + " bundle is updated; until one is installed they learn as usual; when it is removed its model"
                + " stays in service until a restart. Empty: each asset learns.")
        String asset_type() default "";

        @AttributeDefinition(name = "Contributions", description = "Contributing signals carried by an alert.")
        int contributions() default 5;

        @AttributeDefinition(name = "Severity", description = "Severity of a raised alarm (a clear is INFO).")
        Severity severity() default Severity.WARNING;

        @AttributeDefinition(name = "Minimum quality",
                description = "Worst sample quality used: GOOD or UNCERTAIN. BAD samples make a signal stale.",
                options = {@Option(label = "GOOD", value = "GOOD"), @Option(label = "UNCERTAIN", value = "UNCERTAIN")})
        Quality min_quality() default Quality.GOOD;
    }

    private final HealthRuleSettings settings;
    private final String alias;
    private final ModelStore store;
    private final ExecutorService fitter;
    private final Map<String, AssetHealth> assets = new ConcurrentHashMap<>();
    private final ServiceRegistration<HealthReporter> reporter;
    private final String assetType;
    private final FittedModels fitted;
    private final LongAdder modelsLearnt = new LongAdder();
    private final LongAdder modelsLoaded = new LongAdder();
    private final LongAdder modelFailures = new LongAdder();

    @Activate
    public HealthModelRule(Config config, BundleContext context, Map<String, Object> properties) {
        this.alias = alias(properties);
        try {
            this.settings = settings(config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PID + "-" + alias + ": " + e.getMessage(), e);
        }
        String home = context.getProperty("gateway.home");
        Path base = Path.of(home == null ? "." : home);
        this.store = new ModelStore(config.model_dir().isBlank() ? base.resolve("data/health").resolve(alias)
                : base.resolve(config.model_dir()));
        this.fitter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "health-model-fit-" + alias);
            t.setDaemon(true);
            return t;
        });
        this.assetType = config.asset_type().isBlank() ? null : config.asset_type().trim();
        if (assetType != null) {
            fitted = new FittedModels(context, assetType, serving -> serving.ifPresent(
                    f -> assets.values().forEach(a -> a.adopt(f.model()))));
            fitted.open();
        } else {
            fitted = null;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HealthReporter.NAME, "health-model-" + alias);
        this.reporter = context.registerService(HealthReporter.class, this::health, props); // last: reads the rest
        LOG.info("Health model '{}' for assets {}: tick {} ms, learning {} ticks, generation {}, models in {}", alias,
                config.detector_asset(), settings.tickMillis(), settings.learnTicks(), settings.generation(),
                store.dir());
    }

    @Deactivate
    void deactivate() {
        if (fitted != null) {
            fitted.close();
        }
        reporter.unregister();
        fitter.shutdownNow();
        try {
            fitter.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static HealthRuleSettings settings(Config c) {
        HealthModelSettings model = new HealthModelSettings(c.variance_share(),
                HealthModelSettings.DEFAULT_DYNAMICS_VARIANCE_SHARE, c.level_window(), c.dynamics_window(),
                c.false_alarm_rate(), HealthModelSettings.DEFAULT_FOLDS);
        long tick = c.tick_ms();
        if (tick < 10) {
            throw new IllegalArgumentException("setting 'tick.ms' = " + tick + " must be >= 10");
        }
        return new HealthRuleSettings(tick, LearnPeriod.parse(c.learn_duration(), tick).ticks(),
                c.signal_timeout_ms() == 0 ? 10 * tick : c.signal_timeout_ms(), model, c.raise_count(),
                c.raise_window(), c.clear_ticks(), c.clear_below(), c.model_generation(), c.severity(),
                c.min_quality(), c.contributions());
    }

    /** The alias of a factory configuration: {@code pumps} of {@code io.edgegateway.rules.health-pumps.cfg}. */
    static String alias(Map<String, Object> properties) {
        Object file = properties.get("felix.fileinstall.filename");
        if (file != null) {
            String name = file.toString();
            name = name.substring(name.lastIndexOf('/') + 1);
            if (name.startsWith(PID + "-") && name.endsWith(".cfg")) {
                return name.substring(PID.length() + 1, name.length() - 4);
            }
        }
        Object pid = properties.get("service.pid");
        String p = pid == null ? "default" : pid.toString();
        return p.startsWith(PID + "~") ? p.substring(PID.length() + 1) : p.substring(p.lastIndexOf('.') + 1);
    }

    @Override
    public SignalDetector create(SignalKey key) {
        AssetHealth asset = assets.computeIfAbsent(key.assetId(), this::commission);
        if (fitted != null) {
            // a fitted model that arrived while this asset was being commissioned
            fitted.serving().ifPresent(f -> asset.adopt(f.model()));
        }
        return asset::accept;
    }

    private AssetHealth commission(String assetId) {
        HealthModel stored = null;
        Optional<FittedModels.Fitted> fit = fitted == null ? Optional.empty() : fitted.serving();
        if (fit.isPresent()) {
            LOG.info("Health model '{}': {} monitored with the fitted model of asset type '{}' ({})", alias, assetId,
                    assetType, fit.get().describe());
            return newAsset(assetId, fit.get().model());
        }
        try {
            Optional<HealthModelJson.Loaded> loaded = store.load(assetId, settings.generation());
            if (loaded.isPresent()) {
                stored = loaded.get().model();
                modelsLoaded.increment();
                LOG.info("Health model '{}': {} monitored with its stored model {} (generation {}, {} signals)",
                        alias, assetId, store.file(assetId, settings.generation()), settings.generation(),
                        stored.signals().size());
            } else {
                LOG.info("Health model '{}': {} learns its normal behaviour for {} ticks (generation {})", alias,
                        assetId, settings.learnTicks(), settings.generation());
            }
        } catch (IOException | RuntimeException e) {
            modelFailures.increment();
            try {
                Path bad = store.quarantine(assetId, settings.generation());
                LOG.error("Health model '{}': stored model of {} is unreadable ({}); moved to {}, learning afresh",
                        alias, assetId, e.getMessage(), bad);
            } catch (IOException moveFailed) {
                LOG.error("Health model '{}': stored model of {} is unreadable ({}) and could not be moved aside ({});"
                        + " learning afresh", alias, assetId, e.getMessage(), moveFailed.getMessage());
            }
        }
        return newAsset(assetId, stored);
    }

    private AssetHealth newAsset(String assetId, HealthModel model) {
        return new AssetHealth(assetId, settings, model, fitter, new AssetHealth.Listener() {
            @Override
            public void learnt(String id, HealthModel model, long fitMillis) {
                modelsLearnt.increment();
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("asset", id);
                meta.put("rule", alias);
                meta.put("generation", Integer.toString(settings.generation()));
                meta.put("learntAt", Instant.now().toString());
                try {
                    store.save(id, settings.generation(), model, meta);
                    LOG.info("Health model '{}': {} learnt in {} ms ({} ticks, {} signals, {} components), frozen,"
                            + " stored in {}", alias, id, fitMillis, model.learntRows(), model.signals().size(),
                            model.levelComponents(), store.file(id, settings.generation()));
                } catch (IOException e) {
                    modelFailures.increment();
                    LOG.error("Health model '{}': {} learnt but could not be stored in {}: {} (it is used, and"
                            + " learnt again after a restart)", alias, id, store.dir(), e.toString());
                }
            }

            @Override
            public void failed(String id, String problem, Exception cause) {
                modelFailures.increment();
                LOG.error("Health model '{}': {} {}", alias, id, problem, cause);
            }
        });
    }

    /** One report for the configuration: assets by phase, alarms, stale and ignored signals. */
    HealthReport health() {
        List<AssetHealth.Status> statuses = new ArrayList<>();
        assets.values().forEach(a -> statuses.add(a.status()));
        statuses.sort(Comparator.comparing(AssetHealth.Status::assetId));
        Map<String, Number> counters = new LinkedHashMap<>();
        long learning = statuses.stream().filter(s -> s.phase() == AssetHealth.Phase.LEARNING
                || s.phase() == AssetHealth.Phase.FITTING).count();
        long monitoring = statuses.stream().filter(s -> s.phase() == AssetHealth.Phase.MONITORING).count();
        long alarms = statuses.stream().filter(s -> s.alarmSince() != null).count();
        counters.put("assets_learning", learning);
        counters.put("assets_monitoring", monitoring);
        counters.put("alarms_active", alarms);
        counters.put("models_learnt", modelsLearnt.sum());
        counters.put("models_loaded", modelsLoaded.sum());
        counters.put("model_failures", modelFailures.sum());
        counters.put("ticks", statuses.stream().mapToLong(AssetHealth.Status::ticks).sum());
        counters.put("ticks_incomplete", statuses.stream().mapToLong(AssetHealth.Status::ticksIncomplete).sum());
        counters.put("ticks_skipped", statuses.stream().mapToLong(AssetHealth.Status::ticksSkipped).sum());
        counters.put("learning_restarts", statuses.stream().mapToLong(AssetHealth.Status::learningRestarts).sum());
        List<String> problems = new ArrayList<>();
        for (AssetHealth.Status s : statuses) {
            if (s.phase() == AssetHealth.Phase.FAILED) {
                problems.add(s.assetId() + " " + s.problem());
            }
            if (!s.staleSignals().isEmpty()) {
                problems.add(s.assetId() + " signals not reporting: " + String.join(", ", s.staleSignals()));
            }
        }
        List<String> notes = new ArrayList<>();
        for (AssetHealth.Status s : statuses) {
            if (s.alarmSince() != null) {
                notes.add(s.assetId() + " abnormal since " + s.alarmSince());
            }
            if (!s.ignoredSignals().isEmpty()) {
                notes.add(s.assetId() + " ignores signals not in its model: " + String.join(", ",
                        s.ignoredSignals()));
            }
        }
        if (fitted != null) {
            fitted.rejected().values().forEach(why -> problems.add("model bundle rejected: " + why));
        }
        String source = fitted == null ? "generation " + settings.generation()
                : "asset type " + assetType + " " + fitted.serving().map(f -> "fitted model " + f.describe())
                        .orElse("without fitted model (learning)");
        String detail = source + ", " + monitoring + " monitored, " + learning + " learning" + (problems.isEmpty() ? "" : "; " + String.join("; ", problems))
                + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
        return new HealthReport(problems.isEmpty(), detail, counters);
    }
}

package io.edgegateway.rules.statistical.internal;

import io.edgegateway.rules.support.InvalidSettingException;

import io.edgegateway.api.Detector;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * Conformal anomaly rule, one service per factory configuration {@value #PID}, e.g. the file
 * {@code io.edgegateway.rules.conformal-pumps.cfg}:
 * <pre>
 * detector.asset=pump-*
 * detector.signal=*
 * </pre>
 * Every other setting defaults to {@link ConformalSettings#defaults()}, the configuration scored on the Numenta
 * Anomaly Benchmark by {@code ./gateway nab}. The scoring is documented on {@link ConformalScorer}.
 */
@Component(configurationPid = ConformalDetector.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=" + ConformalDetector.NAME)
@Designate(ocd = ConformalDetector.Config.class, factory = true)
public class ConformalDetector implements Detector {

    /** Factory configuration PID. */
    public static final String PID = "io.edgegateway.rules.conformal";
    /** Value of the {@link Detector#NAME} service property. */
    public static final String NAME = "conformal";

    @ObjectClassDefinition(name = "Edge Gateway conformal anomaly rule",
            description = "Alerts when a sample is unusual against the signal's own recent history (conformal"
                    + " p-values of spike, level, drift, volatility, step and time-of-day features); once per"
                    + " excursion. Unsupervised, no per-signal tuning.")
    public @interface Config {

        @AttributeDefinition(name = "Assets", description = "Glob over asset ids (* any run, ? one character).")
        String detector_asset() default "*";

        @AttributeDefinition(name = "Signals", description = "Glob over signal names.")
        String detector_signal() default "*";

        @AttributeDefinition(name = "Alert threshold",
                description = "Alert when the anomaly score in [0, 1] reaches it; 0.4 is a p-value of about 0.001.")
        double alert_threshold() default ConformalSettings.DEFAULT_ALERT_THRESHOLD;

        @AttributeDefinition(name = "Warm-up samples", description = "Samples learnt before the rule may alert. >= 2.")
        int warmup() default ConformalSettings.DEFAULT_WARMUP;

        @AttributeDefinition(name = "Fast alpha",
                description = "EWMA factor of the one-step prediction and the time-of-day profile, in (0, 1].")
        double fast_alpha() default ConformalSettings.DEFAULT_FAST_ALPHA;

        @AttributeDefinition(name = "Slow alpha", description = "EWMA factor of the long-run level, in (0, fast.alpha].")
        double slow_alpha() default ConformalSettings.DEFAULT_SLOW_ALPHA;

        @AttributeDefinition(name = "History",
                description = "Recent samples each new one is ranked against; memory ~48 bytes per entry. 10..100000.")
        int history() default ConformalSettings.DEFAULT_HISTORY;

        @AttributeDefinition(name = "Refractory samples",
                description = "A score is reported only when it exceeds every score of this many previous samples. >= 0.")
        int refractory() default ConformalSettings.DEFAULT_REFRACTORY;

        @AttributeDefinition(name = "Tail scale",
                description = "Decay of the p-value beyond the history's maximum, in units of (max - mean). > 0.")
        double tail_scale() default ConformalSettings.DEFAULT_TAIL_SCALE;

        @AttributeDefinition(name = "Time-of-day bins",
                description = "Bins of the daily profile, from the samples' source time; 0 = none. 0..1440.")
        int season_bins() default ConformalSettings.DEFAULT_SEASON_BINS;

        @AttributeDefinition(name = "Severity", description = "Severity of an alert.")
        Severity severity() default Severity.WARNING;

        @AttributeDefinition(name = "Minimum quality",
                description = "Worst sample quality evaluated: GOOD or UNCERTAIN. BAD samples are never evaluated.",
                options = {@Option(label = "GOOD", value = "GOOD"), @Option(label = "UNCERTAIN", value = "UNCERTAIN")})
        Quality min_quality() default Quality.GOOD;
    }

    private final ConformalSettings settings;
    private final Severity severity;
    private final Quality minQuality;

    @Activate
    public ConformalDetector(Config config) {
        this.settings = settings(config);
        this.severity = config.severity();
        this.minQuality = config.min_quality();
        if (severity == null) {
            throw new InvalidSettingException("severity", null, "must be one of INFO, WARNING, CRITICAL").forPid(PID);
        }
        if (minQuality == null || minQuality == Quality.BAD) {
            throw new InvalidSettingException("min.quality", minQuality, "must be GOOD or UNCERTAIN").forPid(PID);
        }
    }

    /** The settings of a configuration; an invalid one throws an IllegalArgumentException naming PID and setting. */
    static ConformalSettings settings(Config config) {
        try {
            return new ConformalSettings(config.warmup(), config.fast_alpha(), config.slow_alpha(), config.history(),
                    config.refractory(), config.tail_scale(), config.season_bins(), config.alert_threshold());
        } catch (InvalidSettingException e) {
            throw e.forPid(PID);
        }
    }

    ConformalSettings settings() {
        return settings;
    }

    @Override
    public SignalDetector create(SignalKey key) {
        return new ConformalSignalDetector(new ConformalScorer(settings), severity, minQuality);
    }
}

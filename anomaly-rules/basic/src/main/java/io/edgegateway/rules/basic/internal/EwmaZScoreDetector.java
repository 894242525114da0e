package io.edgegateway.rules.basic.internal;

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
 * EWMA z-score rule, one service per factory configuration {@value #PID}, e.g. the file
 * {@code io.edgegateway.rules.ewma-vibration.cfg}:
 * <pre>
 * detector.asset=*
 * detector.signal=vibration
 * z.threshold=5
 * </pre>
 * The logic, and how it learns, re-arms and adapts to level shifts, is documented on {@link EwmaSignalDetector}.
 */
@Component(configurationPid = EwmaZScoreDetector.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=" + EwmaZScoreDetector.NAME)
@Designate(ocd = EwmaZScoreDetector.Config.class, factory = true)
public class EwmaZScoreDetector implements Detector {

    /** Factory configuration PID. */
    public static final String PID = "io.edgegateway.rules.ewma";
    /** Value of the {@link Detector#NAME} service property. */
    public static final String NAME = "ewma";

    @ObjectClassDefinition(name = "Edge Gateway EWMA z-score rule",
            description = "Alerts when a sample is far from the signal's exponentially weighted mean, in standard"
                    + " deviations; once per excursion.")
    public @interface Config {

        @AttributeDefinition(name = "Assets", description = "Glob over asset ids (* any run, ? one character).")
        String detector_asset() default "*";

        @AttributeDefinition(name = "Signals", description = "Glob over signal names.")
        String detector_signal() default "*";

        @AttributeDefinition(name = "Alpha", description = "EWMA smoothing factor of mean and variance, in (0, 1].")
        double alpha() default EwmaSettings.DEFAULT_ALPHA;

        @AttributeDefinition(name = "z threshold", description = "Alert when |z| reaches it. > 0.")
        double z_threshold() default EwmaSettings.DEFAULT_Z_THRESHOLD;

        @AttributeDefinition(name = "Re-arm z", description = "Re-arm once |z| falls below it. < z.threshold.")
        double z_rearm() default EwmaSettings.DEFAULT_Z_REARM;

        @AttributeDefinition(name = "Warm-up samples", description = "Samples learnt before the rule may alert. >= 2.")
        int warmup() default EwmaSettings.DEFAULT_WARMUP;

        @AttributeDefinition(name = "Minimum standard deviation",
                description = "Floor on the standard deviation, so a flat signal does not divide by ~0. > 0.")
        double min_std() default EwmaSettings.DEFAULT_MIN_STD;

        @AttributeDefinition(name = "Severity", description = "Severity of an excursion.")
        Severity severity() default Severity.WARNING;

        @AttributeDefinition(name = "Critical z", description = "Escalate to CRITICAL when |z| reaches it. >= z.threshold.")
        double critical_z() default EwmaSettings.DEFAULT_CRITICAL_Z;

        @AttributeDefinition(name = "Adapt after",
                description = "While alerting, samples after which the mean follows the signal again, so a level"
                        + " shift is learnt. 0 = never.")
        int adapt_after() default EwmaSettings.DEFAULT_ADAPT_AFTER;

        @AttributeDefinition(name = "Minimum quality",
                description = "Worst sample quality evaluated: GOOD or UNCERTAIN. BAD samples are never evaluated.",
                options = {@Option(label = "GOOD", value = "GOOD"), @Option(label = "UNCERTAIN", value = "UNCERTAIN")})
        Quality min_quality() default Quality.GOOD;
    }

    private final EwmaSettings settings;

    @Activate
    public EwmaZScoreDetector(Config config) {
        this.settings = settings(config);
    }

    /** The settings of a configuration; an invalid one throws an IllegalArgumentException naming PID and setting. */
    static EwmaSettings settings(Config config) {
        try {
            return new EwmaSettings(config.alpha(), config.z_threshold(), config.z_rearm(), config.warmup(),
                    config.min_std(), config.severity(), config.critical_z(), config.adapt_after(),
                    config.min_quality());
        } catch (InvalidSettingException e) {
            throw e.forPid(PID);
        }
    }

    EwmaSettings settings() {
        return settings;
    }

    @Override
    public SignalDetector create(SignalKey key) {
        return new EwmaSignalDetector(settings);
    }
}

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
 * Threshold with hysteresis, one service per factory configuration {@value #PID}, e.g. the file
 * {@code io.edgegateway.rules.threshold-pump-bearing.cfg}:
 * <pre>
 * detector.asset=pump-*
 * detector.signal=bearing_temperature
 * high=80
 * hysteresis=2
 * critical.high=95
 * </pre>
 * The logic is {@link ThresholdSignalDetector}; this class only turns the configuration into settings.
 */
@Component(configurationPid = ThresholdDetector.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=" + ThresholdDetector.NAME)
@Designate(ocd = ThresholdDetector.Config.class, factory = true)
public class ThresholdDetector implements Detector {

    /** Factory configuration PID. */
    public static final String PID = "io.edgegateway.rules.threshold";
    /** Value of the {@link Detector#NAME} service property. */
    public static final String NAME = "threshold";

    @ObjectClassDefinition(name = "Edge Gateway threshold rule",
            description = "Alerts when a signal leaves fixed limits; once per excursion, re-armed with hysteresis.")
    public @interface Config {

        @AttributeDefinition(name = "Assets", description = "Glob over asset ids (* any run, ? one character).")
        String detector_asset() default "*";

        @AttributeDefinition(name = "Signals", description = "Glob over signal names.")
        String detector_signal() default "*";

        @AttributeDefinition(name = "High limit",
                description = "Alert when the value is above it. Infinity (the default) = no high limit.")
        double high() default Double.POSITIVE_INFINITY;

        @AttributeDefinition(name = "Low limit",
                description = "Alert when the value is below it. -Infinity (the default) = no low limit.")
        double low() default Double.NEGATIVE_INFINITY;

        @AttributeDefinition(name = "Hysteresis",
                description = "Re-arm only when the value is back to high - hysteresis (low + hysteresis). >= 0.")
        double hysteresis() default 0;

        @AttributeDefinition(name = "Severity", description = "Severity of an excursion.")
        Severity severity() default Severity.WARNING;

        @AttributeDefinition(name = "Critical high limit",
                description = "Escalate to CRITICAL above it (needs high, >= high). Infinity = off.")
        double critical_high() default Double.POSITIVE_INFINITY;

        @AttributeDefinition(name = "Critical low limit",
                description = "Escalate to CRITICAL below it (needs low, <= low). -Infinity = off.")
        double critical_low() default Double.NEGATIVE_INFINITY;

        @AttributeDefinition(name = "Minimum quality",
                description = "Worst sample quality evaluated: GOOD or UNCERTAIN. BAD samples are never evaluated.",
                options = {@Option(label = "GOOD", value = "GOOD"), @Option(label = "UNCERTAIN", value = "UNCERTAIN")})
        Quality min_quality() default Quality.GOOD;
    }

    private final ThresholdSettings settings;

    @Activate
    public ThresholdDetector(Config config) {
        this.settings = settings(config);
    }

    /** The settings of a configuration; an invalid one throws an IllegalArgumentException naming PID and setting. */
    static ThresholdSettings settings(Config config) {
        try {
            return new ThresholdSettings(config.high(), config.low(), config.hysteresis(), config.severity(),
                    config.critical_high(), config.critical_low(), config.min_quality());
        } catch (InvalidSettingException e) {
            throw e.forPid(PID);
        }
    }

    ThresholdSettings settings() {
        return settings;
    }

    @Override
    public SignalDetector create(SignalKey key) {
        return new ThresholdSignalDetector(settings);
    }
}

package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.InvalidSettingException;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

import io.edgegateway.api.Detector;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;

/**
 * Stuck (frozen) sensor rule, one service per factory configuration {@value #PID}, e.g. the file
 * {@code io.edgegateway.rules.stuck-analog.cfg}:
 * <pre>
 * detector.signal=*temperature
 * samples=20
 * </pre>
 * The logic is {@link StuckSignalDetector}.
 */
@Component(configurationPid = StuckDetector.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = Detector.class, property = Detector.NAME + "=" + StuckDetector.NAME)
@Designate(ocd = StuckDetector.Config.class, factory = true)
public class StuckDetector implements Detector {

    public static final String PID = "io.edgegateway.rules.stuck";
    public static final String NAME = "stuck";

    @ObjectClassDefinition(name = "Edge Gateway stuck-sensor rule",
            description = "Alerts when a noisy analog signal repeats the same reading too many times in a row.")
    public @interface Config {

        @AttributeDefinition(name = "Assets", description = "Glob over asset ids.")
        String detector_asset() default "*";

        @AttributeDefinition(name = "Signals", description = "Glob over signal names; only signals that always "
                + "show noise when the sensor is alive.")
        String detector_signal() default "*";

        @AttributeDefinition(name = "Readings", description = "Identical readings in a row that mean stuck (>= 2).")
        int samples() default 20;

        @AttributeDefinition(name = "Tolerance",
                description = "Readings within this of the run's first reading count as identical (>= 0).")
        double tolerance() default 0;

        @AttributeDefinition(name = "Severity")
        Severity severity() default Severity.WARNING;

        @AttributeDefinition(name = "Minimum quality",
                options = {@Option(label = "GOOD", value = "GOOD"), @Option(label = "UNCERTAIN", value = "UNCERTAIN")})
        Quality min_quality() default Quality.GOOD;
    }

    private final int samples;
    private final double tolerance;
    private final Severity severity;
    private final Quality minQuality;

    @Activate
    public StuckDetector(Config config) {
        try {
            if (config.samples() < 2) {
                throw new InvalidSettingException("samples", config.samples(), "must be at least 2");
            }
            if (!(config.tolerance() >= 0) || Double.isInfinite(config.tolerance())) {
                throw new InvalidSettingException("tolerance", config.tolerance(), "must be a finite number >= 0");
            }
            if (config.min_quality() == Quality.BAD) {
                throw new InvalidSettingException("min.quality", config.min_quality(), "must be GOOD or UNCERTAIN");
            }
        } catch (InvalidSettingException e) {
            throw e.forPid(PID);
        }
        this.samples = config.samples();
        this.tolerance = config.tolerance();
        this.severity = config.severity();
        this.minQuality = config.min_quality();
    }

    @Override
    public SignalDetector create(SignalKey key) {
        return new StuckSignalDetector(samples, tolerance, severity, minQuality);
    }
}

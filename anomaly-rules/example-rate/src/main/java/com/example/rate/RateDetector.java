package com.example.rate;

import io.edgegateway.api.*;
import org.osgi.service.component.annotations.*;
import org.osgi.service.metatype.annotations.*;

/** Alerts when a signal changes faster than max.per.s units per second. */
@Component(configurationPid = "com.example.rate", configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = Detector.NAME + "=rate")
@Designate(ocd = RateDetector.Config.class, factory = true)
public class RateDetector implements Detector {

    @ObjectClassDefinition public @interface Config {
        String detector_asset() default "*";   // becomes the service property detector.asset
        String detector_signal() default "*";
        double max_per_s() default 1.0;
    }

    private final double maxPerSecond;

    @Activate public RateDetector(Config c) { maxPerSecond = c.max_per_s(); }

    @Override public SignalDetector create(SignalKey key) {
        return new SignalDetector() {           // per-signal state; called from one thread at a time
            double last = Double.NaN; long lastMs;
            public Detection update(TelemetrySample s) {
                long ms = s.sourceTime().toEpochMilli();
                double rate = (s.value() - last) * 1000.0 / Math.max(1, ms - lastMs);
                last = s.value(); lastMs = ms;
                return Math.abs(rate) > maxPerSecond
                        ? new Detection(Severity.WARNING, Math.abs(rate) / maxPerSecond, maxPerSecond,
                                "changing at " + rate + " " + s.unit() + "/s") : null;
            }
        };
    }
}

package io.edgegateway.rules.statistical.internal;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.Map;

import io.edgegateway.api.Quality;
import io.edgegateway.api.TelemetrySample;

/** Test helpers: samples and component configurations without a framework. */
final class Samples {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private Samples() {
    }

    static TelemetrySample sample(double value) {
        return sample(value, Quality.GOOD);
    }

    static TelemetrySample sample(double value, Quality quality) {
        return new TelemetrySample("pump-1", "bearing_temperature", value, "degC", quality, T0, T0, "test");
    }

    /** The i-th sample of a series one minute apart. */
    static TelemetrySample sampleAt(int i, double value) {
        Instant t = T0.plusSeconds(60L * i);
        return new TelemetrySample("pump-1", "bearing_temperature", value, "degC", Quality.GOOD, t, t, "test");
    }

    /**
     * A component property type instance as DS would build it: the given settings (by configuration key, e.g.
     * {@code z.rearm}) over the annotation's defaults.
     */
    static <A> A config(Class<A> type, Map<String, Object> settings) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            String key = method.getName().replace('_', '.');
            if (settings.containsKey(key)) {
                return settings.get(key);
            }
            if (method.getDefaultValue() != null) {
                return method.getDefaultValue();
            }
            throw new UnsupportedOperationException(method.getName());
        });
        return type.cast(proxy);
    }
}

package io.edgegateway.testbed.simulator;

import java.util.Locale;

/** How {@link MqttPlantPublisher} encodes a sample. Both publish to {@code plant/<asset>/<signal>}. */
public enum PayloadFormat {
    /** {@code {"asset":"pump-1","signal":"vibration","value":2.513,"unit":"mm/s","ts":1735689600000}}. */
    JSON,
    /** Just the value as text, e.g. {@code 2.513}. */
    NUMBER;

    /** The format named {@code text}: {@code json} or {@code number} (case-insensitive). */
    public static PayloadFormat parse(String text) {
        for (PayloadFormat format : values()) {
            if (format.name().equalsIgnoreCase(text.trim())) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown format '" + text + "' (expected json or number)");
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}

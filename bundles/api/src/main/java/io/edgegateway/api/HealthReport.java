package io.edgegateway.api;

import java.util.Map;

/**
 * What a {@link HealthReporter} says about itself.
 *
 * <p>While not ok, the detail is shown in the retained status message, which is published again whenever it
 * changes: keep it a short sentence that changes only when the state does (no times, no running counts), e.g.
 * {@code "model rul-cmapss-fd001 1.1.0 rejected: sha256 mismatch; 1.0.0 stays"}. Figures that change all the
 * time belong in {@code counters}, which only the metrics message carries.
 *
 * @param ok       true when the component works as configured
 * @param detail   human-readable state or the last error; empty, never null
 * @param counters named figures, e.g. {@code models_rejected -> 1}; an unmodifiable copy with no null keys or
 *                 values (names snake_case by convention); empty, never null
 * @since 1.1
 */
public record HealthReport(boolean ok, String detail, Map<String, Number> counters) {

    public HealthReport {
        detail = detail == null ? "" : detail;
        counters = counters == null ? Map.of() : Map.copyOf(counters);
    }

    /** A healthy report without counters. */
    public static HealthReport ok(String detail) {
        return new HealthReport(true, detail, Map.of());
    }

    /** A report that is not ok, without counters. */
    public static HealthReport failed(String detail) {
        return new HealthReport(false, detail, Map.of());
    }
}

package io.edgegateway.rules.basic.internal;

import io.edgegateway.rules.support.InvalidSettingException;

import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;

/**
 * Validated settings of the threshold rule. A limit that is off is {@code +Infinity} (high, critical.high) or
 * {@code -Infinity} (low, critical.low).
 *
 * @param high         raise when the value is above it (strictly)
 * @param low          raise when the value is below it (strictly)
 * @param hysteresis   re-arm only once the value is back by this much inside the limit ({@code <= high - hysteresis},
 *                     {@code >= low + hysteresis}); 0 re-arms as soon as the value is back within the limit
 * @param severity     severity of a normal excursion
 * @param criticalHigh escalate to {@link Severity#CRITICAL} when the value is above it; needs {@code high} and must
 *                     be {@code >= high}
 * @param criticalLow  escalate to {@link Severity#CRITICAL} when the value is below it; needs {@code low} and must be
 *                     {@code <= low}
 * @param minQuality   the worst quality still evaluated: {@link Quality#GOOD} (default) or {@link Quality#UNCERTAIN};
 *                     {@link Quality#BAD} samples are never evaluated
 * @throws InvalidSettingException when a setting is out of range
 */
public record ThresholdSettings(double high, double low, double hysteresis, Severity severity, double criticalHigh,
                                double criticalLow, Quality minQuality) {

    public static final double OFF_HIGH = Double.POSITIVE_INFINITY;
    public static final double OFF_LOW = Double.NEGATIVE_INFINITY;

    public ThresholdSettings {
        notNaN("high", high);
        notNaN("low", low);
        notNaN("critical.high", criticalHigh);
        notNaN("critical.low", criticalLow);
        if (high == Double.NEGATIVE_INFINITY) {
            throw new InvalidSettingException("high", high, "must be a number (omit it, or +Infinity, for off)");
        }
        if (low == Double.POSITIVE_INFINITY) {
            throw new InvalidSettingException("low", low, "must be a number (omit it, or -Infinity, for off)");
        }
        boolean hasHigh = high != OFF_HIGH;
        boolean hasLow = low != OFF_LOW;
        if (!hasHigh && !hasLow) {
            throw new InvalidSettingException("high", high, "and 'low' are both off: set at least one limit");
        }
        if (hasHigh && hasLow && high <= low) {
            throw new InvalidSettingException("high", high, "must be greater than 'low' = " + low);
        }
        if (!(hysteresis >= 0) || hysteresis == Double.POSITIVE_INFINITY) {
            throw new InvalidSettingException("hysteresis", hysteresis, "must be a finite number >= 0");
        }
        if (severity == null) {
            throw new InvalidSettingException("severity", null, "must be one of INFO, WARNING, CRITICAL");
        }
        if (criticalHigh != OFF_HIGH) {
            if (!hasHigh) {
                throw new InvalidSettingException("critical.high", criticalHigh, "needs 'high' to be set");
            }
            if (criticalHigh < high) {
                throw new InvalidSettingException("critical.high", criticalHigh, "must be >= 'high' = " + high);
            }
        }
        if (criticalLow != OFF_LOW) {
            if (!hasLow) {
                throw new InvalidSettingException("critical.low", criticalLow, "needs 'low' to be set");
            }
            if (criticalLow > low) {
                throw new InvalidSettingException("critical.low", criticalLow, "must be <= 'low' = " + low);
            }
        }
        if (minQuality == null || minQuality == Quality.BAD) {
            throw new InvalidSettingException("min.quality", minQuality, "must be GOOD or UNCERTAIN");
        }
    }

    /** High and/or low limits, defaults for the rest: hysteresis 0, WARNING, no escalation, GOOD samples only. */
    public static ThresholdSettings limits(double high, double low) {
        return new ThresholdSettings(high, low, 0, Severity.WARNING, OFF_HIGH, OFF_LOW, Quality.GOOD);
    }

    public boolean hasHigh() {
        return high != OFF_HIGH;
    }

    public boolean hasLow() {
        return low != OFF_LOW;
    }

    private static void notNaN(String setting, double value) {
        if (Double.isNaN(value)) {
            throw new InvalidSettingException(setting, value, "must be a number");
        }
    }
}

package io.edgegateway.rules.health.internal.rule;

import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;

/**
 * One factory configuration of the health-model rule, validated: every error names the setting.
 *
 * @param tickMillis        one vector per asset per tick: the last value of each signal at the tick's end
 * @param learnTicks        ticks of normal operation learnt after commissioning, then the model is frozen
 * @param signalTimeoutMillis a signal without a sample for this long makes its asset's ticks incomplete: they are
 *                          neither learnt nor judged (a stopped sensor is not carried for ever)
 * @param generation        the model generation: a new number learns afresh, an old one uses that generation's
 *                          stored models again (rollback)
 * @param maxContributions  contributions carried by an alert
 */
public record HealthRuleSettings(long tickMillis, int learnTicks, long signalTimeoutMillis, HealthModelSettings model,
                          int raiseCount, int raiseWindow, int clearTicks, double clearBelow, int generation,
                          Severity severity, Quality minQuality, int maxContributions) {

    public HealthRuleSettings {
        if (tickMillis < 10) {
            throw new IllegalArgumentException("setting 'tick.ms' = " + tickMillis + " must be >= 10");
        }
        if (learnTicks < model.minimumRows()) {
            throw new IllegalArgumentException("setting 'learn.duration' gives " + learnTicks + " ticks at tick.ms "
                    + tickMillis + "; learning needs at least " + model.minimumRows());
        }
        if (signalTimeoutMillis < tickMillis) {
            throw new IllegalArgumentException("setting 'signal.timeout.ms' = " + signalTimeoutMillis
                    + " must be >= tick.ms (" + tickMillis + ")");
        }
        if (generation < 1) {
            throw new IllegalArgumentException("setting 'model.generation' = " + generation + " must be >= 1");
        }
        if (severity == null) {
            throw new IllegalArgumentException("setting 'severity' must be one of INFO, WARNING, CRITICAL");
        }
        if (minQuality == null || minQuality == Quality.BAD) {
            throw new IllegalArgumentException("setting 'min.quality' = " + minQuality + " must be GOOD or UNCERTAIN");
        }
        if (maxContributions < 1) {
            throw new IllegalArgumentException("setting 'contributions' = " + maxContributions + " must be >= 1");
        }
        // the alarm's own checks (raise.count, raise.window, clear.ticks, clear.below) run when one is made
        new io.edgegateway.rules.health.internal.model.AlarmState(raiseCount, raiseWindow, clearTicks, clearBelow);
    }
}

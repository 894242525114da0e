package io.edgegateway.management.internal.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.edgegateway.api.HealthReport;

/**
 * Decides whether what the gateway shows during an update's health window is unhealthy. Plain logic over
 * observations (the OSGi side collects them in {@link HealthWindow}), so every rule is tested on its own.
 *
 * <p>Unhealthy, each with a one-sentence reason:
 * <ul>
 * <li>a bundle of the operation is not active (did not resolve or start, or stopped);</li>
 * <li>a Declarative Services component of it failed to activate;</li>
 * <li>the framework reported an error event from it;</li>
 * <li>a health reporter that was ok before the operation is not ok, or one that was not ok shows another problem;
 *     a reporter that only appeared during the window counts if it is still not ok when the window ends (components
 *     starting up may report "not yet" for a moment);</li>
 * <li>pipeline throughput (samples evaluated per second) below {@code throughput.ratio} of the rate before the
 *     update while samples wait: judged only when the rate before was at least {@code throughput.min.rate} (a
 *     gateway without load says nothing) and after {@link Settings#minJudgeMillis()}; "samples wait" (at least one
 *     second's worth of the earlier rate in the queue) tells a slower pipeline from less input;</li>
 * <li>heap in use after garbage collection grew by more than {@code heap.growth.max.mb}.</li>
 * </ul>
 * In a window that runs while the gateway starts ({@link Baseline#startUp()}) only the first and the third count.
 */
final class HealthJudge {

    private HealthJudge() {
    }

    /**
     * @param throughputRatio    e.g. 0.7
     * @param minRate            samples/s before the update below which throughput is not judged
     * @param heapGrowthMaxBytes 0 = not judged
     * @param minJudgeMillis     time after the start before throughput is judged
     * @param self               the agent's own reporter name (never judged)
     */
    record Settings(double throughputRatio, double minRate, long heapGrowthMaxBytes, long minJudgeMillis,
                    String self) {
    }

    /**
     * Before the operation touched the framework.
     *
     * @param reporters   every health reporter's report by name
     * @param rateBefore  samples evaluated per second just before; NaN when unknown (no pipeline, too little history)
     * @param heapBytes   heap in use after a collection; negative when unknown
     * @param startUp     taken while the gateway starts (bundles found in deploy/ at start, a window resumed after a
     *                    restart): everything is starting and being configured at once (a new home's explainer has
     *                    no model for a moment, a corrupt outbox was already reported, a wrong configuration fails
     *                    its component), so only bundles that do not run and framework errors count
     */
    record Baseline(Map<String, HealthReport> reporters, double rateBefore, long heapBytes, boolean startUp) {

        Baseline(Map<String, HealthReport> reporters, double rateBefore, long heapBytes) {
            this(reporters, rateBefore, heapBytes, false);
        }
    }

    /**
     * One look during the window.
     *
     * @param elapsedMillis     since the operation's bundles were started
     * @param windowEnded       the last look of the window (reporters new in the window are judged now)
     * @param notActive         bundles of the operation that are not active, e.g. {@code io.x 1.1.0 is RESOLVED}
     * @param failedComponents  e.g. {@code io.x.Rule failed to activate: boom}
     * @param frameworkErrors   e.g. {@code io.x 1.1.0: java.lang.IllegalStateException: boom}
     * @param reporters         every reporter's current report
     * @param evaluatedDelta    samples evaluated since the bundles were started; negative when unknown
     * @param queueDepth        samples waiting now; negative when unknown
     * @param heapBytes         heap in use after the latest collection; negative when unknown
     */
    record Observation(long elapsedMillis, boolean windowEnded, List<String> notActive, List<String> failedComponents,
                       List<String> frameworkErrors, Map<String, HealthReport> reporters, long evaluatedDelta,
                       int queueDepth, long heapBytes) {
    }

    /** The first problem found, or empty when healthy so far. */
    static Optional<String> judge(Settings s, Baseline b, Observation o) {
        if (!o.notActive().isEmpty()) {
            return Optional.of("bundle " + o.notActive().get(0) + " (not active)");
        }
        if (!o.frameworkErrors().isEmpty()) {
            return Optional.of("framework error from " + o.frameworkErrors().get(0));
        }
        if (b.startUp()) {
            // the gateway is starting: configurations arrive from deploy/ as these bundles start, and a component
            // that fails on its configuration, or a reporter that says so, is a configuration problem (it names the
            // setting) — uninstalling a new home's rule bundle for one wrong factory configuration would take its
            // correct ones down with it. Only a bundle that does not run counts.
            return Optional.empty();
        }
        if (!o.failedComponents().isEmpty()) {
            return Optional.of("component " + o.failedComponents().get(0));
        }
        Optional<String> reporter = reporters(s, b, o);
        if (reporter.isPresent()) {
            return reporter;
        }
        Optional<String> throughput = throughput(s, b, o);
        if (throughput.isPresent()) {
            return throughput;
        }
        if (s.heapGrowthMaxBytes() > 0 && b.heapBytes() >= 0 && o.heapBytes() >= 0
                && o.heapBytes() - b.heapBytes() > s.heapGrowthMaxBytes()) {
            return Optional.of(String.format(Locale.ROOT, "heap in use after GC grew by %d MB (from %d MB; limit "
                            + "heap.growth.max.mb = %d)", (o.heapBytes() - b.heapBytes()) >> 20, b.heapBytes() >> 20,
                    s.heapGrowthMaxBytes() >> 20));
        }
        return Optional.empty();
    }

    private static Optional<String> reporters(Settings s, Baseline b, Observation o) {
        List<String> names = new ArrayList<>(o.reporters().keySet());
        names.sort(null);
        for (String name : names) {
            if (name.equals(s.self())) {
                continue;
            }
            HealthReport now = o.reporters().get(name);
            if (now == null || now.ok()) {
                continue;
            }
            HealthReport before = b.reporters().get(name);
            boolean turned = before != null && (before.ok() || !before.detail().equals(now.detail()));
            boolean newAndStillBad = before == null && o.windowEnded();
            if (turned || newAndStillBad) {
                return Optional.of("health reporter '" + name + "' " + (before != null && before.ok()
                        ? "turned not ok" : before == null ? "is not ok" : "reports a new problem") + ": "
                        + now.detail());
            }
        }
        return Optional.empty();
    }

    private static Optional<String> throughput(Settings s, Baseline b, Observation o) {
        if (Double.isNaN(b.rateBefore()) || b.rateBefore() < s.minRate() || o.evaluatedDelta() < 0
                || o.queueDepth() < 0 || o.elapsedMillis() < s.minJudgeMillis()) {
            return Optional.empty();
        }
        double rate = o.evaluatedDelta() * 1000.0 / o.elapsedMillis();
        double ratio = rate / b.rateBefore();
        boolean waiting = o.queueDepth() >= Math.max(1.0, b.rateBefore());
        if (ratio < s.throughputRatio() && waiting) {
            return Optional.of(String.format(Locale.ROOT, "pipeline throughput fell to %.0f samples/s from %.0f "
                            + "before the update (ratio %.2f < throughput.ratio %.2f) with %d samples waiting", rate,
                    b.rateBefore(), ratio, s.throughputRatio(), o.queueDepth()));
        }
        return Optional.empty();
    }
}

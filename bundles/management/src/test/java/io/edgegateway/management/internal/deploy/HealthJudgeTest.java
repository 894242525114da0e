package io.edgegateway.management.internal.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.HealthReport;

class HealthJudgeTest {

    static final HealthJudge.Settings S = new HealthJudge.Settings(0.7, 10, 64L << 20, 3000, "deployment");
    static final HealthJudge.Baseline QUIET = new HealthJudge.Baseline(Map.of("models", HealthReport.ok("in service")),
            Double.NaN, 100L << 20);

    static HealthJudge.Observation look(long elapsed, boolean end, Map<String, HealthReport> reporters, long evaluated,
                                        int queue, long heap) {
        return new HealthJudge.Observation(elapsed, end, List.of(), List.of(), List.of(), reporters, evaluated, queue,
                heap);
    }

    @Test
    void aQuietHealthyWindowIsHealthy() {
        assertThat(HealthJudge.judge(S, QUIET, look(30_000, true, QUIET.reporters(), -1, -1, 110L << 20))).isEmpty();
    }

    @Test
    void bundleComponentAndFrameworkProblemsAreNamed() {
        var o = new HealthJudge.Observation(500, false, List.of("io.x 1.1.0 is RESOLVED (not started)"), List.of(),
                List.of(), Map.of(), -1, -1, -1);
        assertThat(HealthJudge.judge(S, QUIET, o)).contains("bundle io.x 1.1.0 is RESOLVED (not started) (not active)");
        o = new HealthJudge.Observation(500, false, List.of(), List.of("io.x 1.1.0: io.x.Rule failed to activate: "
                + "java.lang.IllegalStateException: boom"), List.of(), Map.of(), -1, -1, -1);
        assertThat(HealthJudge.judge(S, QUIET, o)).get().asString().startsWith("component io.x 1.1.0: io.x.Rule failed")
                .contains("boom");
        o = new HealthJudge.Observation(500, false, List.of(), List.of(), List.of("io.x 1.1.0: java.lang.Error: e"),
                Map.of(), -1, -1, -1);
        assertThat(HealthJudge.judge(S, QUIET, o)).contains("framework error from io.x 1.1.0: java.lang.Error: e");
    }

    @Test
    void aReporterTurningNotOkIsUnhealthyAtOnce() {
        var o = look(800, false, Map.of("models", HealthReport.failed("explainer-maint 1.0.3 rejected (sha256)")), -1,
                -1, -1);
        assertThat(HealthJudge.judge(S, QUIET, o)).contains("health reporter 'models' turned not ok: explainer-maint "
                + "1.0.3 rejected (sha256)");
    }

    @Test
    void aReporterAlreadyNotOkCountsOnlyWithANewProblem() {
        var before = new HealthJudge.Baseline(Map.of("explainer", HealthReport.failed("no model")), Double.NaN, -1);
        assertThat(HealthJudge.judge(S, before, look(800, true, Map.of("explainer", HealthReport.failed("no model")),
                -1, -1, -1))).isEmpty();
        assertThat(HealthJudge.judge(S, before, look(800, false, Map.of("explainer", HealthReport.failed("crashed")),
                -1, -1, -1))).contains("health reporter 'explainer' reports a new problem: crashed");
    }

    @Test
    void aNewReporterIsJudgedWhenTheWindowEnds() {
        Map<String, HealthReport> now = Map.of("models", HealthReport.ok("x"), "rul", HealthReport.failed("no model"));
        assertThat(HealthJudge.judge(S, QUIET, look(1000, false, now, -1, -1, -1))).isEmpty();
        assertThat(HealthJudge.judge(S, QUIET, look(30_000, true, now, -1, -1, -1)))
                .contains("health reporter 'rul' is not ok: no model");
        assertThat(HealthJudge.judge(S, QUIET, look(30_000, true, Map.of("rul", HealthReport.ok("fine"),
                "models", HealthReport.ok("x")), -1, -1, -1))).isEmpty();
    }

    @Test
    void atStartUpOnlyBundlesThatDoNotRunAndFrameworkErrorsCount() {
        var startUp = new HealthJudge.Baseline(Map.of("models", HealthReport.ok("in service"),
                "uplink", HealthReport.failed("outbox: 5 messages lost")), 160, -1, true);
        // everything starting and being configured: new reporters not ok yet, one turning not ok on a wrong
        // configuration, a component failing on its configuration, a slow pipeline
        Map<String, HealthReport> now = Map.of("models", HealthReport.failed("rules: 'alpha' must be in (0, 1]"),
                "uplink", HealthReport.failed("outbox: 5 messages lost; connecting"),
                "explainer", HealthReport.failed("no model yet"));
        var o = new HealthJudge.Observation(30_000, true, List.of(), List.of("io.x 1.0.0: io.x.Ewma failed to "
                + "activate: 'alpha' must be in (0, 1]"), List.of(), now, 10, 5000, -1);
        assertThat(HealthJudge.judge(S, startUp, o)).isEmpty();
        var notRunning = new HealthJudge.Observation(800, false, List.of("io.x 1.0.0 is RESOLVED"), List.of(),
                List.of(), now, -1, -1, -1);
        assertThat(HealthJudge.judge(S, startUp, notRunning)).contains("bundle io.x 1.0.0 is RESOLVED (not active)");
        var error = new HealthJudge.Observation(800, false, List.of(), List.of(), List.of("io.x 1.0.0: boom"), now,
                -1, -1, -1);
        assertThat(HealthJudge.judge(S, startUp, error)).contains("framework error from io.x 1.0.0: boom");
    }

    @Test
    void theAgentsOwnReportIsNeverJudged() {
        assertThat(HealthJudge.judge(S, QUIET, look(30_000, true, Map.of("deployment", HealthReport.failed("x"),
                "models", HealthReport.ok("in service")), -1, -1, -1))).isEmpty();
    }

    @Test
    void aSlowerPipelineWithSamplesWaitingIsUnhealthy() {
        var busy = new HealthJudge.Baseline(Map.of(), 160, -1);
        // 66 samples/s over 5 s while 400 wait
        assertThat(HealthJudge.judge(S, busy, look(5000, false, Map.of(), 330, 400, -1))).get().asString()
                .startsWith("pipeline throughput fell to 66 samples/s from 160 before the update (ratio 0.41 < "
                        + "throughput.ratio 0.70) with 400 samples waiting");
    }

    @Test
    void lessInputIsNotASlowerPipeline() {
        var busy = new HealthJudge.Baseline(Map.of(), 160, -1);
        // the load stopped: few samples evaluated, none waiting
        assertThat(HealthJudge.judge(S, busy, look(5000, false, Map.of(), 10, 0, -1))).isEmpty();
        // a short backlog (less than a second's worth) is not enough either
        assertThat(HealthJudge.judge(S, busy, look(5000, false, Map.of(), 330, 100, -1))).isEmpty();
    }

    @Test
    void throughputNeedsAMeaningfulRateBeforeAndTime() {
        var idle = new HealthJudge.Baseline(Map.of(), 5, -1);
        assertThat(HealthJudge.judge(S, idle, look(5000, false, Map.of(), 0, 500, -1))).isEmpty();
        var busy = new HealthJudge.Baseline(Map.of(), 160, -1);
        assertThat(HealthJudge.judge(S, busy, look(2000, false, Map.of(), 0, 500, -1))).as("too early").isEmpty();
        var unknown = new HealthJudge.Baseline(Map.of(), Double.NaN, -1);
        assertThat(HealthJudge.judge(S, unknown, look(5000, false, Map.of(), 0, 500, -1))).isEmpty();
        // the same as the rate before: healthy
        assertThat(HealthJudge.judge(S, busy, look(5000, false, Map.of(), 800, 500, -1))).isEmpty();
    }

    @Test
    void heapGrowthBeyondTheLimit() {
        assertThat(HealthJudge.judge(S, QUIET, look(30_000, true, QUIET.reporters(), -1, -1, 200L << 20)))
                .contains("heap in use after GC grew by 100 MB (from 100 MB; limit heap.growth.max.mb = 64)");
        var off = new HealthJudge.Settings(0.7, 10, 0, 3000, "deployment");
        assertThat(HealthJudge.judge(off, QUIET, look(30_000, true, QUIET.reporters(), -1, -1, 900L << 20))).isEmpty();
    }
}

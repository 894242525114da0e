package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;

/**
 * Fault 6: a slow consumer. A third-party explainer that takes 30 s per explanation, one at a time, with an
 * unbounded queue of its own (testbed/slow-explainer), is hot-deployed and outranks the LLM explainer; telemetry
 * runs at 100 messages/s (50 limit crossings a second, so 50 alerts/s) for {@link #DURATION_S} seconds. The
 * pipeline holds at most {@code explain.max.pending} requests at the explainer and sheds the rest (counted): no
 * disconnect, every sample accepted, every alert delivered, pipeline queue and pending requests within bounds.
 */
class SlowExplainerIT {

    private static final String ID = "fault-slow-explainer";
    /** Seconds of telemetry; the figure is 300 (the default). */
    static final int DURATION_S = Integer.getInteger("fault.slow.s", 300);
    static final int PAIRS_PER_S = 50; // 2 messages each: 100 messages/s
    static final int MAX_PENDING = 100;

    @TempDir
    Path dir;

    @Test
    void aThirtySecondExplainerNeverHoldsUpThePipelineOrTheUplink() throws Exception {
        try (FaultRig rig = new FaultRig(dir, ID, Map.of())) {
            GatewayHomes.configure(rig.home, "io.edgegateway.core.pipeline.cfg", Map.of("queue.capacity", "16384",
                    "workers", "2", "backpressure", "block", "explain.max.pending", String.valueOf(MAX_PENDING)));
            GatewayHomes.configure(rig.home, "io.edgegateway.testbed.slowexplainer.cfg", Map.of("delay.s", "30"));
            rig.startGateway(true);
            Path jar = Path.of(System.getProperty("slow.explainer.jar"));
            Path target = rig.home.resolve("deploy/slow-explainer.jar");
            DeployArtifacts.drop(jar, target); // signed with the build key
            // the deployment agent installs it, DS registers it, and its health window ends: only then does every
            // alert find it (alerts raised before have no explainer, and are neither explained nor shed)
            assertThat(rig.gateway.awaitLog("Deployment committed: deploy/slow-explainer.jar", Duration.ofSeconds(60)))
                    .as("slow explainer committed; log:%n%s", rig.gateway.logText()).isTrue();

            int pairs = PAIRS_PER_S * DURATION_S;
            AtomicInteger maxPending = new AtomicInteger();
            AtomicInteger maxQueue = new AtomicInteger();
            AtomicLong lastShed = new AtomicLong();
            AtomicReference<Throwable> streamError = new AtomicReference<>();
            Thread stream = new Thread(() -> {
                try {
                    rig.pairs(pairs, 50, PAIRS_PER_S, 1_700_000_000_000L);
                } catch (Throwable e) {
                    streamError.set(e);
                }
            }, "telemetry-stream");
            long t0 = System.nanoTime();
            stream.start();
            while (stream.isAlive()) {
                JsonNode m = rig.checker.metrics.get();
                if (m != null) {
                    maxPending.accumulateAndGet(m.path("explanations_pending").asInt(), Math::max);
                    maxQueue.accumulateAndGet(m.path("queue_depth").asInt(), Math::max);
                    lastShed.set(m.path("explanations_shed").asLong());
                }
                Thread.sleep(500);
            }
            assertThat(streamError.get()).as("telemetry publisher").isNull();
            double streamS = (System.nanoTime() - t0) / 1e9;

            JsonNode end = rig.awaitMetrics(m -> m.path("accepted").asLong() >= 2L * pairs
                    && m.path("alerts").asLong() >= pairs, Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (rig.checker.distinct() < pairs && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            String log = rig.gateway.logText();
            long shed = end.path("explanations_shed").asLong();
            long explained = end.path("explanations").asLong();
            int pending = end.path("explanations_pending").asInt();
            System.out.printf("Fault 6 (slow explainer, 30 s each): %d s of telemetry at 100 msg/s (%.0f s), %d "
                            + "samples accepted, %d alerts raised, %d delivered; explainer: %d explained, %d pending "
                            + "(max seen %d, bound %d), %d shed; pipeline queue max %d; disconnects: %s%n",
                    DURATION_S, streamS, end.path("accepted").asLong(), end.path("alerts").asLong(),
                    rig.checker.distinct(), explained, pending, maxPending.get(), MAX_PENDING, shed, maxQueue.get(),
                    java.util.regex.Pattern.compile("connection to \\S+ lost").matcher(log).find() ? "yes" : "none");
            assertThat(rig.checker.distinct()).as("every alert delivered").isEqualTo(pairs);
            assertThat(end.path("accepted").asLong()).as("every sample accepted").isGreaterThanOrEqualTo(2L * pairs);
            assertThat(maxPending.get()).as("pending explanation requests bounded").isLessThanOrEqualTo(MAX_PENDING);
            assertThat(pending).isLessThanOrEqualTo(MAX_PENDING);
            assertThat(shed).as("shed counted: every alert not explained and not pending")
                    .isEqualTo(end.path("alerts").asLong() - explained - pending);
            assertThat(shed).isPositive();
            assertThat(maxQueue.get()).as("pipeline queue within its capacity").isLessThanOrEqualTo(16384);
            assertThat(log).as("no disconnect of the telemetry source or the uplink")
                    .doesNotContainPattern("connection to \\S+ lost");
        }
    }
}

package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault 2, the size: the gateway is killed with SIGKILL while its uplink broker is down and 5,000 alerts wait
 * in the outbox. After the gateway restarts (broker still down) and the broker returns, all 5,000 arrive within 60 s.
 */
class GatewayKillWithBacklogIT {

    private static final String ID = "fault-gateway-kill";

    @TempDir
    Path dir;

    @Test
    void alertsWaitingInTheOutboxSurviveKillMinus9() throws Exception {
        int n = 5000;
        try (FaultRig rig = new FaultRig(dir, ID, Map.of())) {
            rig.startGateway(true);
            // the uplink broker goes down cleanly: it saves the checker's persistent session, so the checker
            // cannot miss what the gateway publishes before it has resubscribed (a SIGKILL right after the
            // subscription could lose it; broker kills are scenario 1's subject)
            rig.uplink.close();
            rig.pairs(n, 50, 0, 1_700_000_000_000L);
            // the pipeline evaluates what the source received; no metrics to watch while the uplink is down, so wait
            // until the outbox on disk has stopped growing (a fixed 6 s was too short on a loaded 2-core machine)
            awaitStableSize(rig.home.resolve("data/outbox"), Duration.ofSeconds(3), Duration.ofSeconds(90));
            rig.gateway.kill();
            assertThat(rig.checker.distinct()).isZero();

            rig.startGateway(false);
            assertThat(rig.gateway.awaitLog("messages waiting from before", Duration.ofSeconds(10))).isTrue();
            long t0 = System.nanoTime();
            rig.uplink.restart();
            long deadline = t0 + Duration.ofSeconds(60).toNanos();
            while (rig.checker.distinct() < n && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            JsonNode m = rig.awaitMetrics(x -> x.path("outbox_pending").asLong() == 0, Duration.ofSeconds(10));
            System.out.printf("FAULT 2 gateway-kill: %d alerts waiting when the gateway was killed (SIGKILL, broker "
                            + "down); %d recovered at restart; %d distinct delivered %.1f s after the broker "
                            + "returned; %d duplicates%n", n, m.path("outbox_recovered").asLong(),
                    rig.checker.distinct(), seconds, rig.checker.duplicates());
            assertThat(m.path("outbox_recovered").asLong()).isEqualTo(n);
            assertThat(rig.checker.distinct()).isEqualTo(n);
            assertThat(seconds).isLessThan(60);
        }
    }

    /** Waits until the total size of the files under {@code dir} has not changed for {@code quiet}. */
    private static void awaitStableSize(Path dir, Duration quiet, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        long last = -1;
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long size;
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
                size = files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                size = -1; // a segment rolled over while listing: look again
            }
            if (size != last) {
                last = size;
                since = System.nanoTime();
            } else if (size > 0 && System.nanoTime() - since >= quiet.toNanos()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("outbox " + dir + " still growing after " + max);
    }
}

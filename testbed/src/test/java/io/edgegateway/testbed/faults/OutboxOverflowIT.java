package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault 4, the size: the outbox holds C = 10,000 messages; 1.5 C alerts are raised while the uplink broker is
 * down. Exactly
 * 0.5 C are handled by the overflow policy and counted; the C others are delivered: the newest with drop-oldest,
 * the oldest with reject-new. (The pipeline's two workers raise alerts of different assets in slightly different
 * orders than the samples were published, so which pairs were kept is checked within {@link #SLACK} pairs; the
 * counts are exact.)
 */
class OutboxOverflowIT {

    private static final int C = 10_000;
    private static final long TS = 1_700_000_000_000L;
    private static final int SLACK = C / 10;

    @TempDir
    Path dir;

    @Test
    void dropOldestKeepsTheNewest() throws Exception {
        run("drop-oldest", "fault-overflow-drop");
    }

    @Test
    void rejectNewKeepsTheOldest() throws Exception {
        run("reject-new", "fault-overflow-reject");
    }

    private void run(String policy, String id) throws Exception {
        int n = C * 3 / 2;
        try (FaultRig rig = new FaultRig(dir.resolve(policy), id,
                Map.of("queue.capacity", Integer.toString(C), "outbox.overflow", policy))) {
            rig.startGateway(true);
            // the uplink broker goes down cleanly: it saves the checker's persistent session, so the checker
            // cannot miss what the gateway publishes before it has resubscribed (a SIGKILL right after the
            // subscription could lose it; broker kills are scenario 1's subject)
            rig.uplink.close();
            rig.pairs(n, 50, 2000, TS);
            Thread.sleep(2_000);
            rig.uplink.restart();
            JsonNode m = rig.awaitMetrics(x -> x.path("alerts").asLong() == n
                    && x.path("outbox_pending").asLong() == 0 && rig.checker.distinct() >= C, Duration.ofSeconds(60));
            // which ones arrived: pair i is observed at TS + 2 i
            long oldest = rig.checker.alertJson.values().stream()
                    .mapToLong(j -> java.time.Instant.parse(j.path("observedTime").asText()).toEpochMilli())
                    .min().orElseThrow();
            long newest = rig.checker.alertJson.values().stream()
                    .mapToLong(j -> java.time.Instant.parse(j.path("observedTime").asText()).toEpochMilli())
                    .max().orElseThrow();
            System.out.printf("FAULT 4 overflow-%s: capacity %d, %d alerts raised offline: stored %d, dropped %d, "
                            + "delivered %d (received %d distinct, pairs %d..%d)%n", policy, C,
                    m.path("alerts").asLong(), m.path("outbox_stored").asLong(), m.path("outbox_dropped").asLong(),
                    m.path("outbox_delivered").asLong(), rig.checker.distinct(), (oldest - TS) / 2,
                    (newest - TS) / 2);
            long heap = io.edgegateway.testbed.harness.HeapInfo.usedBytes(rig.gateway.pid());
            System.out.printf("FAULT 4 overflow-%s: gateway heap used %d MiB (bound: -Xmx256m)%n", policy, heap >> 20);
            assertThat(heap).as("heap within its bound").isLessThan(256L << 20);
            assertThat(m.path("outbox_dropped").asLong()).isEqualTo(n - C);
            assertThat(m.path("outbox_delivered").asLong()).isEqualTo(C);
            assertThat(m.path("outbox_expired").asLong()).isZero();
            assertThat(rig.checker.distinct()).isEqualTo(C);
            if (policy.equals("drop-oldest")) {
                assertThat(m.path("outbox_stored").asLong()).isEqualTo(n);
                assertThat((oldest - TS) / 2).isBetween((long) n - C - SLACK, (long) n - C + SLACK);
                assertThat((newest - TS) / 2).isEqualTo(n - 1);
            } else {
                assertThat(m.path("outbox_stored").asLong()).isEqualTo(C);
                assertThat((oldest - TS) / 2).isZero();
                assertThat((newest - TS) / 2).isBetween((long) C - 1 - SLACK, (long) C - 1 + SLACK);
            }
        }
    }
}

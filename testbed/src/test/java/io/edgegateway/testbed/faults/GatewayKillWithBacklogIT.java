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
            // the pipeline evaluates what the source received (no metrics to watch while the uplink is down)
            Thread.sleep(6_000);
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
}

package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault 1, the size: the uplink broker is killed with SIGKILL {@value #KILLS} times during a sustained stream
 * of sequence-numbered alerts (pump-1..pump-50, {@value #ALERTS_PER_S} alerts/s) and restarted after
 * {@value #DOWN_S} s each time. Every alert the gateway raised (its own {@code alerts} counter) must be acknowledged
 * by the broker (0 gaps on the gateway's side), per asset the alerts first arrive in the order they were observed,
 * and duplicates are counted (at least once).
 */
class UplinkBrokerKillIT {

    private static final String ID = "fault-broker-kill";
    static final int KILLS = 5;
    static final int DOWN_S = 10;
    static final int UP_S = 4;
    static final int ALERTS_PER_S = 200;

    @TempDir
    Path dir;

    @Test
    void everyAlertArrivesAcrossFiveBrokerKills() throws Exception {
        try (FaultRig rig = new FaultRig(dir, ID, Map.of())) {
            rig.startGateway(true);
            int pairs = ALERTS_PER_S * (KILLS * (UP_S + DOWN_S) + 2 * UP_S);
            AtomicReference<Throwable> streamError = new AtomicReference<>();
            Thread stream = new Thread(() -> {
                try {
                    rig.pairs(pairs, 50, ALERTS_PER_S, 1_700_000_000_000L);
                } catch (Throwable e) {
                    streamError.set(e);
                }
            }, "alert-stream");
            long t0 = System.nanoTime();
            stream.start();
            int kills = 0;
            for (int k = 0; k < KILLS; k++) {
                Thread.sleep(UP_S * 1000L);
                rig.uplink.kill();
                kills++;
                Thread.sleep(DOWN_S * 1000L);
                rig.uplink.restart();
            }
            stream.join();
            assertThat(streamError.get()).isNull();
            // Gateway side, exact: every alert raised was acknowledged by the broker (PUBACK) and nothing dropped.
            JsonNode m = rig.awaitMetrics(x -> x.path("alerts").asLong() == pairs
                    && x.path("outbox_pending").asLong() == 0, Duration.ofSeconds(60));
            double seconds = (System.nanoTime() - t0) / 1e9;
            long alerts = m.path("alerts").asLong();
            long delivered = m.path("outbox_delivered").asLong();
            // End to end: mosquitto acknowledges a QoS 1 publish before it persists or forwards it, so a SIGKILL
            // can lose messages the broker had already acknowledged. Those are the broker's, not the gateway's.
            long settle = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (rig.checker.distinct() < alerts && System.nanoTime() < settle) {
                Thread.sleep(200);
            }
            int received = rig.checker.distinct();
            System.out.printf("FAULT 1 broker-kill: %d broker kills (SIGKILL, %d s down each) during %d alerts "
                            + "(%.0f alerts/s over %.1f s): gateway-side gaps %d (broker acknowledged %d of %d, "
                            + "dropped %d); subscriber received %d distinct (%d lost after the broker's "
                            + "acknowledgement), %d duplicates, %d out of order per asset%n", kills, DOWN_S, alerts,
                    alerts / seconds, seconds, alerts - delivered, delivered, alerts, m.path("outbox_dropped").asLong(),
                    received, alerts - received, rig.checker.duplicates(), rig.checker.outOfOrder.get());
            assertThat(alerts - delivered).as("alerts raised but never acknowledged by the broker").isZero();
            assertThat(m.path("outbox_dropped").asLong()).isZero();
            // broker-side loss is limited to what was in flight inside mosquitto at each kill
            assertThat(alerts - received).as("alerts lost inside the broker").isLessThanOrEqualTo(kills * 20L);
            assertThat(rig.checker.outOfOrder.get()).as("per asset, first arrivals in observation order").isZero();
            assertThat(rig.gateway.isAlive()).isTrue();
        }
    }
}

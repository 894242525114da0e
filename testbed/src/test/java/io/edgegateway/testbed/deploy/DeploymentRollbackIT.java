package io.edgegateway.testbed.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * Transactional updates of a rule bundle in a running gateway: a release whose component cannot activate, and one
 * that halves the pipeline's throughput under a QoS 1 load above its capacity, are both rolled back by the agent
 * within the health window, the reason on the status topic; the previous version serves again, and no QoS 1 sample
 * published during the updates is lost (accepted == published).
 */
class DeploymentRollbackIT {

    static final int WINDOW_S = 20;

    @TempDir
    Path dir;

    @Test
    void activationFailureAndThroughputDropAreRolledBackWithinTheWindow() throws Exception {
        try (DeployRig rig = new DeployRig(dir, "it-rollback", WINDOW_S)) {
            rig.start();
            Path deployed = rig.home.resolve("deploy/fixture.jar");

            // 1.0.0 installed, watched for the window, committed
            long t = System.nanoTime();
            DeployArtifacts.drop(rig.fixture("1.0.0", "normal"), deployed);
            assertThat(rig.servingFixtureVersion(Duration.ofSeconds(30))).isEqualTo("1.0.0");
            double servingMs = (System.nanoTime() - t) / 1e6;
            assertThat(rig.gateway.awaitLog("Deployment committed: deploy/fixture.jar", Duration.ofSeconds(WINDOW_S + 30)))
                    .as("committed; log:%n%s", rig.gateway.logText()).isTrue();
            double commitMs = (System.nanoTime() - t) / 1e6;

            // 1.1.0 cannot activate: rolled back at once
            t = System.nanoTime();
            DeployArtifacts.drop(rig.fixture("1.1.0", "throw-on-activate"), deployed);
            assertThat(rig.gateway.awaitLog("Deployment ROLLED BACK deploy/fixture.jar", Duration.ofSeconds(WINDOW_S + 10)))
                    .as("rolled back; log:%n%s", rig.gateway.logText()).isTrue();
            double activationRollbackMs = (System.nanoTime() - t) / 1e6;
            assertThat(activationRollbackMs).as("within the health window").isLessThan(WINDOW_S * 1000.0);
            assertThat(rig.gateway.logText()).contains("failed to activate").contains("activation fails on purpose")
                    .contains("put " + DeployRig.FIXTURE + " 1.0.0 back");
            MqttRecorder.Received status = rig.recorder.next(r -> r.topic().equals(rig.topic("status"))
                    && r.payload().contains("deploy/fixture.jar rolled back") && r.payload().contains("failed to "
                    + "activate"), 15_000);
            assertThat(status).as("reason on the status topic; log:%n%s", rig.gateway.logText()).isNotNull();
            assertThat(rig.servingFixtureVersion(Duration.ofSeconds(20))).isEqualTo("1.0.0");

            // 1.2.0 spends 15 ms per sample: under ~160 samples/s of QoS 1 load the pipeline falls behind
            long acceptedBefore = stableAccepted(rig);
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong published = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Thread load = new Thread(() -> {
                while (running.get()) {
                    try {
                        rig.publish("fixture-load", "level", 50);
                        published.incrementAndGet();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "fixture-load");
            load.start();
            double slowRollbackMs;
            long publishedAtDrop;
            try {
                Thread.sleep(14_000); // the rate before the update: 10 s of history
                publishedAtDrop = published.get();
                int logAt = rig.gateway.logText().length();
                t = System.nanoTime();
                DeployArtifacts.drop(rig.fixture("1.2.0", "sleep-per-sample-ms=15"), deployed);
                long deadline = System.nanoTime() + Duration.ofSeconds(WINDOW_S + 20).toNanos();
                while (!rig.gateway.logText().substring(logAt).contains("Deployment ROLLED BACK deploy/fixture.jar")
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                slowRollbackMs = (System.nanoTime() - t) / 1e6;
                String after = rig.gateway.logText().substring(logAt);
                assertThat(after).as("slow release rolled back; log:%n%s", after)
                        .contains("Deployment ROLLED BACK deploy/fixture.jar").contains("pipeline throughput fell to");
                assertThat(slowRollbackMs).as("within the health window").isLessThan(WINDOW_S * 1000.0);
                Thread.sleep(3_000);
            } finally {
                running.set(false);
                load.join();
            }
            assertThat(failures.get()).isZero();
            long expected = acceptedBefore + published.get();
            JsonNode m = rig.awaitDeployment(d -> true, Duration.ofSeconds(5));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (m.path("accepted").asLong() < expected && System.nanoTime() < deadline) {
                m = rig.awaitDeployment(d -> true, Duration.ofSeconds(5));
            }
            assertThat(m.path("accepted").asLong()).as("accepted = before + published (QoS 1, nothing lost)")
                    .isEqualTo(expected);
            assertThat(m.path("evaluated").asLong()).isEqualTo(expected);
            assertThat(DeployRig.counter(m, "rolled_back")).isEqualTo(2);
            MqttRecorder.Received slowStatus = rig.recorder.next(r -> r.topic().equals(rig.topic("status"))
                    && r.payload().contains("pipeline throughput fell"), 15_000);
            assertThat(slowStatus).as("throughput reason on the status topic").isNotNull();
            assertThat(rig.servingFixtureVersion(Duration.ofSeconds(20))).isEqualTo("1.0.0");
            System.out.printf("DEPLOY rollback: drop -> serving %.0f ms, drop -> committed %.0f ms (health window %d s); "
                            + "activation failure: drop -> rolled back %.0f ms; throughput drop (%d samples published "
                            + "before the drop, %d in all): drop -> rolled back %.0f ms; accepted %d = before %d + "
                            + "published %d%n", servingMs, commitMs, WINDOW_S, activationRollbackMs, publishedAtDrop,
                    published.get(), slowRollbackMs, m.path("accepted").asLong(), acceptedBefore, published.get());
        }
    }

    /** accepted, once two metrics messages in a row agree. */
    private static long stableAccepted(DeployRig rig) throws Exception {
        long previous = -1;
        for (int i = 0; i < 30; i++) {
            long now = rig.awaitDeployment(d -> true, Duration.ofSeconds(5)).path("accepted").asLong();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("accepted never settled");
    }
}

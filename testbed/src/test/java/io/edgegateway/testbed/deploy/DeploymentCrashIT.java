package io.edgegateway.testbed.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * A gateway SIGKILLed in the health window of an update (the new version already serving) starts again with the
 * previous version in place: the launcher undoes the journal's unfinished operation before the framework starts,
 * the agent reports it as rolled back (status, counters, history), and the new file in deploy/ is not tried again.
 */
class DeploymentCrashIT {

    @TempDir
    Path dir;

    @Test
    void killedInTheHealthWindowComesBackWithThePreviousVersion() throws Exception {
        try (DeployRig rig = new DeployRig(dir, "it-crash", 3)) {
            rig.start();
            Path deployed = rig.home.resolve("deploy/fixture.jar");
            DeployArtifacts.drop(rig.fixture("1.0.0", "normal"), deployed);
            assertThat(rig.gateway.awaitLog("Deployment committed: deploy/fixture.jar", Duration.ofSeconds(60)))
                    .as("1.0.0 committed; log:%n%s", rig.gateway.logText()).isTrue();

            // a long window, so that the kill lands in it
            DeployArtifacts.healthWindow(rig.home, 300);
            assertThat(rig.gateway.awaitLog("health window 300 s", Duration.ofSeconds(30)))
                    .as("window reconfigured; log:%n%s", rig.gateway.logText()).isTrue();
            DeployArtifacts.drop(rig.fixture("1.1.0", "normal"), deployed);
            assertThat(rig.gateway.awaitLog("updated (was 1.0.0) and started; watching it for 300 s",
                    Duration.ofSeconds(30))).as("update applied; log:%n%s", rig.gateway.logText()).isTrue();
            assertThat(rig.servingFixtureVersion(Duration.ofSeconds(20))).as("1.1.0 serves in its window")
                    .isEqualTo("1.1.0");
            rig.gateway.kill(); // SIGKILL in the health window

            long restarted = System.nanoTime();
            int offset = rig.restart();
            String serving = rig.servingFixtureVersion(Duration.ofSeconds(60));
            double backMs = (System.nanoTime() - restarted) / 1e6;
            String log = rig.gateway.logText().substring(offset);
            assertThat(serving).as("previous version after the restart; log:%n%s", log).isEqualTo("1.0.0");
            assertThat(log).contains("Deployment journal: the gateway stopped during the update of " + DeployRig.FIXTURE
                    + " 1.0.0 -> 1.1.0 (watching); at the next start put " + DeployRig.FIXTURE + " 1.0.0 back");
            assertThat(log).contains("Deployment ROLLED BACK deploy/fixture.jar after a restart");
            JsonNode m = rig.awaitDeployment(d -> d.path("counters").path("recovered").asLong() == 1,
                    Duration.ofSeconds(30));
            assertThat(DeployRig.counter(m, "rolled_back")).isEqualTo(1);
            MqttRecorder.Received status = rig.recorder.next(r -> r.topic().equals(rig.topic("status"))
                    && r.payload().contains("deploy/fixture.jar rolled back after a restart"), 15_000);
            assertThat(status).as("the recovered operation on the status topic; log:%n%s", log).isNotNull();

            // the result is in the history, and the 1.1.0 file still in deploy/ is not applied again
            List<String> history = Files.readAllLines(rig.home.resolve("data/deployment/history.jsonl"),
                    StandardCharsets.UTF_8);
            assertThat(history.get(history.size() - 1)).contains("\"outcome\":\"ROLLED_BACK\"")
                    .contains("\"toVersion\":\"1.1.0\"").contains("\"fromVersion\":\"1.0.0\"");
            Thread.sleep(4_000);
            assertThat(rig.gateway.logText().substring(offset)).doesNotContain("updated (was 1.0.0)");
            assertThat(rig.home.resolve("data/deployment/journal.properties")).doesNotExist();
            System.out.printf("DEPLOY crash: SIGKILL in the health window of 1.0.0 -> 1.1.0; restart -> 1.0.0 serving "
                    + "again %.0f ms after the new process was started; reported ROLLED_BACK: %s%n", backMs,
                    history.get(history.size() - 1));
        }
    }
}

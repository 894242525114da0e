package io.edgegateway.testbed.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.RemoteCli;

/**
 * Five gateways on this machine against one mosquitto: one CLI command ({@code --gateway '*'}, the gateways found
 * on their retained status topics) installs and then updates a signed rule bundle on all of them in parallel, and
 * reports per gateway with a summary; a bad release in {@code --rolling} mode stops after the first gateway, which
 * rolls it back; an unknown gateway is reported unreachable. Prints the times (README "Remote management").
 */
class FleetUpdateIT {

    private static final int GATEWAYS = 5;
    private static final int WINDOW_S = 5;

    @TempDir
    Path dir;

    @Test
    void oneCommandUpdatesFiveGateways() throws Exception {
        try (RemoteRig rig = new RemoteRig(dir, WINDOW_S)) {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= GATEWAYS; i++) {
                ids.add("fleet-" + i);
                rig.launch("fleet-" + i);
            }
            for (String id : ids) {
                rig.awaitStarted(id, 0);
            }
            for (String id : ids) {
                rig.awaitIdle(id, Duration.ofSeconds(240));
            }

            Path v1 = rig.fixture("1.0.0", "normal", 200_000);
            RemoteCli.Result install = rig.cli("--gateway", "*", "--json", "install", v1.toString());
            assertThat(install.exitCode()).as(install.toString()).isZero();
            JsonNode installed = RemoteRig.JSON.readTree(install.stdout());
            assertThat(installed.path("summary").path("ok").asInt()).isEqualTo(GATEWAYS);

            Path v2 = rig.fixture("1.1.0", "normal", 200_000);
            RemoteCli.Result update = rig.cli("--gateway", "*", "update", RemoteRig.FIXTURE, v2.toString());
            assertThat(update.exitCode()).as(update.toString()).isZero();
            for (String id : ids) {
                assertThat(update.stdout()).containsPattern("(?m)^" + id + " +ok +update " + RemoteRig.FIXTURE
                        + " 1.0.0 -> 1.1.0: COMMITTED");
            }
            assertThat(update.stdout()).contains(GATEWAYS + " gateways: " + GATEWAYS + " ok, 0 rolled back, 0 failed, "
                    + "0 unreachable");
            for (String id : ids) {
                assertThat(rig.servingFixtureVersion(id, Duration.ofSeconds(30))).as(id).isEqualTo("1.1.0");
            }

            // a release that fails on activation, rolling: the first gateway rolls it back, the rest is not touched
            Path broken = rig.fixture("1.2.0", "throw-on-activate", 0);
            RemoteCli.Result rolling = rig.cli("--gateway", String.join(",", ids), "--rolling", "update",
                    RemoteRig.FIXTURE, broken.toString());
            assertThat(rolling.exitCode()).as(rolling.toString()).isEqualTo(1);
            assertThat(rolling.stdout()).containsPattern("(?m)^fleet-1 +rolled back")
                    .contains(GATEWAYS + " gateways: 0 ok, 1 rolled back, 0 failed, 0 unreachable")
                    .contains((GATEWAYS - 1) + " skipped");
            for (String id : ids) {
                assertThat(rig.servingFixtureVersion(id, Duration.ofSeconds(30))).as(id).isEqualTo("1.1.0");
            }

            // a gateway that does not answer is reported, with the timeout
            RemoteCli.Result ghost = rig.cli("--gateway", "fleet-1,ghost-9", "--timeout", "10", "status");
            assertThat(ghost.exitCode()).as(ghost.toString()).isEqualTo(1);
            assertThat(ghost.stdout()).containsPattern("(?m)^ghost-9 +unreachable +no answer from ghost-9 within 10 s")
                    .contains("2 gateways: 1 ok, 0 rolled back, 0 failed, 1 unreachable (no answer within 10 s)");

            System.out.printf(Locale.ROOT, "FleetUpdateIT: %d gateways, health window %d s: install %.1f s, "
                    + "update %.1f s (one command each, parallel); rolling stop after the first rollback %.1f s%n",
                    GATEWAYS, WINDOW_S, install.seconds(), update.seconds(), rolling.seconds());
            System.out.println(update.stdout());
        }
    }
}

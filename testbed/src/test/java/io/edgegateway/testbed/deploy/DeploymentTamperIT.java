package io.edgegateway.testbed.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.deploy.support.ArtifactSignatures;
import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The tamper test: 100 artifacts that are each a real bundle with either one flipped byte (at an offset that
 * differs per artifact) after it was signed with the trusted build key, or a signature by a foreign key; plus 3
 * unsigned and 3 with a truncated signature. All dropped into a running gateway's deploy/ at once: 100 % rejected
 * (per reason in the agent's counters, each file named in the log), 0 installed (the agent's bundle count, and the
 * fixture rule never alerts), the gateway keeps running; then a genuine signed one is accepted.
 */
class DeploymentTamperIT {

    @TempDir
    Path dir;

    @Test
    void tamperedForeignUnsignedAndTruncatedArtifactsAreAllRejected() throws Exception {
        try (DeployRig rig = new DeployRig(dir, "it-tamper", 3)) {
            rig.start();
            long pid = rig.gateway.pid();
            JsonNode before = rig.awaitDeployment(d -> true, Duration.ofSeconds(10));
            long rejected0 = DeployRig.counter(before, "rejected");
            long bundles0 = DeployRig.counter(before, "bundles");
            long committed0 = DeployRig.counter(before, "committed");

            PrivateKey build = DeployArtifacts.buildKey();
            KeyPair foreign = ArtifactSignatures.generate();
            Path staging = Files.createDirectories(dir.resolve("staging"));
            List<Path> jars = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Path jar = staging.resolve("tamper-" + i + ".jar");
                Files.copy(rig.fixture("2.0." + i, "normal"), jar);
                byte[] bytes = Files.readAllBytes(jar);
                if (i % 2 == 0) { // signed by the trusted key, then one byte flipped
                    Files.write(ArtifactSignatures.signatureFile(jar),
                            ArtifactSignatures.sign(build, ArtifactSignatures.sha256(bytes)));
                    int offset = (int) ((i * 7919L + 13) % bytes.length);
                    bytes[offset] ^= (byte) (1 << (i % 8));
                    Files.write(jar, bytes);
                } else { // untouched, signed by a key the gateway does not trust
                    Files.write(ArtifactSignatures.signatureFile(jar),
                            ArtifactSignatures.sign(foreign.getPrivate(), ArtifactSignatures.sha256(bytes)));
                }
                jars.add(jar);
            }
            for (int i = 0; i < 6; i++) {
                Path jar = staging.resolve((i < 3 ? "unsigned-" : "truncated-") + i + ".jar");
                Files.copy(rig.fixture("3.0." + i, "normal"), jar);
                if (i >= 3) {
                    byte[] sig = ArtifactSignatures.sign(build, ArtifactSignatures.sha256(jar));
                    Files.write(ArtifactSignatures.signatureFile(jar), Arrays.copyOf(sig, 20 + i));
                }
                jars.add(jar);
            }
            // signatures first, then each jar in one rename
            Path deploy = rig.home.resolve("deploy");
            for (Path jar : jars) {
                Path sig = ArtifactSignatures.signatureFile(jar);
                if (Files.exists(sig)) {
                    Files.copy(sig, ArtifactSignatures.signatureFile(deploy.resolve(jar.getFileName())));
                }
            }
            long dropped = System.nanoTime();
            for (Path jar : jars) {
                Path tmp = deploy.resolve("." + jar.getFileName() + ".tmp");
                Files.copy(jar, tmp);
                Files.move(tmp, deploy.resolve(jar.getFileName()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }

            JsonNode after = rig.awaitDeployment(d -> d.path("counters").path("rejected").asLong() >= rejected0 + 106,
                    Duration.ofSeconds(120));
            double rejectMs = (System.nanoTime() - dropped) / 1e6;
            assertThat(DeployRig.counter(after, "rejected") - rejected0).isEqualTo(106);
            assertThat(DeployRig.counter(after, "rejected_bad_signature")).isEqualTo(100);
            assertThat(DeployRig.counter(after, "rejected_unsigned")).isEqualTo(3);
            assertThat(DeployRig.counter(after, "rejected_malformed_signature")).isEqualTo(3);
            assertThat(DeployRig.counter(after, "bundles")).as("0 installed").isEqualTo(bundles0);
            assertThat(DeployRig.counter(after, "committed")).isEqualTo(committed0);
            MqttRecorder.Received status = rig.recorder.next(r -> r.topic().equals(rig.topic("status"))
                    && r.payload().contains("\"degraded\"") && r.payload().contains("deployment: deploy/"), 15_000);
            assertThat(status).as("the status names a rejected file; log:%n%s", rig.gateway.logText()).isNotNull();
            String log = rig.gateway.logText();
            for (Path jar : jars) {
                assertThat(log).as("named in the log").contains("Deployment REJECTED deploy/" + jar.getFileName()
                        + ": ");
            }
            assertThat(log).contains("tamper-0.jar.sig does not verify with any trusted key")
                    .contains("unsigned-0.jar has no signature").contains("truncated-3.jar.sig is 23 bytes, not a "
                            + "64-byte Ed25519 signature");
            assertThat(log).doesNotContain("Detector fixture");
            assertThat(rig.servingFixtureVersion(Duration.ofSeconds(4))).as("no fixture rule runs").isNull();
            // a rejected file is not tried again while it stays as it is
            Thread.sleep(3_000);
            assertThat(DeployRig.counter(rig.awaitDeployment(d -> true, Duration.ofSeconds(5)), "rejected") - rejected0)
                    .isEqualTo(106);

            // the same bundle, genuine and signed: accepted and serving
            long genuine = System.nanoTime();
            DeployArtifacts.drop(rig.fixture("1.0.0", "normal"), deploy.resolve("fixture.jar"));
            String serving = rig.servingFixtureVersion(Duration.ofSeconds(30));
            double installMs = (System.nanoTime() - genuine) / 1e6;
            assertThat(serving).as("genuine fixture serves; log:%n%s", rig.gateway.logText()).isEqualTo("1.0.0");
            assertThat(rig.gateway.isAlive()).isTrue();
            assertThat(rig.gateway.pid()).isEqualTo(pid);
            System.out.printf("DEPLOY tamper: 106 artifacts (50 with a flipped byte, 50 signed by a foreign key, 3 "
                            + "unsigned, 3 truncated signatures) rejected 106/106 in %.0f ms after the drop (%.1f ms "
                            + "each, including the 1 s stability check); 0 installed; a genuine one serving %.0f ms "
                            + "after its drop%n", rejectMs, rejectMs / 106, installMs);
        }
    }
}

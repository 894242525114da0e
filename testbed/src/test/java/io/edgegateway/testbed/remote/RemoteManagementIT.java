package io.edgegateway.testbed.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.BundleJars;
import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.harness.RemoteCli;

/**
 * Remote management over MQTT against real gateways and a real mosquitto, driven by the distribution's CLI
 * ({@code bin/gateway remote}) and by hand-made MQTT requests: status, configuration, restart, bad requests, the
 * install/update/rollback/uninstall of a signed rule bundle sent in chunks, and transfers that survive a broker
 * kill, a gateway kill and a killed CLI.
 */
class RemoteManagementIT {

    private static final String FIXTURE = RemoteRig.FIXTURE;

    @TempDir
    Path dir;

    @Test
    void statusConfigurationRestartAndBadRequests() throws Exception {
        try (RemoteRig rig = new RemoteRig(dir, 3)) {
            GatewayProcess g = rig.start("rm-1");
            long pid = g.pid();

            // status through the CLI, as JSON
            RemoteCli.Result st = rig.cli("--gateway", "rm-1", "--json", "status");
            assertThat(st.exitCode()).as(st.toString()).isZero();
            JsonNode s = RemoteRig.JSON.readTree(st.stdout()).path("results").get(0).path("response").path("result");
            assertThat(RemoteRig.bundle(s, "io.edgegateway.gateway-core").path("state").asText()).isEqualTo("ACTIVE");
            assertThat(RemoteRig.bundle(s, "io.edgegateway.gateway-core").path("version").asText()).isNotEmpty();
            assertThat(s.path("models").path("bundles").toString()).contains("io.edgegateway.model.rul-cmapss-fd001");
            assertThat(s.path("health").has("deployment")).isTrue();
            assertThat(s.path("health").path("remote-management").path("detail").asText()).contains("listening");
            assertThat(s.path("metrics").has("accepted")).isTrue();
            assertThat(s.path("deployment").path("agent").asBoolean()).isTrue();
            assertThat(s.path("deployment").path("recent").size()).isGreaterThanOrEqualTo(4);

            // config-set changes the running threshold rule: 70 degC raises nothing at high=80, an alert at 65
            assertThat(awaitAlert(rig, "rm-1", "pump-r", 60, 70, 3_000)).as("70 degC is below high=80").isNull();
            RemoteCli.Result set = rig.cli("--gateway", "rm-1", "config-set", "io.edgegateway.rules.threshold-bearing",
                    "high=65");
            assertThat(set.exitCode()).as(set.toString()).isZero();
            assertThat(set.stdout()).contains("changed (high)").contains("ThresholdDetector active");
            JsonNode alert = awaitAlert(rig, "rm-1", "pump-r", 60, 70, 15_000);
            assertThat(alert).as("alert after the remote change; log:%n%s", g.logText()).isNotNull();
            assertThat(alert.path("baseline").asDouble()).isEqualTo(65.0);
            RemoteCli.Result get = rig.cli("--gateway", "rm-1", "--json", "config-get",
                    "io.edgegateway.rules.threshold-bearing");
            JsonNode props = RemoteRig.JSON.readTree(get.stdout()).path("results").get(0).path("response")
                    .path("result").path("properties");
            assertThat(props.path("high").asText()).isEqualTo("65");
            assertThat(Files.readString(rig.home("rm-1").resolve("deploy/io.edgegateway.rules.threshold-bearing.cfg")))
                    .as("written back into the operator's file").contains("high=65").contains("hysteresis=3");

            // a value of the wrong type is refused before it reaches the component
            RemoteCli.Result wrongType = rig.cli("--gateway", "rm-1", "config-set",
                    "io.edgegateway.rules.threshold-bearing", "high=warm");
            assertThat(wrongType.exitCode()).isEqualTo(1);
            assertThat(wrongType.stdout()).contains("field 'properties.high' = 'warm' is not a finite number");
            // a component that fails with the new configuration: reported, and the configuration removed again
            RemoteCli.Result failing = rig.cli("--gateway", "rm-1", "config-set", "--factory-pid",
                    "io.edgegateway.rules.ewma", "--name", "remote", "alpha=1.5");
            assertThat(failing.exitCode()).as(failing.toString()).isEqualTo(1);
            assertThat(failing.stdout()).contains("EwmaZScoreDetector failed").contains("'alpha' = 1.5 must be in (0, 1]")
                    .contains("removed again");
            RemoteCli.Result list = rig.cli("--gateway", "rm-1", "config-get");
            assertThat(list.stdout()).contains("io.edgegateway.rules.threshold~bearing")
                    .doesNotContain("io.edgegateway.rules.ewma~remote");

            // restart a bundle: its rules come back and still use the remote setting
            RemoteCli.Result restart = rig.cli("--gateway", "rm-1", "restart", "io.edgegateway.rules-basic");
            assertThat(restart.exitCode()).as(restart.toString()).isZero();
            assertThat(restart.stdout()).contains("restart io.edgegateway.rules-basic").contains("COMMITTED");
            JsonNode again = awaitAlert(rig, "rm-1", "pump-s", 60, 70, 15_000);
            assertThat(again).as("threshold alerts after the restart").isNotNull();
            assertThat(again.path("baseline").asDouble()).isEqualTo(65.0);

            // bad requests: each answered with the field and what is wrong
            rig.raw("rm-1", "frobnicate", "{\"requestId\":\"bad-1\"}");
            JsonNode unknown = rig.answer("rm-1", "frobnicate", "bad-1", Duration.ofSeconds(10));
            assertThat(unknown.path("ok").asBoolean()).isFalse();
            assertThat(unknown.path("error").path("field").asText()).isEqualTo("verb");
            assertThat(unknown.path("error").path("message").asText()).contains("unknown verb 'frobnicate'")
                    .contains("status");
            rig.raw("rm-1", "status", "{}");
            JsonNode noId = rig.answer("rm-1", "status", "", Duration.ofSeconds(10));
            assertThat(noId.path("error").path("field").asText()).isEqualTo("requestId");
            assertThat(noId.path("error").path("message").asText()).contains("missing field 'requestId'");
            rig.raw("rm-1", "config-get", "{\"requestId\":");
            JsonNode notJson = rig.answer("rm-1", "config-get", "", Duration.ofSeconds(10));
            assertThat(notJson.path("error").path("message").asText()).contains("not a JSON object");
            JsonNode noArtifact = rig.request("rm-1", "install", Map.of(), Duration.ofSeconds(10));
            assertThat(noArtifact.path("error").path("field").asText()).isEqualTo("artifact");
            assertThat(noArtifact.path("error").path("message").asText()).contains("missing field 'artifact'");
            JsonNode unknownTransfer = rig.request("rm-1", "update", Map.of("target", FIXTURE, "artifact",
                    "0".repeat(64)), Duration.ofSeconds(10));
            assertThat(unknownTransfer.path("error").path("message").asText()).contains("names no transfer");

            // a wrong checksum: every chunk arrives, the whole does not hash to what was declared
            byte[] data = new byte[10_000];
            new Random(7).nextBytes(data);
            String declared = sha256(new byte[] {1, 2, 3});
            JsonNode begin = rig.request("rm-1", "upload", Map.of("name", "x.jar", "size", data.length, "sha256",
                    declared, "chunkSize", 4096), Duration.ofSeconds(10));
            assertThat(begin.path("ok").asBoolean()).as(begin.toString()).isTrue();
            assertThat(begin.path("result").path("chunks").asInt()).isEqualTo(3);
            for (int i = 0; i < 3; i++) {
                byte[] c = java.util.Arrays.copyOfRange(data, i * 4096, Math.min(data.length, (i + 1) * 4096));
                rig.publish("gateway/rm-1/cmd/chunk/" + declared + "/" + i + "/" + crc(c), c);
            }
            JsonNode mismatch = rig.answer("rm-1", "chunk", "", Duration.ofSeconds(10));
            assertThat(mismatch.path("error").path("field").asText()).isEqualTo("sha256");
            assertThat(mismatch.path("error").path("message").asText()).contains("hash to sha256 " + sha256(data))
                    .contains("not the declared " + declared);
            JsonNode query = rig.request("rm-1", "upload", Map.of("name", "x.jar", "size", data.length, "sha256",
                    declared, "chunkSize", 4096), Duration.ofSeconds(10));
            assertThat(query.path("ok").asBoolean()).isFalse();
            assertThat(query.path("error").path("message").asText()).contains("send the artifact again");
            // a chunk whose CRC does not match is refused and stays missing
            String good = sha256(data);
            rig.request("rm-1", "upload", Map.of("name", "y.jar", "size", data.length, "sha256", good, "chunkSize",
                    4096), Duration.ofSeconds(10));
            rig.publish("gateway/rm-1/cmd/chunk/" + good + "/0/deadbeef",
                    java.util.Arrays.copyOfRange(data, 0, 4096));
            JsonNode crcError = rig.answer("rm-1", "chunk", "", Duration.ofSeconds(10));
            assertThat(crcError.path("error").path("field").asText()).isEqualTo("crc32");
            assertThat(crcError.path("index").asInt()).isZero();
            JsonNode still = rig.request("rm-1", "upload", Map.of("name", "y.jar", "size", data.length, "sha256",
                    good, "chunkSize", 4096), Duration.ofSeconds(10));
            assertThat(still.path("result").path("missingCount").asInt()).isEqualTo(3);

            // the gateway kept running, and counted
            JsonNode after = rig.status("rm-1");
            JsonNode counters = after.path("health").path("remote-management").path("counters");
            assertThat(counters.path("request_errors").asLong()).isGreaterThanOrEqualTo(6);
            assertThat(counters.path("chunks_rejected").asLong()).isGreaterThanOrEqualTo(2);
            assertThat(counters.path("transfers_failed").asLong()).isEqualTo(1);
            assertThat(g.isAlive()).isTrue();
            assertThat(g.pid()).isEqualTo(pid);
            assertThat(g.logText().split("Gateway 'rm-1' started", -1)).as("started once").hasSize(2);
        }
    }

    @Test
    void signedRuleBundleInstalledUpdatedRolledBackAndUninstalledOverMqtt() throws Exception {
        try (RemoteRig rig = new RemoteRig(dir, 3)) {
            rig.start("rm-2");
            Path v1 = rig.fixture("1.0.0", "normal", 100_000);
            RemoteCli.Result install = rig.cli("--gateway", "rm-2", "install", v1.toString(), "--chunk-size", "8192");
            assertThat(install.exitCode()).as(install.toString()).isZero();
            assertThat(install.stdout()).contains("install " + FIXTURE + " 1.0.0: COMMITTED");
            assertThat(chunksOf(install.stderr(), v1)).as("sent in chunks").isGreaterThan(10);
            assertThat(rig.servingFixtureVersion("rm-2", Duration.ofSeconds(30))).isEqualTo("1.0.0");

            Path v2 = rig.fixture("1.1.0", "normal", 100_000);
            RemoteCli.Result update = rig.cli("--gateway", "rm-2", "update", FIXTURE, v2.toString(), "--chunk-size",
                    "8192");
            assertThat(update.exitCode()).as(update.toString()).isZero();
            assertThat(update.stdout()).contains("update " + FIXTURE + " 1.0.0 -> 1.1.0: COMMITTED");
            assertThat(rig.servingFixtureVersion("rm-2", Duration.ofSeconds(30))).isEqualTo("1.1.0");

            // a release whose activation throws: the gateway rolls it back by itself, the CLI says so
            Path broken = rig.fixture("1.2.0", "throw-on-activate", 0);
            RemoteCli.Result bad = rig.cli("--gateway", "rm-2", "update", FIXTURE, broken.toString());
            assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(1);
            assertThat(bad.stdout()).contains("rolled back");
            assertThat(rig.servingFixtureVersion("rm-2", Duration.ofSeconds(30))).isEqualTo("1.1.0");

            // one flipped byte: the signature no longer matches, nothing changes
            Path tampered = dir.resolve("tampered.jar");
            byte[] bytes = Files.readAllBytes(v2);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(tampered, bytes);
            Files.copy(Path.of(v2 + ".sig"), Path.of(tampered + ".sig"), StandardCopyOption.REPLACE_EXISTING);
            RemoteCli.Result rejected = rig.cli("--gateway", "rm-2", "update", FIXTURE, tampered.toString());
            assertThat(rejected.exitCode()).as(rejected.toString()).isEqualTo(1);
            assertThat(rejected.stdout()).contains("rejected");

            // rollback undoes the last committed operation (the update to 1.1.0)
            RemoteCli.Result rollback = rig.cli("--gateway", "rm-2", "rollback", FIXTURE);
            assertThat(rollback.exitCode()).as(rollback.toString()).isZero();
            assertThat(rig.servingFixtureVersion("rm-2", Duration.ofSeconds(30))).isEqualTo("1.0.0");

            // a model bundle is a bundle too: a newer version installed beside the shipped one, then removed
            Path shipped;
            try (java.util.stream.Stream<Path> files = Files.list(rig.home("rm-2").resolve("deploy"))) {
                shipped = files.filter(p -> p.getFileName().toString().startsWith("model-rul-cmapss-fd001")
                        && p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
            }
            Path model = BundleJars.variant(shipped, dir.resolve("model-rul-1.0.1.jar"),
                    Map.of("Bundle-Version", "1.0.1"), 0, Map.of("model/model.json", b -> new String(b,
                            java.nio.charset.StandardCharsets.UTF_8).replace("\"version\": \"1.0.0\"",
                            "\"version\": \"1.0.1\"").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            DeployArtifacts.sign(model);
            RemoteCli.Result modelInstall = rig.cli("--gateway", "rm-2", "install", model.toString());
            assertThat(modelInstall.exitCode()).as(modelInstall.toString()).isZero();
            assertThat(modelInstall.stdout()).contains("install io.edgegateway.model.rul-cmapss-fd001 1.0.1: "
                    + "COMMITTED");
            assertThat(rig.status("rm-2").path("models").path("bundles").toString()).contains("\"1.0.0\"")
                    .contains("\"1.0.1\"");
            RemoteCli.Result modelRemove = rig.cli("--gateway", "rm-2", "uninstall",
                    "io.edgegateway.model.rul-cmapss-fd001@1.0.1");
            assertThat(modelRemove.exitCode()).as(modelRemove.toString()).isZero();
            assertThat(rig.status("rm-2").path("models").path("bundles").toString()).contains("\"1.0.0\"")
                    .doesNotContain("\"1.0.1\"");

            RemoteCli.Result uninstall = rig.cli("--gateway", "rm-2", "uninstall", FIXTURE);
            assertThat(uninstall.exitCode()).as(uninstall.toString()).isZero();
            JsonNode status = rig.status("rm-2");
            assertThat(RemoteRig.bundle(status, FIXTURE)).as("uninstalled").isNull();
            // transfers used by committed or rolled-back operations are gone; the rejected one waits for expiry
            assertThat(status.path("remote").path("transfers").toString()).doesNotContain(sha256(v1))
                    .doesNotContain(sha256(v2)).doesNotContain(sha256(broken));
        }
    }

    @Test
    void interruptedTransfersResumeAfterBrokerKillGatewayKillAndCliKill() throws Exception {
        try (RemoteRig rig = new RemoteRig(dir, 3)) {
            rig.start("rm-3");
            Path big = rig.fixture("2.0.0", "normal", 3_000_000);
            int chunks = (int) ((Files.size(big) + 16383) / 16384);
            RemoteCli cli = rig.startCli("--gateway", "rm-3", "--retry", "3", "install", big.toString(),
                    "--chunk-size", "16384", "--chunk-rate", "25");
            Path bits = rig.home("rm-3").resolve("data/remote/transfers/" + sha256(big) + "/chunks.bits");

            awaitChunks(bits, 40, cli);
            rig.broker.kill();
            Thread.sleep(3000);
            rig.broker.restart();
            rig.connectClients();
            int beforeGatewayKill = awaitChunks(bits, Math.min(chunks - 20, 110), cli);

            GatewayProcess g = rig.gateways.get("rm-3");
            int offset = g.logText().length();
            g.kill();
            Thread.sleep(1000);
            rig.launch("rm-3");
            rig.awaitStarted("rm-3", offset);

            RemoteCli.Result done = cli.await(400);
            assertThat(done.exitCode()).as(done.toString()).isZero();
            assertThat(done.stdout()).contains("install " + FIXTURE + " 2.0.0: COMMITTED");
            assertThat(done.stderr()).contains("lost the broker");
            int sent = chunksSent(done.stderr(), big);
            // starting over after the gateway's restart would cost what was sent before it plus all chunks again
            assertThat(sent).as("resumed, not started over: %d chunks sent for %d", sent, chunks)
                    .isLessThan(beforeGatewayKill + chunks);
            String restartedLog = rig.gateways.get("rm-3").logText().substring(offset);
            Matcher resumed = Pattern.compile("resumes with (\\d+) of " + chunks + " chunks").matcher(restartedLog);
            assertThat(resumed.find()).as("the restarted gateway found the chunks on disk; log:%n%s", restartedLog)
                    .isTrue();
            assertThat(Integer.parseInt(resumed.group(1))).isGreaterThanOrEqualTo(beforeGatewayKill);
            assertThat(rig.servingFixtureVersion("rm-3", Duration.ofSeconds(30))).isEqualTo("2.0.0");
            System.out.printf("RemoteManagementIT: %d chunks of 16 KiB, broker killed at 40+, gateway killed at %d "
                    + "(%s after its restart): %d chunks sent in all, install in %.1f s%n", chunks, beforeGatewayKill,
                    resumed.group(), sent, done.seconds());

            // the CLI killed half way: run again, it continues from the chunks the gateway has
            Path big2 = rig.fixture("2.1.0", "normal", 3_000_000);
            Path bits2 = rig.home("rm-3").resolve("data/remote/transfers/" + sha256(big2) + "/chunks.bits");
            RemoteCli first = rig.startCli("--gateway", "rm-3", "upload", big2.toString(), "--chunk-size", "16384",
                    "--chunk-rate", "25");
            int had = awaitChunks(bits2, 50, first);
            first.kill();
            RemoteCli.Result second = rig.cli("--gateway", "rm-3", "upload", big2.toString(), "--chunk-size",
                    "16384");
            assertThat(second.exitCode()).as(second.toString()).isZero();
            Matcher m = Pattern.compile("(\\d+) were on the gateway already, (\\d+) sent").matcher(second.stderr());
            assertThat(m.find()).as(second.toString()).isTrue();
            assertThat(Integer.parseInt(m.group(1))).isGreaterThanOrEqualTo(had);
            assertThat(Integer.parseInt(m.group(2))).as("only what was missing is sent").isLessThanOrEqualTo(chunks - had);
        }
    }

    @Test
    void answersOutliveABrokerRestartAndAGatewayRestart() throws Exception {
        try (RemoteRig rig = new RemoteRig(dir, 12)) {
            rig.start("rm-4");
            // the broker goes away during the health window: the answer is kept and comes after the reconnect; the
            // CLI repeats its request with the same id, which the gateway answers again instead of installing twice
            Path v1 = rig.fixture("1.0.0", "normal", 0);
            RemoteCli cli = rig.startCli("--gateway", "rm-4", "--retry", "2", "install", v1.toString());
            awaitStderr(cli, "accepted; the deployment agent is on it");
            rig.broker.kill();
            Thread.sleep(4000);
            rig.broker.restart();
            rig.connectClients();
            RemoteCli.Result installed = cli.await(180);
            assertThat(installed.exitCode()).as(installed.toString()).isZero();
            assertThat(installed.stdout()).contains("install " + RemoteRig.FIXTURE + " 1.0.0: COMMITTED");
            assertThat(installed.stderr()).contains("lost the broker");
            JsonNode status = rig.status("rm-4");
            assertThat(status.path("health").path("deployment").path("counters").path("rejected").asLong())
                    .as("not installed a second time").isZero();

            // the gateway is killed during the window of an update: after its restart the agent puts 1.0.0 back
            // and the answer to the request of before the restart still comes
            Path v2 = rig.fixture("1.1.0", "normal", 0);
            RemoteCli update = rig.startCli("--gateway", "rm-4", "--retry", "2", "update", RemoteRig.FIXTURE,
                    v2.toString());
            awaitStderr(update, "accepted; the deployment agent is on it");
            GatewayProcess g = rig.gateways.get("rm-4");
            // killed in the window, as a crash there would: not between the answer "accepted" and the agent's start
            assertThat(g.awaitLog("updated (was 1.0.0) and started; watching it", Duration.ofSeconds(60)))
                    .as("update in its window; log:%n%s", g.logText()).isTrue();
            int offset = g.logText().length();
            g.kill();
            rig.launch("rm-4");
            rig.awaitStarted("rm-4", offset);
            RemoteCli.Result after = update.await(240);
            assertThat(after.exitCode()).as("%s%ngateway log after the restart:%n%s", after,
                    rig.gateways.get("rm-4").logText().substring(offset)).isEqualTo(1);
            assertThat(after.stdout()).contains("rolled back").contains("after a restart");
            assertThat(rig.servingFixtureVersion("rm-4", Duration.ofSeconds(30))).isEqualTo("1.0.0");
        }
    }

    private static void awaitStderr(RemoteCli cli, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!cli.stderrSoFar().contains(text)) {
            assertThat(cli.isAlive()).as("CLI running; stderr:%n%s", cli.stderrSoFar()).isTrue();
            assertThat(System.nanoTime()).as("'%s' from the CLI; stderr:%n%s", text, cli.stderrSoFar())
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Publishes {@code low} then {@code high} for the asset's bearing temperature until an alert comes. */
    private static JsonNode awaitAlert(RemoteRig rig, String gw, String asset, double low, double high,
                                       long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        do {
            rig.telemetry(asset, "bearing_temperature", low);
            rig.telemetry(asset, "bearing_temperature", high);
            MqttRecorder.Received r = rig.recorder.next(x -> x.topic().equals("gateway/" + gw + "/alerts/" + asset),
                    1000);
            if (r != null) {
                return r.json();
            }
        } while (System.nanoTime() < deadline);
        return null;
    }

    /** Waits until the gateway has stored at least {@code n} chunks of a transfer (its bit file on disk). */
    private static int awaitChunks(Path bits, int n, RemoteCli cli) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            int have = 0;
            if (Files.exists(bits)) {
                for (byte b : Files.readAllBytes(bits)) {
                    have += Integer.bitCount(b & 0xff);
                }
            }
            if (have >= n) {
                return have;
            }
            assertThat(cli.isAlive()).as("CLI still sending; stderr:%n%s", cli.stderrSoFar()).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + n + " chunks arrived; CLI stderr:\n" + cli.stderrSoFar());
    }

    private static final Pattern UPLOADED = Pattern.compile(
            "uploaded (\\S+) \\(\\d+ bytes, (\\d+) chunks: (\\d+) were on the gateway already, (\\d+) sent\\)");

    private static int chunksOf(String stderr, Path file) {
        return uploaded(stderr, file).get(0);
    }

    private static int chunksSent(String stderr, Path file) {
        return uploaded(stderr, file).get(2);
    }

    private static List<Integer> uploaded(String stderr, Path file) {
        Matcher m = UPLOADED.matcher(stderr);
        while (m.find()) {
            if (m.group(1).equals(file.getFileName().toString())) {
                List<Integer> out = new ArrayList<>();
                for (int g = 2; g <= 4; g++) {
                    out.add(Integer.parseInt(m.group(g)));
                }
                return out;
            }
        }
        throw new AssertionError("no upload line for " + file.getFileName() + " in:\n" + stderr);
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String sha256(Path file) throws Exception {
        return sha256(Files.readAllBytes(file));
    }

    private static String crc(byte[] data) {
        CRC32 c = new CRC32();
        c.update(data);
        return String.format("%08x", c.getValue());
    }
}

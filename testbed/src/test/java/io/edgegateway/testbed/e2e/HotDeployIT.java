package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * While QoS 1 telemetry flows, a rule configuration and then a new version of the rule bundle are dropped into
 * deploy/: behaviour changes, the gateway does not restart, and every published sample is accepted.
 */
class HotDeployIT {

    @TempDir
    Path dir;

    @Test
    void configurationAndBundleUpdatesTakeEffectWithoutRestartOrLoss() throws Exception {
        try (GatewayFixture f = new GatewayFixture(dir, "it-hot")) {
            // only the threshold rule here: the constant load would also trip the statistical and stuck rules
            GatewayHomes.remove(f.home, "io.edgegateway.rules.ewma-all.cfg");
            GatewayHomes.remove(f.home, "io.edgegateway.rules.stuck-analog.cfg");
            f.startGateway();
            f.awaitSourceSubscribed();
            long acceptedBefore = stableAccepted(f);
            long pid = f.gateway.pid();

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong published = new AtomicLong();
            AtomicLong failures = new AtomicLong();
            Thread load = new Thread(() -> {
                long i = 0;
                while (running.get()) {
                    double value = i % 50 == 49 ? 70.0 : 60.0; // every 50th sample warm, never above 80
                    try {
                        f.publish("plant/pump-h/bearing_temperature", GatewayFixture.sample("pump-h",
                                "bearing_temperature", value, "degC", System.currentTimeMillis()), 1);
                        published.incrementAndGet();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    i++;
                    sleep(5);
                }
            }, "hot-deploy-load");
            load.start();
            try {
                // 1. with high=80 the warm samples raise nothing
                Thread.sleep(2_000);
                assertThat(f.recorder.drain()).noneMatch(r -> r.topic().startsWith(f.topic("alerts/")));

                // 2. a new configuration (high=65) changes behaviour while data flows
                GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-bearing.cfg", Map.of("high", "65"));
                MqttRecorder.Received first = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-h")),
                        20_000);
                assertThat(first).as("alert after configuration change; log:%n%s", f.gateway.logText()).isNotNull();
                assertThat(first.json().path("baseline").asDouble()).isEqualTo(65.0);
                String oldVersion = first.json().path("detectorVersion").asText();

                // 3. a new version of the rule bundle replaces the old one in deploy/
                Path deployed = rulesJar(f.home);
                Path newVersion = dir.resolve("rules-new.jar");
                rewriteBundleVersion(deployed, newVersion, "0.1.1.hotdeploy");
                DeployArtifacts.drop(newVersion, deployed); // signed with the build key, as a release is
                MqttRecorder.Received updated = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-h"))
                        && r.json().path("detectorVersion").asText().equals("0.1.1.hotdeploy"), 30_000);
                assertThat(updated).as("alert from the new bundle version (was %s); log:%n%s", oldVersion,
                        f.gateway.logText()).isNotNull();
                assertThat(updated.json().path("baseline").asDouble()).as("configuration survives the update")
                        .isEqualTo(65.0);
                Thread.sleep(1_000);
            } finally {
                running.set(false);
                load.join();
            }

            // 4. nothing lost, nothing restarted
            assertThat(failures.get()).isZero();
            long expected = acceptedBefore + published.get();
            JsonNode m = f.awaitMetrics(x -> x.path("accepted").asLong() >= expected, Duration.ofSeconds(30));
            assertThat(m.path("accepted").asLong()).as("accepted = before + published").isEqualTo(expected);
            assertThat(m.path("evaluated").asLong()).isEqualTo(expected);
            assertThat(f.gateway.pid()).isEqualTo(pid);
            assertThat(f.gateway.isAlive()).isTrue();
            String log = f.gateway.logText();
            assertThat(log.split("Gateway 'it-hot' started", -1)).as("started once").hasSize(2);
            assertThat(published.get()).isGreaterThan(500);
        }
    }

    /** accepted, once two metrics messages in a row agree (the probes are all in). */
    private static long stableAccepted(GatewayFixture f) throws Exception {
        long previous = -1;
        for (int i = 0; i < 30; i++) {
            long now = f.awaitMetrics(x -> true, Duration.ofSeconds(5)).path("accepted").asLong();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("accepted never settled");
    }

    private static Path rulesJar(Path home) throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("deploy"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("rules-basic")
                    && p.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no rules-basic jar in deploy/"));
        }
    }

    /** A copy of a bundle with another Bundle-Version: what a release of the same code looks like. */
    static void rewriteBundleVersion(Path source, Path target, String version) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().putValue("Bundle-Version", version);
            try (OutputStream os = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(os, manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    copy(in, out);
                    out.closeEntry();
                }
            }
        }
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        in.transferTo(out);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

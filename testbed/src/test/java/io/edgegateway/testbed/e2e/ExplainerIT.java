package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.DeployArtifacts;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The real explainer model in the real distribution: real alerts from the threshold rule get explanations written by
 * the model (DJL/libtorch, offline) on gateway/<id>/explanations/<asset>; the model bundle is hot-swapped while an
 * alert fires every 100 ms (nothing lost, switch within 2 s); a tampered and a broken model bundle (signed: their
 * publisher built them broken) are rejected by the model tracker while the model in service keeps answering, and the
 * deployment agent rolls each back (uninstalls it) in its health window, saying why on the status topic; removing the
 * newer bundle rolls back; and a burst of 1,000 alerts is
 * answered by templates beyond the bounded queue without holding up a single alert.
 */
class ExplainerIT {

    static final String MODEL_ENTRY = "explainer-model/";

    @TempDir
    Path dir;

    private GatewayFixture start(String id, Map<String, String> explainer) throws Exception {
        GatewayFixture f = new GatewayFixture(dir, id);
        String cache = System.getProperty("djl.cache");
        if (cache != null) { // one libtorch unpack for all test homes
            Files.writeString(f.home.resolve("conf/framework.properties"), "\ngateway.djl.cache=" + cache + "\n",
                    StandardOpenOption.APPEND);
        }
        // only the bearing-temperature threshold rule: the alerts are exactly the ones this test makes
        GatewayHomes.remove(f.home, "io.edgegateway.rules.ewma-all.cfg");
        GatewayHomes.remove(f.home, "io.edgegateway.rules.stuck-analog.cfg");
        GatewayHomes.configure(f.home, "io.edgegateway.llm.explainer.cfg", explainer);
        f.startGateway();
        assertThat(f.gateway.awaitLog("Model explainer-maint 1.0.0 loaded", Duration.ofSeconds(90)))
                .as("model loaded; log:%n%s", f.gateway.logText()).isTrue();
        f.awaitSourceSubscribed();
        return f;
    }

    @Test
    void realAlertsGetModelExplanationsAndTheModelHotSwapsUnderLoad() throws Exception {
        try (GatewayFixture f = start("it-llm", Map.of("threads", "1", "queue.capacity", "64",
                "deadline.ms", "5000"))) {
            // some normal history, then a breach of the 80 degC limit
            long t0 = System.currentTimeMillis() - 60_000;
            for (int i = 0; i < 40; i++) {
                f.publish("plant/pump-1/bearing_temperature", GatewayFixture.sample("pump-1", "bearing_temperature",
                        70 + 0.2 * Math.sin(i), "degC", t0 + i * 1000L), 1);
            }
            f.publish("plant/pump-1/bearing_temperature", GatewayFixture.sample("pump-1", "bearing_temperature",
                    91.5, "degC", System.currentTimeMillis()), 1);
            MqttRecorder.Received alert = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-1")), 30_000);
            assertThat(alert).as("alert; log:%n%s", f.gateway.logText()).isNotNull();
            MqttRecorder.Received expl = f.recorder.next(r -> r.topic().equals(f.topic("explanations/pump-1")), 30_000);
            assertThat(expl).as("explanation; log:%n%s", f.gateway.logText()).isNotNull();
            JsonNode e = expl.json();
            System.out.println("Explainer IT: first explanation " + e);
            assertThat(e.path("alertId").asText()).isEqualTo(alert.json().path("alertId").asText());
            assertThat(e.path("source").asText()).as("written by the model: %s", e).isEqualTo("llm");
            assertThat(e.path("modelId").asText()).isEqualTo("explainer-maint");
            assertThat(e.path("modelVersion").asText()).isEqualTo("1.0.0");
            assertThat(e.path("probableCause").asText()).isNotBlank();
            assertThat(e.path("recommendedAction").asText()).isNotBlank();
            assertThat(e.path("text").asText()).isNotBlank().doesNotContain("{").doesNotContain("}");
            assertThat(e.path("latencyMs").asDouble()).isPositive();

            // load: the limit is crossed every 100 ms (91.5, then 70 re-arms the rule's hysteresis)
            AtomicBoolean run = new AtomicBoolean(true);
            AtomicInteger published = new AtomicInteger();
            Thread load = new Thread(() -> {
                try {
                    while (run.get()) {
                        long now = System.currentTimeMillis();
                        f.publish("plant/pump-1/bearing_temperature", GatewayFixture.sample("pump-1",
                                "bearing_temperature", 91.5, "degC", now), 1);
                        Thread.sleep(50);
                        f.publish("plant/pump-1/bearing_temperature", GatewayFixture.sample("pump-1",
                                "bearing_temperature", 70, "degC", now + 50), 1);
                        published.incrementAndGet();
                        Thread.sleep(50);
                    }
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            }, "alert-load");
            load.start();
            Path shipped = modelJar(f.home);
            Path deploy = f.home.resolve("deploy");
            // the start-up deployments hold the agent for their health window: a drop waits its turn behind them
            assertThat(f.gateway.awaitLog("Deployment committed: deploy/model-explainer-maint", Duration.ofSeconds(60)))
                    .as("start-up deployment committed; log:%n%s", f.gateway.logText()).isTrue();
            Thread.sleep(2000);

            Path v101 = variant(shipped, "1.0.1", Mutation.NONE); // re-zipping 25 MB: not part of the switch
            long installed = System.nanoTime();
            DeployArtifacts.drop(v101, deploy.resolve("model-explainer-1.0.1.jar"));
            long dropped = System.nanoTime(); // the jar and its signature are in deploy/
            assertThat(f.gateway.awaitLog("in service: 1.0.1 (was 1.0.0)", Duration.ofSeconds(60)))
                    .as("swap; log:%n%s", f.gateway.logText()).isTrue();
            long switched = System.nanoTime();
            MqttRecorder.Received first101 = f.recorder.next(r -> r.topic().equals(f.topic("explanations/pump-1"))
                    && r.json().path("modelVersion").asText().equals("1.0.1"), 10_000);
            assertThat(first101).as("explanation by 1.0.1; log:%n%s", f.gateway.logText()).isNotNull();
            double switchMs = (first101.arrivalNanos() - switched) / 1e6;
            double dropToSwitchMs = (switched - dropped) / 1e6;
            System.out.printf("Explainer IT: 1.0.1 dropped into deploy/ -> loaded and switched %.0f ms (%.0f ms with "
                    + "signing and copying the jar); first explanation by it %.0f ms after the switch%n",
                    dropToSwitchMs, (switched - installed) / 1e6, switchMs);
            assertThat(dropToSwitchMs).as("switch within 2 s of the drop; log:%n%s", f.gateway.logText())
                    .isLessThan(2000);
            assertThat(switchMs).as("new model answers within 2 s of the switch").isLessThan(2000);

            // a tampered bundle (sha256 mismatch) and a broken one (garbage with a matching sha256): both rejected
            DeployArtifacts.drop(variant(shipped, "1.0.2", Mutation.FLIP_BYTE), deploy.resolve("model-explainer-1.0.2.jar"));
            assertThat(f.gateway.awaitLog("1.0.2 REJECTED", Duration.ofSeconds(60)))
                    .as("tampered rejected; log:%n%s", f.gateway.logText()).isTrue();
            DeployArtifacts.drop(variant(shipped, "1.0.3", Mutation.GARBAGE_WITH_HASH), deploy.resolve("model-explainer-1.0.3.jar"));
            assertThat(f.gateway.awaitLog("1.0.3 REJECTED", Duration.ofSeconds(60)))
                    .as("broken rejected; log:%n%s", f.gateway.logText()).isTrue();
            assertThat(f.gateway.logText()).doesNotContain("in service: 1.0.2").doesNotContain("in service: 1.0.3");
            // ... and reported on the retained status topic, naming the bundle and the reason
            MqttRecorder.Received degraded = f.recorder.next(r -> r.topic().equals(f.topic("status"))
                    && r.json().path("health").asText().equals("degraded")
                    && r.json().path("problems").toString().contains("1.0.3 rejected")
                    // the agent rolls it back a moment after the tracker rejects it: a status in between has no line
                    && r.json().path("problems").toString().contains("deploy/model-explainer-1.0.3.jar rolled back"),
                    15_000);
            assertThat(degraded).as("status names the rejected model bundles; log:%n%s", f.gateway.logText())
                    .isNotNull();
            // signed, so installed: the deployment agent saw the model tracker turn not ok in the bundle's health
            // window and uninstalled it again; the reason is its line on the status topic
            assertThat(degraded.payload()).contains("deployment: deploy/model-explainer-1.0.3.jar rolled back");
            assertThat(f.gateway.logText()).contains("Deployment ROLLED BACK deploy/model-explainer-1.0.2.jar")
                    .contains("Deployment ROLLED BACK deploy/model-explainer-1.0.3.jar");
            System.out.println("Explainer IT: status while rejected bundles are in deploy/: " + degraded.payload());
            Thread.sleep(1500);
            run.set(false);
            load.join();

            // every alert of the run got exactly its explanation; the later ones by 1.0.1
            Map<String, String> versionByAlert = new HashMap<>();
            Set<String> alertIds = new java.util.HashSet<>();
            Map<String, Integer> bySource = new TreeMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (MqttRecorder.Received r : f.recorder.drain()) {
                    if (r.topic().equals(f.topic("alerts/pump-1"))) {
                        alertIds.add(r.json().path("alertId").asText());
                    } else if (r.topic().equals(f.topic("explanations/pump-1"))) {
                        versionByAlert.put(r.json().path("alertId").asText(), r.json().path("modelVersion").asText());
                        bySource.merge(r.json().path("source").asText(), 1, Integer::sum);
                    }
                }
                if (!alertIds.isEmpty() && versionByAlert.keySet().containsAll(alertIds)) {
                    break;
                }
                Thread.sleep(500);
            }
            alertIds.remove(first101.json().path("alertId").asText());
            versionByAlert.remove(first101.json().path("alertId").asText());
            Set<String> unexplained = alertIds.stream().filter(a -> !versionByAlert.containsKey(a))
                    .collect(Collectors.toSet());
            System.out.printf("Explainer IT: %d alerts during the swap run (%d limit crossings published), %d "
                            + "explanations by source %s, versions %s, unexplained %d%n", alertIds.size(),
                    published.get(), versionByAlert.size(), bySource,
                    versionByAlert.values().stream().collect(Collectors.groupingBy(v -> v.isEmpty() ? "template" : v,
                            TreeMap::new, Collectors.counting())), unexplained.size());
            assertThat(alertIds.size()).as("an alert every 100 ms").isGreaterThan(30);
            assertThat(unexplained).as("zero lost explanations; log:%n%s", f.gateway.logText()).isEmpty();

            // removing the rejected bundles clears the problem; removing 1.0.1 rolls back to the shipped model
            DeployArtifacts.remove(deploy.resolve("model-explainer-1.0.2.jar"));
            DeployArtifacts.remove(deploy.resolve("model-explainer-1.0.3.jar"));
            MqttRecorder.Received ok = f.recorder.next(r -> r.topic().equals(f.topic("status"))
                    && r.json().path("health").asText().equals("ok"), 15_000);
            assertThat(ok).as("status ok again; log:%n%s", f.gateway.logText()).isNotNull();
            DeployArtifacts.remove(deploy.resolve("model-explainer-1.0.1.jar"));
            assertThat(f.gateway.awaitLog("in service now: 1.0.0", Duration.ofSeconds(30)))
                    .as("rollback; log:%n%s", f.gateway.logText()).isTrue();
            f.publish("plant/pump-1/bearing_temperature", GatewayFixture.sample("pump-1", "bearing_temperature",
                    91.5, "degC", System.currentTimeMillis()), 1);
            MqttRecorder.Received back = f.recorder.next(r -> r.topic().equals(f.topic("explanations/pump-1"))
                    && r.json().path("modelVersion").asText().equals("1.0.0"), 30_000);
            assertThat(back).as("explanation after rollback; log:%n%s", f.gateway.logText()).isNotNull();
            System.out.printf("Explainer IT: gateway RSS with the model loaded %d MB%n", f.gateway.rssBytes() >> 20);
        }
    }

    @Test
    void aBurstOfAThousandAlertsIsAnsweredByTemplatesBeyondTheQueueWithoutDelayingAlerts() throws Exception {
        try (GatewayFixture f = start("it-llm-burst", Map.of("threads", "1", "queue.capacity", "16",
                "deadline.ms", "3000"))) {
            long sent = System.nanoTime();
            for (int i = 0; i < 1000; i++) { // 1,000 pumps each crossing the limit once
                f.publish("plant/pump-b" + i + "/bearing_temperature", GatewayFixture.sample("pump-b" + i,
                        "bearing_temperature", 91.5, "degC", System.currentTimeMillis()), 1);
            }
            Map<String, Long> alertArrival = new HashMap<>();
            Map<String, String> sourceByAlert = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline && (alertArrival.size() < 1000 || sourceByAlert.size() < 1000)) {
                for (MqttRecorder.Received r : f.recorder.drain()) {
                    if (r.topic().startsWith(f.topic("alerts/"))) {
                        alertArrival.put(r.json().path("alertId").asText(), r.arrivalNanos());
                    } else if (r.topic().startsWith(f.topic("explanations/"))) {
                        sourceByAlert.put(r.json().path("alertId").asText(), r.json().path("source").asText());
                    }
                }
                Thread.sleep(200);
            }
            long lastAlert = alertArrival.values().stream().mapToLong(Long::longValue).max().orElse(sent);
            Map<String, Long> bySource = sourceByAlert.values().stream()
                    .collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
            System.out.printf("Explainer IT burst: 1000 alerts published in %.0f ms (last alert %.0f ms after the "
                            + "first sample was sent); explanations by source %s%n",
                    (lastAlert - sent) / 1e6, (lastAlert - sent) / 1e6, bySource);
            assertThat(alertArrival).as("every alert; log:%n%s", f.gateway.logText()).hasSize(1000);
            assertThat(sourceByAlert.keySet()).as("every alert explained").containsAll(alertArrival.keySet());
            assertThat(bySource.getOrDefault("template", 0L)).as("shed to templates").isGreaterThan(500);
            assertThat(bySource.getOrDefault("llm", 0L)).as("the model kept answering what it could").isPositive();
            assertThat((lastAlert - sent) / 1e9).as("alerts never wait for explanations").isLessThan(30);
            assertThat(f.gateway.logText()).doesNotContain("OutOfMemory").doesNotContain("RejectedExecution");
        }
    }

    enum Mutation { NONE, FLIP_BYTE, GARBAGE_WITH_HASH }

    private static Path modelJar(Path home) throws IOException {
        try (Stream<Path> files = Files.list(home.resolve("deploy"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("model-explainer-maint")
                    && p.getFileName().toString().endsWith(".jar")).findFirst()
                    .orElseThrow();
        }
    }

    /** The shipped model bundle as another version, its default artifact intact, tampered or replaced by garbage. */
    private Path variant(Path jar, String version, Mutation mutation) throws Exception {
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        Manifest mf;
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            mf = new Manifest(in.getManifest());
            for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                entries.put(e.getName(), readAll(in));
            }
        }
        mf.getMainAttributes().put(new Attributes.Name("Bundle-Version"), version);
        String descriptor = new String(entries.get(MODEL_ENTRY + "model.json"), StandardCharsets.UTF_8);
        JsonNode d = new com.fasterxml.jackson.databind.ObjectMapper().readTree(descriptor);
        String artifact = MODEL_ENTRY + d.path("default_artifact").asText();
        descriptor = descriptor.replaceFirst("\"version\":\\s*\"1\\.0\\.0\"", "\"version\": \"" + version + "\"");
        if (mutation == Mutation.FLIP_BYTE) {
            byte[] data = entries.get(artifact).clone();
            data[data.length / 2] ^= 1;
            entries.put(artifact, data);
        } else if (mutation == Mutation.GARBAGE_WITH_HASH) {
            byte[] garbage = "this is not a TorchScript archive".getBytes(StandardCharsets.UTF_8);
            String oldSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(entries.get(artifact)));
            String newSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage));
            entries.put(artifact, garbage);
            descriptor = descriptor.replace(oldSha, newSha);
        }
        entries.put(MODEL_ENTRY + "model.json", descriptor.getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("model-explainer-" + version + ".jar");
        try (JarOutputStream jout = new JarOutputStream(Files.newOutputStream(out), mf)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                jout.putNextEntry(new JarEntry(e.getKey()));
                jout.write(e.getValue());
                jout.closeEntry();
            }
        }
        return out;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }

}

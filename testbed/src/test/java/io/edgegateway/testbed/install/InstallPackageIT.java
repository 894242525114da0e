package io.edgegateway.testbed.install;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.MqttRecorder;

/**
 * The install package as an operator uses it: unpack {@code gateway-<version>.tar.gz}, run {@code install.sh} (as
 * the current user, below a temporary prefix, without systemd), configure the gateway in {@code etc/edge-gateway},
 * start it with the unit's {@code ExecStart} command line and {@code EnvironmentFile}, and see it come online and
 * follow its configuration. Then an alert is buffered in the outbox while the uplink's broker is down, the gateway
 * is stopped, a newer package is installed over it, and the new version starts with the same configuration and
 * delivers the buffered alert.
 */
class InstallPackageIT {

    private static final String GATEWAY_ID = "it-pkg";
    private static final String NEWER = "0.1.1-it";

    @Test
    void installStartUpgradeKeepsConfigurationAndData(@TempDir Path dir) throws Exception {
        Path target = GatewayProcess.distribution().getParent();
        Path tarball;
        try (Stream<Path> s = Files.list(target)) {
            tarball = s.filter(p -> p.getFileName().toString().matches("gateway-.*\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no gateway-<version>.tar.gz in " + target));
        }
        Path unpacked = Files.createDirectories(dir.resolve("unpacked"));
        run(dir, List.of("tar", "xzf", tarball.toString(), "-C", unpacked.toString()));
        Path pkg;
        try (Stream<Path> s = Files.list(unpacked)) {
            pkg = s.findFirst().orElseThrow();
        }
        String version = Files.readString(pkg.resolve("VERSION")).strip();
        assertThat(pkg.getFileName().toString()).isEqualTo("gateway-" + version);
        assertThat(tarball.getFileName().toString()).isEqualTo("gateway-" + version + ".tar.gz");
        for (String f : List.of("install.sh", "bin/gateway", "systemd/edge-gateway.service", "systemd/gateway.env",
                "conf/framework.properties", "lib", "bundle", "deploy")) {
            assertThat(pkg.resolve(f)).as(f).exists();
        }
        assertThat(pkg.resolve("data")).doesNotExist();
        assertThat(Files.isExecutable(pkg.resolve("install.sh"))).isTrue();

        Path root = dir.resolve("root");
        String user = System.getProperty("user.name");
        String out = run(dir, List.of(pkg.resolve("install.sh").toString(), "--prefix", root.toString(),
                "--no-systemd", "--user", user));
        System.out.println(out);
        Path opt = root.resolve("opt/edge-gateway");
        Path etc = root.resolve("etc/edge-gateway");
        Path var = root.resolve("var/lib/edge-gateway");
        assertThat(Files.readSymbolicLink(opt.resolve("current")).toString()).isEqualTo(version);
        assertThat(etc.resolve("conf/framework.properties")).isRegularFile();
        assertThat(etc.resolve("deploy/io.edgegateway.mqtt.uplink.cfg")).isRegularFile();
        assertThat(etc.resolve("gateway.env")).isRegularFile();
        assertThat(Files.readSymbolicLink(var.resolve("conf"))).isEqualTo(etc.resolve("conf"));
        assertThat(Files.readSymbolicLink(var.resolve("deploy"))).isEqualTo(etc.resolve("deploy"));
        assertThat(var.resolve("data")).isDirectory();

        try (MosquittoBroker plant = MosquittoBroker.start(dir.resolve("plant-broker"));
             MosquittoBroker site = MosquittoBroker.start(dir.resolve("site-broker"))) {
            // the operator's configuration: id and plant broker in framework.properties, the uplink to the site's
            // broker, a rule of their own, and one shipped rule removed
            Path props = etc.resolve("conf/framework.properties");
            setKeys(props, Map.of("gateway.id", GATEWAY_ID, "gateway.broker.url", plant.url()));
            String djlCache = System.getProperty("djl.cache");
            if (djlCache != null) { // libtorch unpacked once for all tests, not again below the prefix
                setKeys(props, Map.of("gateway.djl.cache", djlCache));
            }
            setKeys(etc.resolve("deploy/io.edgegateway.mqtt.uplink.cfg"), Map.of("broker.url", site.url(),
                    "metrics.interval.s", "1", "reconnect.max.ms", "1000"));
            Files.writeString(etc.resolve("deploy/io.edgegateway.rules.threshold-itpkg.cfg"),
                    "detector.asset=tank-*\ndetector.signal=level_it\nhigh=10\nseverity=CRITICAL\n");
            Files.delete(etc.resolve("deploy/io.edgegateway.rules.stuck-analog.cfg"));
            Map<String, String> operatorFiles = snapshot(etc, "conf/framework.properties",
                    "deploy/io.edgegateway.mqtt.uplink.cfg", "deploy/io.edgegateway.rules.threshold-itpkg.cfg",
                    "gateway.env");

            MqttRecorder recorder = new MqttRecorder(site.url(), "gateway/" + GATEWAY_ID + "/#");
            MqttClient publisher = new MqttClient(plant.url(), "plant-" + System.nanoTime(), new MemoryPersistence());
            publisher.connect();
            try {
                Service service = Service.fromUnit(opt.resolve("current/systemd/edge-gateway.service"));
                assertThat(service.execStart()).containsExactly(opt.resolve("current/bin/gateway").toString(), "run",
                        "--home", var.toString());
                assertThat(service.env().get("JAVA_OPTS")).contains("-Xmx", "-XX:+UseSerialGC",
                        "-XX:+UseContainerSupport");
                Process gateway = service.start(dir.resolve("gateway-1.log"));
                try {
                    MqttRecorder.Received online = recorder.next(r -> r.topic().equals("gateway/" + GATEWAY_ID
                            + "/status") && r.payload().contains("\"online\""), 90_000);
                    assertThat(online).as("online on the site broker; log:%n%s", log(dir, 1)).isNotNull();
                    // the operator's own rule, from /etc, raises an alert
                    MqttRecorder.Received alert = excursion(publisher, recorder, 25.0);
                    assertThat(alert).as("alert from the operator's rule; log:%n%s", log(dir, 1)).isNotNull();
                    assertThat(alert.json().path("severity").asText()).isEqualTo("CRITICAL");
                    assertThat(alert.json().path("signal").asText()).isEqualTo("level_it");

                    // the site broker goes away: the next alert waits in the outbox, across the upgrade
                    site.kill();
                    publish(publisher, 5.0);
                    publish(publisher, 33.0);
                    Thread.sleep(3000);
                } finally {
                    stop(gateway);
                }
                String log1 = log(dir, 1);
                Matcher kept = Pattern.compile("outbox closed: (\\d+) messages kept").matcher(log1);
                assertThat(kept.find()).as("outbox summary at stop; log:%n%s", log1).isTrue();
                assertThat(Integer.parseInt(kept.group(1))).isGreaterThanOrEqualTo(1);
                List<String> dataBefore = files(var.resolve("data/outbox"));
                assertThat(dataBefore).isNotEmpty();

                // a newer package: same content, new version, one new default configuration
                Path newer = dir.resolve("newer/gateway-" + NEWER);
                Files.createDirectories(newer.getParent());
                run(dir, List.of("cp", "-R", pkg.toString(), newer.toString()));
                Files.writeString(newer.resolve("VERSION"), NEWER + "\n");
                Files.writeString(newer.resolve("deploy/io.edgegateway.rules.threshold-newdefault.cfg"),
                        "detector.asset=none-such\ndetector.signal=none\nhigh=1\n");
                String out2 = run(dir, List.of(newer.resolve("install.sh").toString(), "--prefix", root.toString(),
                        "--no-systemd", "--user", user));
                System.out.println(out2);
                assertThat(Files.readSymbolicLink(opt.resolve("current")).toString()).isEqualTo(NEWER);
                assertThat(opt.resolve(version)).as("the previous version stays for going back").isDirectory();
                assertThat(snapshot(etc, operatorFiles.keySet().toArray(new String[0]))).isEqualTo(operatorFiles);
                assertThat(etc.resolve("deploy/io.edgegateway.rules.stuck-analog.cfg"))
                        .as("a shipped file the operator removed is not restored").doesNotExist();
                assertThat(etc.resolve("deploy/io.edgegateway.rules.threshold-newdefault.cfg"))
                        .as("a file new in the package is added").isRegularFile();
                assertThat(files(var.resolve("data/outbox"))).containsAll(dataBefore);
                assertThat(var.resolve("data/config")).isDirectory();

                // the new version starts with the same configuration and delivers the buffered alert
                site.restart();
                try (MqttRecorder after = new MqttRecorder(site.url(), "gateway/" + GATEWAY_ID + "/#")) {
                    Process gateway2 = Service.fromUnit(opt.resolve("current/systemd/edge-gateway.service"))
                            .start(dir.resolve("gateway-2.log"));
                    try {
                        MqttRecorder.Received buffered = after.next(r -> r.topic().equals("gateway/" + GATEWAY_ID
                                + "/alerts/tank-1") && r.payload().contains("33.0"), 90_000);
                        assertThat(buffered).as("the alert buffered before the upgrade; log:%n%s", log(dir, 2))
                                .isNotNull();
                        assertThat(awaitLog(dir, 2, "Gateway '" + GATEWAY_ID + "' started")).as("log:%n%s",
                                log(dir, 2)).isTrue();
                        assertThat(log(dir, 2)).contains("messages waiting from before")
                                .contains("(home " + var + ",");
                        MqttRecorder.Received fresh = excursion(publisher, after, 41.0);
                        assertThat(fresh).as("alerts after the upgrade; log:%n%s", log(dir, 2)).isNotNull();
                    } finally {
                        stop(gateway2);
                    }
                }
            } finally {
                publisher.disconnect();
                publisher.close();
                try {
                    recorder.close();
                } catch (MqttException ignored) {
                    // its broker was killed
                }
            }
        }
    }

    /** The service as systemd would start it: ExecStart, EnvironmentFile and WorkingDirectory of the unit. */
    record Service(List<String> execStart, Map<String, String> env, Path workingDirectory) {

        static Service fromUnit(Path unit) throws IOException {
            List<String> exec = null;
            Map<String, String> env = new LinkedHashMap<>();
            Path wd = null;
            for (String line : Files.readAllLines(unit)) {
                if (line.startsWith("ExecStart=")) {
                    exec = List.of(line.substring("ExecStart=".length()).strip().split("\\s+"));
                } else if (line.startsWith("WorkingDirectory=")) {
                    wd = Path.of(line.substring("WorkingDirectory=".length()).strip());
                } else if (line.startsWith("EnvironmentFile=")) {
                    String f = line.substring("EnvironmentFile=".length()).strip();
                    Path file = Path.of(f.startsWith("-") ? f.substring(1) : f);
                    if (Files.exists(file)) {
                        for (String e : Files.readAllLines(file)) {
                            String t = e.strip();
                            int eq = t.indexOf('=');
                            if (t.isEmpty() || t.startsWith("#") || eq < 0) {
                                continue;
                            }
                            String v = t.substring(eq + 1).strip();
                            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                                v = v.substring(1, v.length() - 1);
                            }
                            env.put(t.substring(0, eq).strip(), v);
                        }
                    }
                }
            }
            assertThat(exec).as("ExecStart in %s", unit).isNotNull();
            return new Service(exec, env, wd);
        }

        Process start(Path log) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(execStart).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().remove("GATEWAY_HOME");
            pb.environment().putAll(env);
            if (workingDirectory != null) {
                pb.directory(workingDirectory.toFile());
            }
            return pb.start();
        }
    }

    private static MqttRecorder.Received excursion(MqttClient publisher, MqttRecorder recorder, double value)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            publish(publisher, 5.0); // re-arm
            publish(publisher, value);
            MqttRecorder.Received r = recorder.next(x -> x.topic().equals("gateway/" + GATEWAY_ID + "/alerts/tank-1")
                    && x.payload().contains(Double.toString(value)), 2000);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    private static void publish(MqttClient c, double value) throws MqttException {
        String json = "{\"asset\":\"tank-1\",\"signal\":\"level_it\",\"value\":" + value + ",\"unit\":\"m\",\"ts\":"
                + System.currentTimeMillis() + "}";
        MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
        m.setQos(1);
        c.publish("plant/tank-1/level_it", m);
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM, as systemctl stop
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String log(Path dir, int n) throws IOException {
        Path f = dir.resolve("gateway-" + n + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private static boolean awaitLog(Path dir, int n, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (log(dir, n).contains(text)) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private static void setKeys(Path file, Map<String, String> values) throws IOException {
        Map<String, String> left = new LinkedHashMap<>(values);
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            String key = eq > 0 && !line.startsWith("#") ? line.substring(0, eq).strip() : null;
            lines.add(key != null && left.containsKey(key) ? key + "=" + left.remove(key) : line);
        }
        left.forEach((k, v) -> lines.add(k + "=" + v));
        Files.writeString(file, String.join("\n", lines) + "\n");
    }

    private static Map<String, String> snapshot(Path base, String... files) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String f : files) {
            out.put(f, Files.readString(base.resolve(f)));
        }
        return out;
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static String run(Path dir, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s:%n%s", cmd, out).isZero();
        return out;
    }
}

package io.edgegateway.testbed.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.harness.RemoteCli;

/**
 * The security model as the README documents it: mosquitto with passwords and the distribution's
 * {@code conf/mosquitto.acl.example} as its ACL. The operator manages the gateway with the CLI; the plant's user,
 * which may publish telemetry, cannot: its command is dropped by the broker and changes nothing.
 */
class RemoteAclIT {

    @TempDir
    Path dir;

    @Test
    void onlyOperatorsCommandGateways() throws Exception {
        Path acl = GatewayProcess.distribution().resolve("conf/mosquitto.acl.example");
        Path passwd = dir.resolve("passwd");
        Files.writeString(passwd, "");
        for (String[] up : new String[][] {{"operator", "op-secret"}, {"acl-1", "gw-secret"}, {"plant", "pl-secret"}}) {
            Process p = new ProcessBuilder("mosquitto_passwd", "-b", passwd.toString(), up[0], up[1])
                    .redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("mosquitto_passwd").isTrue();
        }
        int port = Ports.freePort();
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous false",
                "password_file " + passwd, "acl_file " + acl, "user " + System.getProperty("user.name"),
                "log_dest file " + dir.resolve("mosquitto.log"), ""));
        Process broker = new ProcessBuilder(MosquittoBroker.binary(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("mosquitto.out").toFile()).start();
        String url = "tcp://127.0.0.1:" + port;
        try {
            assertThat(Ports.awaitListening(port, Duration.ofSeconds(10))).isTrue();
            Path home = GatewayHomes.create(dir.resolve("home"));
            Map<String, String> login = Map.of("username", "acl-1", "password", "gw-secret");
            for (String cfg : new String[] {"io.edgegateway.management.remote.cfg", "io.edgegateway.mqtt.uplink.cfg",
                    "io.edgegateway.mqtt.source-plant.cfg"}) {
                GatewayHomes.configure(home, cfg, login);
            }
            GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
            try (GatewayProcess g = GatewayProcess.start(home, url, "acl-1", Map.of(), RemoteRig.JAVA_OPTS)) {
                assertThat(g.awaitLog("Remote management: connected to " + url, Duration.ofSeconds(120)))
                        .as("log:%n%s", g.logText()).isTrue();
                String[] operator = {"--broker", url, "--gateway", "acl-1", "--username", "operator", "--password",
                        "op-secret"};
                RemoteCli.Result status = RemoteCli.run(dir.resolve("cli"), 120, concat(operator, "status"));
                assertThat(status.exitCode()).as(status.toString()).isZero();

                // the plant's user may publish telemetry, not commands: the broker drops them
                MqttClient plant = new MqttClient(url, "plant-" + System.nanoTime(), new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setUserName("plant");
                o.setPassword("pl-secret".toCharArray());
                plant.connect(o);
                MqttMessage evil = new MqttMessage(("{\"requestId\":\"evil-1\",\"pid\":"
                        + "\"io.edgegateway.rules.threshold-bearing\",\"properties\":{\"high\":\"1\"}}")
                        .getBytes(StandardCharsets.UTF_8));
                evil.setQos(1);
                plant.publish("gateway/acl-1/cmd/config-set", evil);
                plant.disconnect();
                plant.close();
                Thread.sleep(3000);
                RemoteCli.Result get = RemoteCli.run(dir.resolve("cli"), 120, concat(operator, "config-get",
                        "io.edgegateway.rules.threshold-bearing"));
                assertThat(get.exitCode()).as(get.toString()).isZero();
                assertThat(get.stdout()).contains("high = 80");
                assertThat(g.logText()).doesNotContain("evil-1").doesNotContain("changed (high)");
                // the operator may: the same change goes through
                RemoteCli.Result set = RemoteCli.run(dir.resolve("cli"), 120, concat(operator, "config-set",
                        "io.edgegateway.rules.threshold-bearing", "high=79"));
                assertThat(set.exitCode()).as(set.toString()).isZero();
            }
        } finally {
            broker.destroy();
            if (!broker.waitFor(5, TimeUnit.SECONDS)) {
                broker.destroyForcibly();
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

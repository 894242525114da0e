package io.edgegateway.testbed.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.mqtt.support.TestPki;
import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.GatewayProcess;
import io.edgegateway.testbed.harness.MosquittoBroker;
import io.edgegateway.testbed.harness.RemoteCli;

/**
 * Remote management through a mosquitto whose only listener is TLS and requires a client certificate of the plant's
 * CA (made by the test): the gateway's management client connects with its PEM files, the CLI with its own
 * certificate gets answers, the CLI without one cannot even connect.
 */
class RemoteTlsIT {

    @TempDir
    Path dir;

    @Test
    void managementAndCliOverMutualTls() throws Exception {
        TestPki plant = TestPki.create(dir.resolve("pki"), "plant-ca");
        TestPki.Issued server = plant.server("broker", List.of("localhost"), List.of("127.0.0.1"));
        TestPki.Issued gw = plant.client("gateway", "tls-1", TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
        TestPki.Issued operator = plant.client("operator", "operator", TestPki.KeyType.RSA,
                TestPki.KeyFormat.TRADITIONAL);
        try (MosquittoBroker broker = MosquittoBroker.startTls(dir.resolve("broker"),
                new MosquittoBroker.TlsListener(plant.caFile(), server.cert(), server.key(), true))) {
            Path home = GatewayHomes.create(dir.resolve("home"));
            Path tlsDir = Files.createDirectories(home.resolve("conf/tls"));
            Files.copy(plant.caFile(), tlsDir.resolve("ca.pem"));
            Files.copy(gw.cert(), tlsDir.resolve("gateway.pem"));
            Files.copy(gw.key(), tlsDir.resolve("gateway.key"));
            Map<String, String> tls = Map.of("tls.ca.file", "conf/tls/ca.pem", "tls.cert.file", "conf/tls/gateway.pem",
                    "tls.key.file", "conf/tls/gateway.key");
            GatewayHomes.configure(home, "io.edgegateway.management.remote.cfg", tls);
            GatewayHomes.configure(home, "io.edgegateway.mqtt.uplink.cfg", tls);
            GatewayHomes.remove(home, "io.edgegateway.llm.explainer.cfg");
            try (GatewayProcess g = GatewayProcess.start(home, broker.url(), "tls-1", Map.of(),
                    RemoteRig.JAVA_OPTS)) {
                assertThat(g.awaitLog("Remote management: connected to " + broker.url(), Duration.ofSeconds(120)))
                        .as("management connected over mutual TLS; log:%n%s", g.logText()).isTrue();

                RemoteCli.Result ok = RemoteCli.run(dir.resolve("cli"), 120, "--broker", broker.url(), "--gateway",
                        "tls-1", "--tls-ca-file", plant.caFile().toString(), "--tls-cert-file",
                        operator.cert().toString(), "--tls-key-file", operator.key().toString(), "status");
                assertThat(ok.exitCode()).as(ok.toString()).isZero();
                assertThat(ok.stdout()).contains("listening on gateway/tls-1/cmd/<verb> at " + broker.url());

                RemoteCli.Result refused = RemoteCli.run(dir.resolve("cli"), 120, "--broker", broker.url(),
                        "--gateway", "tls-1", "--timeout", "8", "--tls-ca-file", plant.caFile().toString(), "status");
                assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
                assertThat(refused.stderr()).contains("cannot connect to the broker")
                        .containsAnyOf("requires a client certificate", "rejected the client certificate");
            }
        }
    }
}

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;

/**
 * OPC UA security end to end: the testbed's Milo plant server with Basic256Sha256 endpoints and X.509 user
 * identities, the real distribution in its own process. The gateway first rejects the server's certificate (and says
 * which file to move where), then connects with SignAndEncrypt once the file is moved, without a restart; a user
 * certificate the server does not know is rejected with a clear error. A user name and password over
 * SignAndEncrypt against the plant server in its own process. Deadbands keep small changes away.
 */
class OpcUaSecurityIT {

    private static final String SOURCE_CFG = "io.edgegateway.opcua.source-secure.cfg";

    @RegisterExtension
    final OpcUaFixture o = new OpcUaFixture();
    GatewayFixture f;

    @Test
    void signAndEncryptOnceTheServerCertificateIsTrustedAndX509UsersAreChecked() throws Exception {
        Path users = Files.createDirectories(o.dir.resolve("server-users"));
        Path operator = userCertificate("operator-x509", users);
        Path intruder = userCertificate("intruder-x509", null);
        PlantOpcUaServer server = o.startServer(null, null,
                new PlantOpcUaServer.Security(true, true, true, o.dir.resolve("server-pki"), true, users));

        f = o.gateway("it-opcua-sec");
        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of(
                "endpoint.url", server.endpointUrl(),
                "security.policy", "Basic256Sha256",
                "security.mode", "SignAndEncrypt",
                "user.certificate", operator.toString(),
                "user.key", operator.resolveSibling("operator-x509.key").toString(),
                "nodes", "Objects/Plant/pump-1/*",
                "sampling.interval.ms", "100",
                "reconnect.min.ms", "500"));
        f.startGateway();
        long pid = f.gateway.pid();

        // 1. the server's certificate is not trusted yet: rejected into a file the log names, with the folder
        Path pki = f.home.resolve("data/opcua/pki");
        Path rejected = pki.resolve("rejected").resolve("Edge_Gateway_testbed_plant_server-"
                + sha1(server.certificate()) + ".der");
        Path trusted = pki.resolve("trusted");
        assertThat(f.gateway.awaitLog("is not trusted: saved it as " + rejected + "; to trust it, move that file to "
                + trusted + "/", Duration.ofSeconds(30))).as("rejection log; log:%n%s", f.gateway.logText()).isTrue();
        assertThat(f.gateway.logText()).contains("ERROR");
        assertThat(rejected).isRegularFile();
        assertThat(pki.resolve("own/cert.der")).isRegularFile();
        assertThat(freshAccepted()).isZero();

        // 2. the user moves it: the next attempt connects with SignAndEncrypt and the X.509 user, no restart
        Files.move(rejected, trusted.resolve(rejected.getFileName()));
        long moved = System.nanoTime();
        f.awaitMetrics(m -> m.path("accepted").asLong() > 20, Duration.ofSeconds(45));
        System.out.printf("OPC UA data flowing %.1f s after the certificate was moved to trusted/%n",
                (System.nanoTime() - moved) / 1e9);
        assertThat(f.gateway.pid()).isEqualTo(pid);
        assertThat(f.gateway.isAlive()).isTrue();
        assertThat(f.gateway.logText()).contains("(security Basic256Sha256/SignAndEncrypt, identity x509 "
                + "(certificate " + operator + "))");

        // 3. a user certificate the server does not know: rejected, and the log says so
        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of(
                "user.certificate", intruder.toString(),
                "user.key", intruder.resolveSibling("intruder-x509.key").toString()));
        assertThat(f.gateway.awaitLog("the server rejected the user identity x509 (certificate " + intruder
                + ") (Bad_IdentityTokenRejected)", Duration.ofSeconds(30))).as("identity rejection; log:%n%s", f.gateway.logText()).isTrue();
        f.gateway.logText().lines().filter(l -> l.contains("OPC UA source")).forEach(System.out::println);
    }

    /**
     * Issue 3: "the connector against the Milo simulator with SignAndEncrypt and a username, in a separate process".
     * The plant server runs as {@code ./gateway opcua-server} in its own JVM with only a Basic256Sha256
     * SignAndEncrypt endpoint (no None endpoint: the user name cannot travel unencrypted), the gateway in another.
     * A wrong password is rejected with a message that says so; the right one, set without a restart, connects and
     * data flows (alerts from the server's values).
     */
    @Test
    void userNameOverSignAndEncryptWithTheServerInItsOwnProcess() throws Exception {
        var server = o.startServerProcess(List.of("--security", "sign-encrypt", "--pki",
                o.dir.resolve("server-pki").toString(), "--user", "operator", "--password", "s3cret", "--rate", "10",
                "--faults", "none"));
        assertThat(server.output()).contains("security Basic256Sha256/SignAndEncrypt").doesNotContain("None,");
        f = o.gateway("it-opcua-user");
        o.trustServerCertificate(server.certificateFile());
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-user.cfg", Map.of(
                "detector.asset", "pump-1", "detector.signal", "bearing_temperature", "high", "1"));
        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of(
                "endpoint.url", server.endpointUrl(),
                "security.policy", "Basic256Sha256",
                "security.mode", "SignAndEncrypt",
                "username", "operator",
                "password", "wrong",
                "nodes", "Objects/Plant/pump-1/*",
                "sampling.interval.ms", "100",
                "reconnect.min.ms", "500"));
        f.startGateway();
        assertThat(f.gateway.awaitLog("the server rejected the user identity user operator (Bad_UserAccessDenied)",
                Duration.ofSeconds(45))).as("wrong password rejected; log:%n%s", f.gateway.logText()).isTrue();
        assertThat(freshAccepted()).isZero();

        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of("password", "s3cret"));
        f.awaitMetrics(m -> m.path("accepted").asLong() > 20, Duration.ofSeconds(45));
        MqttRecorder.Received alert = f.recorder.next(r -> r.topic().equals(f.topic("alerts/pump-1"))
                && r.payload().contains("bearing_temperature"), 30_000);
        assertThat(alert).as("an alert from the separate server's values; log:%n%s", f.gateway.logText())
                .isNotNull();
        assertThat(alert.json().path("unit").asText()).isEqualTo("degC");
        assertThat(f.gateway.logText()).contains("connected to " + server.endpointUrl()
                + " (security Basic256Sha256/SignAndEncrypt, identity user operator)");
        assertThat(server.isAlive()).isTrue();
        f.gateway.logText().lines().filter(l -> l.contains("OPC UA source")).forEach(System.out::println);
    }

    /** Deadbands, over Basic256Sha256 Sign (signed, not encrypted; the server's certificate trusted beforehand). */
    @Test
    void deadbandsKeepSmallChangesAwayOverSign() throws Exception {
        PlantOpcUaServer server = o.startServer(null, null,
                new PlantOpcUaServer.Security(false, true, false, o.dir.resolve("server-pki"), true, null));
        f = o.gateway("it-opcua-deadband");
        o.trustServerCertificate(server.certificateFile());
        // pump-1 has 5 signals at 10 Hz; deadbands far above the noise: only the first value of each is reported
        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of(
                "endpoint.url", server.endpointUrl(),
                "security.policy", "Basic256Sha256",
                "security.mode", "Sign",
                "nodes", "Objects/Plant/pump-1/*",
                "sampling.interval.ms", "100",
                "deadband", "*/vibration=percent:50,absolute:1000"));
        f.startGateway();
        assertThat(f.gateway.awaitLog("5 monitored items, 5 with a deadband", Duration.ofSeconds(30)))
                .as("subscription with deadbands; log:%n%s", f.gateway.logText()).isTrue();
        assertThat(f.gateway.logText()).contains("connected to " + server.endpointUrl()
                + " (security Basic256Sha256/Sign, identity anonymous)");
        Thread.sleep(1500);
        long before = freshAccepted();
        Thread.sleep(5000);
        long filtered = freshAccepted() - before;
        System.out.println("with deadbands: " + filtered + " samples in ~5 s (first values: " + before + ")");
        assertThat(before).isBetween(1L, 5L);
        assertThat(filtered).isLessThanOrEqualTo(1);

        // without the deadband every change comes through again (~50 samples/s)
        GatewayHomes.configure(f.home, SOURCE_CFG, Map.of("deadband", "none"));
        long start = freshAccepted();
        f.awaitMetrics(m -> m.path("accepted").asLong() > start + 50, Duration.ofSeconds(20));
    }

    /** {@code accepted} of a metrics message published after this call (the recorder keeps older ones). */
    private long freshAccepted() throws Exception {
        f.recorder.drain();
        return f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
    }

    /** A self-signed user certificate {@code <name>.pem} with its key {@code <name>.key}; also copied to {@code trustedDir}. */
    private Path userCertificate(String name, Path trustedDir) throws Exception {
        KeyPair kp = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        X509Certificate cert = new SelfSignedCertificateBuilder(kp).setCommonName(name)
                .setApplicationUri("urn:edgegateway:test-user:" + name).build();
        Path userDir = Files.createDirectories(o.dir.resolve("users-own"));
        Path certFile = userDir.resolve(name + ".pem");
        Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(userDir.resolve(name + ".key"), pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        if (trustedDir != null) {
            Files.write(trustedDir.resolve(name + ".der"), cert.getEncoded());
        }
        return certFile;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static String sha1(X509Certificate cert) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded()));
    }
}

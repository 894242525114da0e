package io.edgegateway.testbed.opcua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.simulator.PlantSimulator;
import picocli.CommandLine;

/** The plant server's client trust list (--trust-clients folder) with a plain Milo client, and its options. */
class PlantOpcUaServerSecurityTest {

    @TempDir
    Path dir;

    @Test
    void folderTrustAcceptsAClientOnlyOnceItsCertificateIsInTrustedCerts() throws Exception {
        PlantOpcUaServer.Security security = new PlantOpcUaServer.Security(true, false, true, dir.resolve("pki"),
                false, null);
        try (PlantOpcUaServer server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null,
                new PlantSimulator(42, 5, List.of(), PlantSimulator.DEFAULT_ASSETS), security).start()) {
            assertThat(server.certificateFile()).isRegularFile();
            KeyPair kp = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
            X509Certificate cert = new SelfSignedCertificateBuilder(kp).setCommonName("test client")
                    .setApplicationUri("urn:test:client").addDnsName("localhost").build();

            assertThatThrownBy(() -> connect(server, kp, cert)).as("untrusted client");
            Path rejected = dir.resolve("pki/rejected/certs");
            assertThat(rejected).isDirectoryContaining(p -> p.toString().endsWith(".der"));

            Files.write(server.trustedClientsDir().resolve("test-client.der"), cert.getEncoded());
            Thread.sleep(1500); // Milo's trust list watches the folder
            connect(server, kp, cert);
        }
    }

    @Test
    void securityOptions() {
        OpcUaServerCommand cmd = new OpcUaServerCommand();
        new CommandLine(cmd).parseArgs("--security", "sign-encrypt,none", "--pki", dir.toString(),
                "--trust-clients", "folder", "--user-certs", dir.resolve("users").toString());
        PlantOpcUaServer.Security s = cmd.securityOptions();
        assertThat(s.allowNone()).isTrue();
        assertThat(s.sign()).isFalse();
        assertThat(s.signAndEncrypt()).isTrue();
        assertThat(s.trustAllClients()).isFalse();
        assertThat(s.userCertificates()).isEqualTo(dir.resolve("users"));

        OpcUaServerCommand plain = new OpcUaServerCommand();
        new CommandLine(plain).parseArgs();
        assertThat(plain.securityOptions().secure()).isFalse();
        assertThat(plain.securityOptions().pkiDir()).isNull();

        OpcUaServerCommand bad = new OpcUaServerCommand();
        new CommandLine(bad).parseArgs("--security", "encrypt");
        assertThatThrownBy(bad::securityOptions).hasMessageContaining("not one of none, sign, sign-encrypt");
    }

    private static void connect(PlantOpcUaServer server, KeyPair kp, X509Certificate cert) throws Exception {
        OpcUaClient client = OpcUaClient.create(server.endpointUrl(),
                endpoints -> endpoints.stream()
                        .filter(e -> SecurityPolicy.Basic256Sha256.getUri().equals(e.getSecurityPolicyUri()))
                        .filter(e -> e.getSecurityMode() == MessageSecurityMode.SignAndEncrypt)
                        .findFirst().or(Optional::empty),
                transport -> { },
                b -> b.setApplicationUri("urn:test:client").setKeyPair(kp).setCertificate(cert)
                        .setCertificateChain(new X509Certificate[] {cert})
                        .setCertificateValidator((chain, uri, hosts) -> { }));
        try {
            client.connect();
        } finally {
            client.disconnect();
        }
    }
}

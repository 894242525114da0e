package io.edgegateway.connector.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.SecurityPolicy;
import org.eclipse.milo.opcua.stack.core.types.enumerated.DeadbandType;
import org.eclipse.milo.opcua.stack.core.types.enumerated.MessageSecurityMode;
import org.eclipse.milo.opcua.stack.core.util.CertificateUtil;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecurityTest {

    @TempDir
    Path dir;

    @Test
    void ownCertificateIsCreatedOnceWithTheApplicationUriInTheSubjectAltName() throws Exception {
        Pki pki = new Pki(Pki.dir(null, dir.toString()));
        assertThat(pki.root()).isEqualTo(dir.resolve("data/opcua/pki"));
        Pki.Own first = pki.loadOrCreate("urn:edgegateway:gw-1:opcua-client");
        assertThat(first.created()).isTrue();
        assertThat(CertificateUtil.getSanUri(first.certificate())).contains("urn:edgegateway:gw-1:opcua-client");
        assertThat(pki.certificateFile()).isRegularFile();
        assertThat(Files.readString(pki.keyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(pki.trusted()).isDirectory();
        assertThat(pki.rejected()).isDirectory();

        Pki.Own again = pki.loadOrCreate("urn:other");
        assertThat(again.created()).isFalse();
        assertThat(again.certificate()).isEqualTo(first.certificate());
        assertThat(again.keyPair().getPrivate().getEncoded()).isEqualTo(first.keyPair().getPrivate().getEncoded());
        assertThat(again.applicationUri()).isEqualTo("urn:edgegateway:gw-1:opcua-client");
    }

    @Test
    void untrustedServerCertificateIsRejectedIntoAFileThatTrustsItOnceMoved() throws Exception {
        Pki pki = new Pki(dir.resolve("pki"));
        pki.loadOrCreate("urn:x");
        X509Certificate server = selfSigned("Plant server", "urn:plant");
        List<String> reported = new ArrayList<>();
        TrustListValidator validator = new TrustListValidator(pki, reported::add);

        assertThatThrownBy(() -> validator.validateCertificateChain(List.of(server), "urn:plant", null))
                .isInstanceOf(UaException.class)
                .hasMessageContaining("is not trusted")
                .hasMessageContaining("move that file to " + pki.trusted());
        Path rejected = pki.rejected().resolve(Pki.fileName(server));
        assertThat(rejected).isRegularFile();
        assertThat(rejected.getFileName().toString()).startsWith("Plant_server-").endsWith(".der");
        assertThat(reported).singleElement().asString().contains(rejected.toString());

        Files.move(rejected, pki.trusted().resolve(rejected.getFileName()));
        validator.validateCertificateChain(List.of(server), "urn:plant", new String[] {"somehost"});

        // another certificate with the same name is still not trusted
        X509Certificate impostor = selfSigned("Plant server", "urn:plant");
        assertThatThrownBy(() -> validator.validateCertificateChain(List.of(impostor), null, null))
                .isInstanceOf(UaException.class);
    }

    @Test
    void pemCertificateInTheTrustListCountsToo() throws Exception {
        Pki pki = new Pki(dir.resolve("pki"));
        pki.loadOrCreate("urn:x");
        X509Certificate server = selfSigned("pem server", "urn:pem");
        String pem = "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                server.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        Files.writeString(pki.trusted().resolve("README.txt"), "not a certificate");
        List<String> reported = new ArrayList<>();
        TrustListValidator validator = new TrustListValidator(pki, reported::add);
        // not trusted yet: the README beside it does not count
        assertThatThrownBy(() -> validator.validateCertificateChain(List.of(server), null, null))
                .isInstanceOf(UaException.class).hasMessageContaining("is not trusted");
        assertThat(reported).hasSize(1);

        Files.writeString(pki.trusted().resolve("server.pem"), pem);
        org.assertj.core.api.Assertions.assertThatCode(
                () -> validator.validateCertificateChain(List.of(server), null, null)).doesNotThrowAnyException();
        assertThat(reported).as("nothing more rejected once the PEM file is trusted").hasSize(1);
    }

    @Test
    void userKeyFilesAndKeyStoreAreRead() throws Exception {
        KeyPair kp = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        X509Certificate cert = new SelfSignedCertificateBuilder(kp).setCommonName("operator-1").build();
        Path key = dir.resolve("user.key");
        Files.writeString(key, Pem.privateKey(kp.getPrivate()));
        assertThat(Pem.readPrivateKey(key).getEncoded()).isEqualTo(kp.getPrivate().getEncoded());

        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("op", kp.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert});
        Path p12 = dir.resolve("user.p12");
        try (var out = Files.newOutputStream(p12)) {
            ks.store(out, "pw".toCharArray());
        }
        Pem.KeyAndChain kc = Pem.readKeyStore(p12, "pw".toCharArray(), null);
        assertThat(kc.chain()).containsExactly(cert);
        assertThatThrownBy(() -> Pem.readKeyStore(p12, "pw".toCharArray(), "nope"))
                .hasMessageContaining("no private key entry named 'nope'");
    }

    @Test
    void securitySettingsAreValidated() {
        OpcUaTelemetrySource.Settings none = OpcUaTelemetrySource.validate(config(Map.of()));
        assertThat(none.policy()).isEqualTo(SecurityPolicy.None);
        assertThat(none.mode()).isEqualTo(MessageSecurityMode.None);

        OpcUaTelemetrySource.Settings secure = OpcUaTelemetrySource.validate(config(Map.of(
                "security_policy", "Basic256Sha256")));
        assertThat(secure.mode()).isEqualTo(MessageSecurityMode.SignAndEncrypt);
        assertThat(OpcUaTelemetrySource.validate(config(Map.of("security_policy", "Basic256Sha256",
                "security_mode", "Sign"))).mode()).isEqualTo(MessageSecurityMode.Sign);

        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(config(Map.of("security_policy", "Basic128Rsa15"))))
                .hasMessageContaining("security.policy 'Basic128Rsa15' is not supported");
        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(config(Map.of("security_mode", "Sign"))))
                .hasMessageContaining("does not fit security.policy");
        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(config(Map.of("user_certificate", "u.pem"))))
                .hasMessageContaining("needs both user.certificate and user.key");
        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(config(Map.of("user_keystore", "u.p12",
                "username", "op")))).hasMessageContaining("not both");
        OpcUaTelemetrySource.Settings x509 = OpcUaTelemetrySource.validate(config(Map.of(
                "user_certificate", "u.pem", "user_key", "u.key")));
        assertThat(x509.userCertificate().certificate()).isEqualTo("u.pem");
        assertThatThrownBy(() -> OpcUaTelemetrySource.validate(config(Map.of("deadband", new String[] {"abs:x"}))))
                .hasMessageContaining("deadband: 'abs:x': the deadband needs a number");
    }

    @Test
    void deadbandEntries() {
        List<Deadband> rules = Deadband.parseAll(new String[] {"*/vibration=absolute:0.2, pump-?/*=percent:5",
                "motor-1/current=none", "absolute:1"});
        assertThat(Deadband.forVariable(rules, "pump-1", "vibration").value()).isEqualTo(0.2);
        assertThat(Deadband.forVariable(rules, "pump-1", "flow").type()).isEqualTo(DeadbandType.Percent);
        assertThat(Deadband.forVariable(rules, "motor-1", "current").filter()).isNull();
        assertThat(Deadband.forVariable(rules, "motor-1", "speed").describe()).isEqualTo("absolute:1.0");
        assertThat(Deadband.forVariable(List.of(), "a", "b")).isNull();
        assertThat(Deadband.parse("percent:5").filter().getDeadbandType().intValue())
                .isEqualTo(DeadbandType.Percent.getValue());
        assertThatThrownBy(() -> Deadband.parse("percent:150")).hasMessageContaining("<= 100");
        assertThatThrownBy(() -> Deadband.parse("pump-1=absolute:1")).hasMessageContaining("<asset>/<signal>");
        assertThatThrownBy(() -> Deadband.parse("relative:1")).hasMessageContaining("expected absolute");
    }

    private static X509Certificate selfSigned(String cn, String uri) throws Exception {
        KeyPair kp = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
        return new SelfSignedCertificateBuilder(kp).setCommonName(cn).setApplicationUri(uri)
                .addDnsName("localhost").build();
    }

    /** A Config with defaults, nodes and endpoint set, and the given overrides (method name to value). */
    static OpcUaTelemetrySource.Config config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>();
        values.put("endpoint_url", "opc.tcp://localhost:4840/plant");
        values.put("nodes", new String[] {"Objects/Plant/*/*"});
        values.putAll(overrides);
        return (OpcUaTelemetrySource.Config) java.lang.reflect.Proxy.newProxyInstance(
                SecurityTest.class.getClassLoader(), new Class<?>[] {OpcUaTelemetrySource.Config.class},
                (proxy, method, args) -> {
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    if (method.getName().equals("annotationType")) {
                        return OpcUaTelemetrySource.Config.class;
                    }
                    Object def = method.getDefaultValue();
                    if (def == null && method.getReturnType() == String.class) {
                        return null;
                    }
                    return def;
                });
    }
}

package io.edgegateway.mqtt.support;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for TLS tests: a CA, server certificates (DNS and IP names) and client
 * certificates, written as PEM files the way an operator receives them (certificate, and an unencrypted key as
 * PKCS#8 or in the traditional PKCS#1 / SEC1 form).
 */
public final class TestPki {

    /** How a private key is written. */
    public enum KeyFormat { PKCS8, TRADITIONAL }

    /** Key algorithm of an issued certificate. */
    public enum KeyType { EC, RSA }

    /** A certificate and key on disk. */
    public record Issued(Path cert, Path key, X509Certificate certificate, KeyPair keys) {
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final Path caFile;

    private TestPki(Path dir, String name, KeyPair caKeys, X509Certificate caCert, Path caFile) {
        this.dir = dir;
        this.name = name;
        this.caKeys = caKeys;
        this.caCert = caCert;
        this.caFile = caFile;
    }

    /** A new CA named {@code CN=<name>}; its certificate is {@code dir/<name>-ca.pem}. */
    public static TestPki create(Path dir, String name) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        KeyPair keys = keyPair(KeyType.EC);
        X500Name subject = new X500Name("CN=" + name + ",O=Edge Gateway tests");
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = builder(subject, subject, keys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        X509Certificate cert = sign(b, keys);
        Path file = dir.resolve(name + "-ca.pem");
        writePem(file, "CERTIFICATE", cert.getEncoded());
        return new TestPki(dir, name, keys, cert, file);
    }

    public Path caFile() {
        return caFile;
    }

    public X509Certificate caCertificate() {
        return caCert;
    }

    /** A server certificate for {@code dnsNames} and {@code ips} (e.g. localhost, 127.0.0.1), EC key in PKCS#8. */
    public Issued server(String file, List<String> dnsNames, List<String> ips)
            throws IOException, GeneralSecurityException {
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        ips.forEach(n -> names.add(new GeneralName(GeneralName.iPAddress, n)));
        String cn = dnsNames.isEmpty() ? ips.get(0) : dnsNames.get(0);
        return issue(file, cn, KeyPurposeId.id_kp_serverAuth, names, KeyType.EC, KeyFormat.PKCS8);
    }

    /** A client certificate {@code CN=<cn>}. */
    public Issued client(String file, String cn, KeyType type, KeyFormat format)
            throws IOException, GeneralSecurityException {
        return issue(file, cn, KeyPurposeId.id_kp_clientAuth, List.of(), type, format);
    }

    private Issued issue(String file, String cn, KeyPurposeId purpose, List<GeneralName> names, KeyType type,
                         KeyFormat format) throws IOException, GeneralSecurityException {
        KeyPair keys = keyPair(type);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = builder(new X500Name("CN=" + name + ",O=Edge Gateway tests"),
                new X500Name("CN=" + cn + ",O=Edge Gateway tests"), keys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
                | KeyUsage.keyEncipherment | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        if (!names.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(new GeneralName[0])));
        }
        X509Certificate cert = sign(b, caKeys);
        Path certFile = dir.resolve(file + ".pem");
        Path keyFile = dir.resolve(file + ".key");
        writePem(certFile, "CERTIFICATE", cert.getEncoded());
        writeKey(keyFile, keys, format);
        return new Issued(certFile, keyFile, cert, keys);
    }

    /** Writes an unencrypted private key: PKCS#8 ("PRIVATE KEY") or PKCS#1 / SEC1 ("RSA/EC PRIVATE KEY"). */
    public static void writeKey(Path file, KeyPair keys, KeyFormat format) throws IOException {
        byte[] pkcs8 = keys.getPrivate().getEncoded();
        if (format == KeyFormat.PKCS8) {
            writePem(file, "PRIVATE KEY", pkcs8);
            return;
        }
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        ASN1Encodable inner = info.parsePrivateKey();
        if (keys.getPrivate().getAlgorithm().equals("RSA")) {
            writePem(file, "RSA PRIVATE KEY", inner.toASN1Primitive().getEncoded());
            return;
        }
        // SEC1 as openssl writes it: with the named curve ([0]) and the public key ([1])
        ECPrivateKey ec = ECPrivateKey.getInstance(inner);
        SubjectPublicKeyInfo pub = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        ECPrivateKey sec1 = new ECPrivateKey(256, ec.getKey(), pub.getPublicKeyData(),
                info.getPrivateKeyAlgorithm().getParameters());
        writePem(file, "EC PRIVATE KEY", sec1.getEncoded());
    }

    public static void writePem(Path file, String label, byte[] der) throws IOException {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(file, "-----BEGIN " + label + "-----\n" + b64 + "\n-----END " + label + "-----\n");
    }

    static KeyPair keyPair(KeyType type) throws GeneralSecurityException {
        if (type == KeyType.RSA) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws GeneralSecurityException {
        try {
            String alg = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(alg).build(signer.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }
}

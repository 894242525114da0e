package io.edgegateway.connector.opcua.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Period;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.eclipse.milo.opcua.stack.core.util.CertificateUtil;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateBuilder;
import org.eclipse.milo.opcua.stack.core.util.SelfSignedCertificateGenerator;

/**
 * The connector's certificate folders, shared by all OPC UA sources of one gateway:
 * <pre>
 * &lt;pki&gt;/own/cert.der             the gateway's application instance certificate (give it to servers)
 * &lt;pki&gt;/own/private/key.pem      its private key (PKCS#8, readable by the owner only)
 * &lt;pki&gt;/trusted/                 server (or CA) certificates the gateway trusts: DER or PEM files
 * &lt;pki&gt;/rejected/                server certificates that were not trusted, for the user to inspect and move
 * </pre>
 * The trust list is read again on every validation, so a certificate moved into {@code trusted/} counts at the next
 * connection attempt, without a restart.
 */
final class Pki {

    /** Default location below the gateway home. */
    static final String DEFAULT_DIR = "data/opcua/pki";

    private static final Object CREATE_LOCK = new Object();

    /** The gateway's own certificate and key; {@code applicationUri} is the one in the certificate. */
    record Own(KeyPair keyPair, X509Certificate certificate, String applicationUri, boolean created) {
    }

    private final Path root;

    Pki(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** The PKI folder: the setting (relative to the gateway home), else {@code <home>/data/opcua/pki}. */
    static Path dir(String setting, String gatewayHome) {
        Path home = gatewayHome == null || gatewayHome.isBlank() ? null : Path.of(gatewayHome);
        if (setting != null && !setting.isBlank()) {
            Path p = Path.of(setting.strip());
            return p.isAbsolute() || home == null ? p : home.resolve(p);
        }
        return home == null ? Path.of(DEFAULT_DIR) : home.resolve(DEFAULT_DIR);
    }

    Path root() {
        return root;
    }

    Path trusted() {
        return root.resolve("trusted");
    }

    Path rejected() {
        return root.resolve("rejected");
    }

    Path certificateFile() {
        return root.resolve("own").resolve("cert.der");
    }

    Path keyFile() {
        return root.resolve("own").resolve("private").resolve("key.pem");
    }

    /**
     * Loads the gateway's certificate, creating the folders and a self-signed RSA 2048 / SHA-256 certificate (the
     * application URI in its SubjectAltName, as OPC UA requires) the first time.
     */
    Own loadOrCreate(String applicationUri) throws Exception {
        synchronized (CREATE_LOCK) {
            Files.createDirectories(trusted());
            Files.createDirectories(rejected());
            Files.createDirectories(keyFile().getParent());
            if (Files.isRegularFile(certificateFile()) && Files.isRegularFile(keyFile())) {
                X509Certificate cert = CertificateUtil.decodeCertificate(Files.readAllBytes(certificateFile()));
                PrivateKey key = Pem.readPrivateKey(keyFile());
                String uri = CertificateUtil.getSanUri(cert).orElse(applicationUri);
                return new Own(new KeyPair(cert.getPublicKey(), key), cert, uri, false);
            }
            KeyPair keyPair = SelfSignedCertificateGenerator.generateRsaKeyPair(2048);
            String host = localHostName();
            SelfSignedCertificateBuilder builder = new SelfSignedCertificateBuilder(keyPair)
                    .setCommonName("Edge Gateway OPC UA client")
                    .setOrganization("Edge Gateway")
                    .setApplicationUri(applicationUri)
                    .setValidityPeriod(Period.ofYears(5))
                    .addDnsName(host);
            if (!host.equals("localhost")) {
                builder.addDnsName("localhost");
            }
            X509Certificate cert = builder.build();
            writeAtomically(keyFile(), Pem.privateKey(keyPair.getPrivate()).getBytes(StandardCharsets.US_ASCII), true);
            writeAtomically(certificateFile(), cert.getEncoded(), false);
            return new Own(keyPair, cert, applicationUri, true);
        }
    }

    /** Every certificate in {@code trusted/} (DER or PEM; unreadable files are skipped and reported). */
    List<X509Certificate> trustedCertificates(List<String> problems) {
        List<X509Certificate> certs = new ArrayList<>();
        if (!Files.isDirectory(trusted())) {
            return certs;
        }
        try (Stream<Path> files = Files.list(trusted())) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                try {
                    certs.addAll(readCertificates(f));
                } catch (Exception e) {
                    problems.add(f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            problems.add(trusted() + ": " + e.getMessage());
        }
        return certs;
    }

    /** Writes an untrusted certificate to {@code rejected/} (once per certificate) and returns the file. */
    Path reject(X509Certificate certificate) throws IOException, GeneralSecurityException {
        Files.createDirectories(rejected());
        Path file = rejected().resolve(fileName(certificate));
        if (!Files.exists(file)) {
            writeAtomically(file, certificate.getEncoded(), false);
        }
        return file;
    }

    /** {@code <common name>-<SHA-1 thumbprint>.der}, safe as a file name. */
    static String fileName(X509Certificate certificate) throws GeneralSecurityException {
        String cn = commonName(certificate);
        String safe = cn.replaceAll("[^A-Za-z0-9._-]+", "_");
        if (safe.isBlank() || safe.length() > 64) {
            safe = safe.isBlank() ? "certificate" : safe.substring(0, 64);
        }
        return safe + "-" + thumbprint(certificate) + ".der";
    }

    static String thumbprint(X509Certificate certificate) throws GeneralSecurityException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()))
                .toLowerCase(Locale.ROOT);
    }

    static String commonName(X509Certificate certificate) {
        String dn = certificate.getSubjectX500Principal().getName();
        for (String part : dn.split(",")) {
            String p = part.strip();
            if (p.regionMatches(true, 0, "CN=", 0, 3)) {
                return p.substring(3);
            }
        }
        return dn;
    }

    static List<X509Certificate> readCertificates(Path file) throws IOException, GeneralSecurityException {
        byte[] bytes = Files.readAllBytes(file);
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (var c : factory.generateCertificates(new java.io.ByteArrayInputStream(bytes))) {
            certs.add((X509Certificate) c);
        }
        if (certs.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + file);
        }
        return certs;
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static void writeAtomically(Path target, byte[] content, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
        }
        Files.write(tmp, content);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

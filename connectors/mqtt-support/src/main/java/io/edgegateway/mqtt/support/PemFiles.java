package io.edgegateway.mqtt.support;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Certificates and private keys from PEM files, with the JDK only: certificates ({@code CERTIFICATE}, one or more
 * per file), keys as PKCS#8 ({@code PRIVATE KEY}: RSA, EC, Ed25519/Ed448), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1
 * ({@code EC PRIVATE KEY}). Encrypted keys are refused with a hint. Every failure is a {@link TlsSetupException}
 * naming the setting and the file.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /** A PEM block: its label ("CERTIFICATE", "PRIVATE KEY", ...), headers present or not, and its bytes. */
    record Block(String label, boolean encryptedHeader, byte[] der) {
    }

    /** Reads all certificates of a PEM (or DER) file. */
    public static List<X509Certificate> certificates(String setting, Path file) throws TlsSetupException {
        byte[] bytes = read(setting, file);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : cf.generateCertificates(new ByteArrayInputStream(bytes))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new TlsSetupException(setting, file, "contains no certificate (expected PEM blocks "
                        + "'-----BEGIN CERTIFICATE-----')");
            }
            return out;
        } catch (CertificateException | RuntimeException e) {
            throw new TlsSetupException(setting, file, "is not a PEM certificate file: " + e.getMessage(), e);
        }
    }

    /** Reads the private key of a PEM file (the first key block; other blocks such as EC PARAMETERS are skipped). */
    public static PrivateKey privateKey(String setting, Path file) throws TlsSetupException {
        byte[] bytes = read(setting, file);
        List<Block> blocks = blocks(new String(bytes, StandardCharsets.US_ASCII));
        for (Block b : blocks) {
            switch (b.label()) {
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted(setting, file);
                case "PRIVATE KEY" -> {
                    return pkcs8(setting, file, b.der());
                }
                case "RSA PRIVATE KEY" -> {
                    if (b.encryptedHeader()) {
                        throw encrypted(setting, file);
                    }
                    return pkcs8(setting, file, rsaToPkcs8(b.der()));
                }
                case "EC PRIVATE KEY" -> {
                    if (b.encryptedHeader()) {
                        throw encrypted(setting, file);
                    }
                    return pkcs8(setting, file, ecToPkcs8(setting, file, b.der()));
                }
                default -> {
                    // e.g. EC PARAMETERS, CERTIFICATE: not the key
                }
            }
        }
        throw new TlsSetupException(setting, file, "contains no private key (expected a PEM block 'PRIVATE KEY', "
                + "'RSA PRIVATE KEY' or 'EC PRIVATE KEY'" + (blocks.isEmpty() ? "; the file is not PEM" : "; found "
                + blocks.stream().map(Block::label).toList()) + ")");
    }

    /**
     * Checks that {@code key} belongs to {@code certificate} by signing a random challenge and verifying it with the
     * certificate's public key.
     */
    public static void checkKeyMatches(PrivateKey key, X509Certificate certificate, String keySetting, Path keyFile,
                                       String certSetting, Path certFile) throws TlsSetupException {
        PublicKey pub = certificate.getPublicKey();
        String why = "does not belong to the certificate in " + certSetting + " (" + certFile + ", subject '"
                + certificate.getSubjectX500Principal().getName() + "')";
        String ka = keyAlgorithm(key.getAlgorithm());
        String ca = keyAlgorithm(pub.getAlgorithm());
        if (!ka.equals(ca)) {
            throw new TlsSetupException(keySetting, keyFile, why + ": the key is " + key.getAlgorithm()
                    + ", the certificate's key " + pub.getAlgorithm());
        }
        String alg = switch (ka) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (alg == null) {
            return; // e.g. RSASSA-PSS: nothing cheap to check; the handshake will tell
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(challenge);
            if (!v.verify(sig)) {
                throw new TlsSetupException(keySetting, keyFile, why);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new TlsSetupException(keySetting, keyFile, why + ": " + e.getMessage(), e);
        }
    }

    private static String keyAlgorithm(String a) {
        String u = a.toUpperCase(Locale.ROOT);
        return switch (u) {
            case "ECDSA", "EC" -> "EC";
            case "ED25519", "ED448", "EDDSA" -> "EdDSA";
            default -> u.equals("RSA") ? "RSA" : a;
        };
    }

    private static TlsSetupException encrypted(String setting, Path file) {
        return new TlsSetupException(setting, file, "holds an encrypted private key, which is not supported: store "
                + "it unencrypted and readable only by the gateway's user (e.g. openssl pkcs8 -topk8 -nocrypt -in "
                + "KEY -out KEY.pem)");
    }

    static byte[] read(String setting, Path file) throws TlsSetupException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsSetupException(setting, file, "does not exist", e);
        } catch (AccessDeniedException e) {
            throw new TlsSetupException(setting, file, "cannot be read (permission denied for this user)", e);
        } catch (IOException | RuntimeException e) {
            throw new TlsSetupException(setting, file, "cannot be read: " + e, e);
        }
    }

    static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", from);
            if (begin < 0) {
                return out;
            }
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) {
                return out;
            }
            String label = text.substring(begin + 11, labelEnd).strip();
            String endMarker = "-----END " + label + "-----";
            int end = text.indexOf(endMarker, labelEnd);
            if (end < 0) {
                return out;
            }
            String body = text.substring(labelEnd + 5, end);
            boolean encrypted = false;
            StringBuilder b64 = new StringBuilder();
            for (String line : body.split("\\R")) {
                String l = line.strip();
                if (l.contains(":")) { // RFC 1421 headers, e.g. Proc-Type: 4,ENCRYPTED
                    encrypted |= l.toUpperCase(Locale.ROOT).contains("ENCRYPTED");
                    continue;
                }
                b64.append(l);
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(b64.toString());
            } catch (IllegalArgumentException e) {
                der = new byte[0];
            }
            out.add(new Block(label, encrypted, der));
            from = end + endMarker.length();
        }
    }

    private static PrivateKey pkcs8(String setting, Path file, byte[] der) throws TlsSetupException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String alg : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                last = e instanceof GeneralSecurityException g ? g : new GeneralSecurityException(e);
            }
        }
        throw new TlsSetupException(setting, file, "holds a private key that cannot be decoded (RSA, EC, Ed25519, "
                + "Ed448, RSASSA-PSS or DSA expected): " + (last == null ? "" : last.getMessage()), last);
    }

    // ---- minimal DER, enough to wrap PKCS#1 and SEC1 keys into PKCS#8

    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
            0x01};
    private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};

    static byte[] rsaToPkcs8(byte[] pkcs1) {
        return tlv(0x30, concat(VERSION_0, RSA_ALGORITHM, tlv(0x04, pkcs1)));
    }

    static byte[] ecToPkcs8(String setting, Path file, byte[] sec1) throws TlsSetupException {
        // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, [0] parameters OID, [1] key }
        byte[] curve = null;
        try {
            int[] seq = header(sec1, 0);
            int p = seq[0];
            int end = p + seq[1];
            while (p < end) {
                int tag = sec1[p] & 0xff;
                int[] h = header(sec1, p);
                if (tag == 0xa0) {
                    int[] inner = header(sec1, h[0]);
                    int innerLen = inner[0] - h[0] + inner[1];
                    curve = java.util.Arrays.copyOfRange(sec1, h[0], h[0] + innerLen);
                }
                p = h[0] + h[1];
            }
        } catch (RuntimeException e) {
            throw new TlsSetupException(setting, file, "holds an EC PRIVATE KEY block that is not valid DER", e);
        }
        if (curve == null || curve[0] != 0x06) {
            throw new TlsSetupException(setting, file, "holds an EC PRIVATE KEY without a named curve; convert it "
                    + "to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)");
        }
        return tlv(0x30, concat(VERSION_0, tlv(0x30, concat(EC_PUBLIC_KEY_OID, curve)), tlv(0x04, sec1)));
    }

    /** {start of content, content length} of the TLV at {@code at}. */
    private static int[] header(byte[] der, int at) {
        int p = at + 1;
        int len = der[p++] & 0xff;
        if (len >= 0x80) {
            int n = len & 0x7f;
            if (n == 0 || n > 3) {
                throw new IllegalArgumentException("unsupported DER length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[p++] & 0xff);
            }
        }
        if (p + len > der.length) {
            throw new IllegalArgumentException("truncated DER");
        }
        return new int[] {p, len};
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}

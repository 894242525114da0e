package io.edgegateway.deploy.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The artifact signature format, in one place: a detached Ed25519 signature over the 32 bytes of the artifact's
 * SHA-256, in a file {@code <artifact>.sig} beside it (the 64 signature bytes, raw as {@code openssl pkeyutl} writes
 * them, or Base64 text). Keys are PEM: a PKCS#8 {@code PRIVATE KEY} and an X.509 SubjectPublicKeyInfo
 * {@code PUBLIC KEY}, exactly what {@code openssl genpkey -algorithm ed25519} and {@code openssl pkey -pubout}
 * write. The same with openssl alone:
 *
 * <pre>
 * openssl genpkey -algorithm ed25519 -out site.key.pem
 * openssl pkey -in site.key.pem -pubout -out site.pem
 * openssl dgst -sha256 -binary rules.jar &gt; rules.jar.sha256
 * openssl pkeyutl -sign -inkey site.key.pem -rawin -in rules.jar.sha256 -out rules.jar.sig
 * openssl pkeyutl -verify -pubin -inkey site.pem -rawin -in rules.jar.sha256 -sigfile rules.jar.sig
 * </pre>
 */
public final class ArtifactSignatures {

    /** The signature file of {@code x.jar} is {@code x.jar.sig}. */
    public static final String SIGNATURE_SUFFIX = ".sig";

    /** Ed25519 signatures are 64 bytes. */
    public static final int SIGNATURE_BYTES = 64;

    static final String ALGORITHM = "Ed25519";
    private static final String PRIVATE_PEM = "PRIVATE KEY";
    private static final String PUBLIC_PEM = "PUBLIC KEY";

    private ArtifactSignatures() {
    }

    /** The signature file beside an artifact. */
    public static Path signatureFile(Path artifact) {
        return artifact.resolveSibling(artifact.getFileName() + SIGNATURE_SUFFIX);
    }

    public static byte[] sha256(Path file) throws IOException {
        MessageDigest md = sha256Digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    public static byte[] sha256(byte[] data) {
        return sha256Digest().digest(data);
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** A new Ed25519 key pair. */
    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no Ed25519 (Java 15 or newer has it)", e);
        }
    }

    /**
     * Writes a key pair as PEM: the private key readable by its owner only (where the file system has POSIX
     * permissions), the public key beside it.
     */
    public static void writeKeyPair(KeyPair pair, Path privateFile, Path publicFile) throws IOException {
        Files.createDirectories(privateFile.toAbsolutePath().getParent());
        Files.createDirectories(publicFile.toAbsolutePath().getParent());
        Path tmp = privateFile.resolveSibling("." + privateFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, pem(PRIVATE_PEM, pair.getPrivate().getEncoded()));
        Files.move(tmp, privateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        writeAtomically(publicFile, pem(PUBLIC_PEM, pair.getPublic().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    }

    public static PrivateKey readPrivateKey(Path file) throws KeyFileException {
        byte[] der = pemBlock(file, PRIVATE_PEM);
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFileException(file + ": not an Ed25519 private key (" + e.getMessage()
                    + "); make one with: gateway keygen --out DIR, or openssl genpkey -algorithm ed25519");
        }
    }

    public static PublicKey readPublicKey(Path file) throws KeyFileException {
        byte[] der = pemBlock(file, PUBLIC_PEM);
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new KeyFileException(file + ": not an Ed25519 public key (" + e.getMessage() + ")");
        }
    }

    /** Eight hex digits of the SHA-256 of the encoded public key: short, stable, printable. */
    public static String fingerprint(PublicKey key) {
        return hex(sha256(key.getEncoded())).substring(0, 8);
    }

    /** The signature of a digest (the artifact's SHA-256). */
    public static byte[] sign(PrivateKey key, byte[] sha256) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(key);
            s.update(sha256);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
        }
    }

    /** Signs {@code artifact} and writes {@code <artifact>.sig} (raw bytes, written atomically). */
    public static Path signFile(PrivateKey key, Path artifact) throws IOException {
        Path sig = signatureFile(artifact);
        writeAtomically(sig, sign(key, sha256(artifact)));
        return sig;
    }

    /** Whether {@code signature} is {@code key}'s signature of {@code sha256}. */
    public static boolean verifies(PublicKey key, byte[] sha256, byte[] signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(sha256);
            return s.verify(signature);
        } catch (InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException e) {
            return false; // a malformed signature is one that does not verify
        }
    }

    /**
     * The 64 signature bytes of a signature file: raw, or Base64 text (whitespace ignored).
     *
     * @throws KeyFileException with the reason when it is neither
     */
    public static byte[] readSignature(Path file) throws KeyFileException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KeyFileException("cannot read " + file.getFileName() + ": " + describe(e));
        }
        if (content.length == SIGNATURE_BYTES) {
            return content;
        }
        String text = new String(content, StandardCharsets.US_ASCII).replaceAll("\\s", "");
        try {
            byte[] decoded = Base64.getDecoder().decode(text);
            if (decoded.length == SIGNATURE_BYTES) {
                return decoded;
            }
        } catch (IllegalArgumentException e) {
            // neither raw nor Base64: reported below
        }
        throw new KeyFileException(file.getFileName() + " is " + content.length + " bytes, not a " + SIGNATURE_BYTES
                + "-byte Ed25519 signature (raw or Base64)");
    }

    /** Writes through a temporary file in the same folder, then renames: readers never see half a file. */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try { // signatures and public keys are for everyone to read (a temporary file is the owner's only)
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system
            }
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] pemBlock(Path file, String type) throws KeyFileException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new KeyFileException("cannot read key file " + file + ": " + describe(e));
        }
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            String other = text.contains("-----BEGIN ") ? text.substring(text.indexOf("-----BEGIN ") + 11,
                    Math.max(text.indexOf("-----BEGIN ") + 11, text.indexOf("-----", text.indexOf("-----BEGIN ") + 11)))
                    : null;
            throw new KeyFileException(file + ": no '" + begin + "' block" + (other == null ? " (not a PEM file)"
                    : " (it holds a " + other + ")"));
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new KeyFileException(file + ": the " + type + " block is not valid Base64");
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A key or signature file that cannot be used; the message says which file and why. */
    public static final class KeyFileException extends Exception {
        private static final long serialVersionUID = 1L;

        public KeyFileException(String message) {
            super(message);
        }
    }
}

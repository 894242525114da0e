package io.edgegateway.deploy.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactSignaturesTest {

    @TempDir
    Path dir;

    Path trust;
    Path key;
    Path artifact;

    @BeforeEach
    void setUp() throws Exception {
        trust = Files.createDirectories(dir.resolve("trust"));
        key = dir.resolve("keys/site.key.pem");
        ArtifactSignatures.writeKeyPair(ArtifactSignatures.generate(), key, trust.resolve("site.pem"));
        artifact = dir.resolve("rules.jar");
        byte[] content = new byte[10_000];
        new Random(1).nextBytes(content);
        Files.write(artifact, content);
    }

    @Test
    void aSignedArtifactVerifiesAndNamesTheKey() throws Exception {
        Path sig = ArtifactSignatures.signFile(ArtifactSignatures.readPrivateKey(key), artifact);
        assertThat(sig.getFileName().toString()).isEqualTo("rules.jar.sig");
        assertThat(Files.size(sig)).isEqualTo(64);
        Verification v = TrustedKeys.load(trust).verify(artifact, sig);
        assertThat(v.status()).isEqualTo(Verification.Status.VERIFIED);
        assertThat(v.signer()).isEqualTo("site");
        assertThat(v.sha256()).isEqualTo(ArtifactSignatures.hex(ArtifactSignatures.sha256(artifact)));
    }

    @Test
    void everyFlippedByteIsCaught() throws Exception {
        Path sig = ArtifactSignatures.signFile(ArtifactSignatures.readPrivateKey(key), artifact);
        TrustedKeys keys = TrustedKeys.load(trust);
        byte[] original = Files.readAllBytes(artifact);
        for (int offset : List.of(0, 1, 777, original.length / 2, original.length - 1)) {
            byte[] tampered = original.clone();
            tampered[offset] ^= 0x10;
            Files.write(artifact, tampered);
            Verification v = keys.verify(artifact, sig);
            assertThat(v.status()).as("offset %d", offset).isEqualTo(Verification.Status.BAD_SIGNATURE);
            assertThat(v.reason()).contains("rules.jar.sig").contains("does not verify with any trusted key (site)")
                    .contains("rules.jar was changed after it was signed");
        }
    }

    @Test
    void aForeignKeyIsNotTrusted() throws Exception {
        KeyPair foreign = ArtifactSignatures.generate();
        Path sig = ArtifactSignatures.signFile(foreign.getPrivate(), artifact);
        assertThat(TrustedKeys.load(trust).verify(artifact, sig).status())
                .isEqualTo(Verification.Status.BAD_SIGNATURE);
        // trusting it too makes it verify, named by its file
        ArtifactSignatures.writeKeyPair(foreign, dir.resolve("foreign.key.pem"), trust.resolve("vendor-b.pem"));
        Verification v = TrustedKeys.load(trust).verify(artifact, sig);
        assertThat(v.status()).isEqualTo(Verification.Status.VERIFIED);
        assertThat(v.signer()).isEqualTo("vendor-b");
    }

    @Test
    void unsignedTruncatedAndBase64Signatures() throws Exception {
        TrustedKeys keys = TrustedKeys.load(trust);
        Verification unsigned = keys.verify(artifact, ArtifactSignatures.signatureFile(artifact));
        assertThat(unsigned.status()).isEqualTo(Verification.Status.UNSIGNED);
        assertThat(unsigned.reason()).contains("rules.jar has no signature (rules.jar.sig beside it)");

        Path sig = ArtifactSignatures.signFile(ArtifactSignatures.readPrivateKey(key), artifact);
        byte[] raw = Files.readAllBytes(sig);
        Files.write(sig, java.util.Arrays.copyOf(raw, 40));
        Verification truncated = keys.verify(artifact, sig);
        assertThat(truncated.status()).isEqualTo(Verification.Status.MALFORMED_SIGNATURE);
        assertThat(truncated.reason()).contains("rules.jar.sig is 40 bytes, not a 64-byte Ed25519 signature");

        Files.writeString(sig, Base64.getEncoder().encodeToString(raw) + "\n");
        assertThat(keys.verify(artifact, sig).status()).isEqualTo(Verification.Status.VERIFIED);
    }

    @Test
    void keysThatAreNotEd25519AreLeftOutWithAReason() throws Exception {
        Files.writeString(trust.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        Files.writeString(trust.resolve("notes.txt"), "not a key");
        TrustedKeys keys = TrustedKeys.load(trust);
        assertThat(keys.names()).isEqualTo("site");
        assertThat(keys.problems()).singleElement().asString().contains("broken.pem").contains("CERTIFICATE")
                .endsWith("ignored");
        assertThat(TrustedKeys.load(dir.resolve("none")).problems()).singleElement().asString()
                .contains("does not exist");
        assertThatThrownBy(() -> ArtifactSignatures.readPrivateKey(trust.resolve("site.pem")))
                .hasMessageContaining("no '-----BEGIN PRIVATE KEY-----' block").hasMessageContaining("PUBLIC KEY");
    }

    @Test
    void emptyTrustFolderVerifiesNothing() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path sig = ArtifactSignatures.signFile(ArtifactSignatures.readPrivateKey(key), artifact);
        Verification v = TrustedKeys.load(empty).verify(artifact, sig);
        assertThat(v.status()).isEqualTo(Verification.Status.NO_TRUSTED_KEYS);
    }

    /** The documented openssl commands produce and accept the same format (the "tool to sign" of the README). */
    @Test
    void opensslInteroperates() throws Exception {
        Assumptions.assumeTrue(run(List.of("openssl", "version")) == 0, "openssl not installed");
        Path osKey = dir.resolve("os.key.pem");
        Path osPub = trust.resolve("openssl-made.pem");
        assertThat(run(List.of("openssl", "genpkey", "-algorithm", "ed25519", "-out", osKey.toString()))).isZero();
        assertThat(run(List.of("openssl", "pkey", "-in", osKey.toString(), "-pubout", "-out", osPub.toString())))
                .isZero();
        Path digest = dir.resolve("rules.jar.sha256");
        Files.write(digest, ArtifactSignatures.sha256(artifact));
        Path sig = ArtifactSignatures.signatureFile(artifact);
        assertThat(run(List.of("openssl", "pkeyutl", "-sign", "-inkey", osKey.toString(), "-rawin", "-in",
                digest.toString(), "-out", sig.toString()))).isZero();
        Verification v = TrustedKeys.load(trust).verify(artifact, sig);
        assertThat(v.status()).isEqualTo(Verification.Status.VERIFIED);
        assertThat(v.signer()).isEqualTo("openssl-made");

        // and openssl verifies ours, with our PEM public key
        ArtifactSignatures.signFile(ArtifactSignatures.readPrivateKey(key), artifact);
        assertThat(run(List.of("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", trust.resolve("site.pem")
                .toString(), "-rawin", "-in", digest.toString(), "-sigfile", sig.toString()))).isZero();
        // Java reads openssl's private key too
        assertThat(ArtifactSignatures.readPrivateKey(osKey).getAlgorithm()).isIn("Ed25519", "EdDSA");
        assertThat(new String(Files.readAllBytes(osPub), StandardCharsets.US_ASCII)).contains("PUBLIC KEY");
    }

    private int run(List<String> cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log")
                    .toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}

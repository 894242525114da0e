package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;

import io.edgegateway.deploy.support.ArtifactSignatures;

/**
 * Bundles into a gateway's {@code deploy/} as an operator does it: signed (by default with the build's key, whose
 * public key the distribution trusts), the {@code .sig} in place first and the jar moved in atomically, so the
 * deployment agent never sees half a jar or a jar without its signature.
 */
public final class DeployArtifacts {

    private DeployArtifacts() {
    }

    /**
     * The build's private signing key ({@code gateway-runtime/target/signing/build.key.pem}, made by the build):
     * system property {@code signing.key}, else beside the distribution.
     */
    public static Path buildKeyFile() {
        String p = System.getProperty("signing.key");
        Path key = p != null ? Path.of(p) : GatewayProcess.distribution().getParent().resolve("signing/build.key.pem");
        if (!Files.isRegularFile(key)) {
            throw new IllegalStateException("no build signing key at " + key.toAbsolutePath()
                    + ": build the distribution (mvn package) first");
        }
        return key;
    }

    public static PrivateKey buildKey() throws IOException {
        try {
            return ArtifactSignatures.readPrivateKey(buildKeyFile());
        } catch (ArtifactSignatures.KeyFileException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** Signs {@code jar} with the build key: {@code jar.sig} beside it. */
    public static Path sign(Path jar) throws IOException {
        return ArtifactSignatures.signFile(buildKey(), jar);
    }

    /** Signs {@code jar} with the build key and drops it (and its signature) at {@code target} in deploy/. */
    public static void drop(Path jar, Path target) throws IOException {
        drop(jar, target, buildKey());
    }

    /** As {@link #drop(Path, Path)} with another key ({@code null}: unsigned; any old {@code .sig} is removed). */
    public static void drop(Path jar, Path target, PrivateKey key) throws IOException {
        Path sig = ArtifactSignatures.signatureFile(target);
        if (key == null) {
            Files.deleteIfExists(sig);
        } else {
            ArtifactSignatures.writeAtomically(sig, ArtifactSignatures.sign(key, ArtifactSignatures.sha256(jar)));
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Sets the deployment agent's health window in a home ({@code deploy/io.edgegateway.deployment.cfg}): tests that
     * deploy several bundles one after another shorten it (each operation waits for the one before to commit).
     */
    public static void healthWindow(Path home, int seconds) throws IOException {
        GatewayHomes.configure(home, "io.edgegateway.deployment.cfg", java.util.Map.of("health.window.s",
                Integer.toString(seconds)));
    }

    /** Removes a bundle and its signature from deploy/ (the jar first: its removal is what the agent acts on). */
    public static void remove(Path target) throws IOException {
        Files.deleteIfExists(target);
        Files.deleteIfExists(ArtifactSignatures.signatureFile(target));
    }
}

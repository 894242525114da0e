package io.edgegateway.deploy.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The public keys a gateway trusts: every {@code *.pem} file in its trust folder ({@code conf/trust/} of the home by
 * default). A key is named by its file name without {@code .pem}; that name is what a verification reports as the
 * signer. Files that are not Ed25519 public keys are left out and listed in {@link #problems()}.
 *
 * @param folder   where the keys were read from
 * @param keys     the usable keys, sorted by name
 * @param problems one line per file that was left out
 */
public record TrustedKeys(Path folder, List<Key> keys, List<String> problems) {

    public TrustedKeys {
        keys = List.copyOf(keys);
        problems = List.copyOf(problems);
    }

    /** One trusted key and the name it is reported by. */
    public record Key(String name, PublicKey key) {
    }

    /** Reads the folder now (a missing folder holds no keys; that is reported as a problem). */
    public static TrustedKeys load(Path folder) {
        List<Key> keys = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            problems.add("trust folder " + folder + " does not exist: no artifact can be verified");
            return new TrustedKeys(folder, keys, problems);
        }
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pem")).sorted().toList()) {
                String name = f.getFileName().toString();
                try {
                    keys.add(new Key(name.substring(0, name.length() - 4), ArtifactSignatures.readPublicKey(f)));
                } catch (ArtifactSignatures.KeyFileException e) {
                    problems.add("trusted key " + e.getMessage() + ": ignored");
                }
            }
        } catch (IOException e) {
            problems.add("cannot list trust folder " + folder + ": " + ArtifactSignatures.describe(e));
        }
        if (keys.isEmpty() && problems.isEmpty()) {
            problems.add("trust folder " + folder + " holds no *.pem public key: no artifact can be verified");
        }
        return new TrustedKeys(folder, keys, problems);
    }

    /** The names of the keys, for messages: {@code build-1a2b3c4d, site}. */
    public String names() {
        return keys.isEmpty() ? "none" : String.join(", ", keys.stream().map(Key::name).toList());
    }

    /**
     * Verifies an artifact against these keys.
     *
     * @param artifact  the file
     * @param signature its signature file, or {@code null} (or a missing file) when unsigned
     */
    public Verification verify(Path artifact, Path signature) throws IOException {
        byte[] sha = ArtifactSignatures.sha256(artifact);
        String hex = ArtifactSignatures.hex(sha);
        String file = artifact.getFileName().toString();
        if (signature == null || !Files.exists(signature)) {
            return new Verification(Verification.Status.UNSIGNED, hex, "", file + " has no signature ("
                    + file + ArtifactSignatures.SIGNATURE_SUFFIX + " beside it): sign it with 'gateway sign --key "
                    + "KEY.pem " + file + "'");
        }
        byte[] sig;
        try {
            sig = ArtifactSignatures.readSignature(signature);
        } catch (ArtifactSignatures.KeyFileException e) {
            return new Verification(Verification.Status.MALFORMED_SIGNATURE, hex, "", "signature " + e.getMessage());
        }
        if (keys.isEmpty()) {
            return new Verification(Verification.Status.NO_TRUSTED_KEYS, hex, "", "no trusted key in " + folder
                    + " to verify " + file + " with");
        }
        for (Key k : keys) {
            if (ArtifactSignatures.verifies(k.key(), sha, sig)) {
                return new Verification(Verification.Status.VERIFIED, hex, k.name(), file + " signed by " + k.name());
            }
        }
        return new Verification(Verification.Status.BAD_SIGNATURE, hex, "", "signature " + signature.getFileName()
                + " does not verify with any trusted key (" + names() + "): " + file + " was changed after it was "
                + "signed, or it was signed by a key this gateway does not trust (sha256 " + hex.substring(0, 12)
                + "...)");
    }
}

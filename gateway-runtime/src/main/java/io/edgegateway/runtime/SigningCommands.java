package io.edgegateway.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.Callable;

import io.edgegateway.deploy.support.ArtifactSignatures;
import io.edgegateway.deploy.support.TrustedKeys;
import io.edgegateway.deploy.support.Verification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The tool to sign: {@code gateway keygen}, {@code gateway sign}, {@code gateway verify}. The format is
 * {@link ArtifactSignatures}'s (Ed25519 over the artifact's SHA-256, PEM keys, {@code <artifact>.sig}); openssl
 * makes and checks the same files (README, "Signed artifacts").
 */
final class SigningCommands {

    private SigningCommands() {
    }

    @Command(name = "keygen", mixinStandardHelpOptions = true,
            description = {"Makes an Ed25519 signing key: DIR/NAME.key.pem (private, PKCS#8, readable by you only) "
                    + "and DIR/NAME.pem (public, X.509 SubjectPublicKeyInfo).",
                    "A gateway trusts the public key once it is in conf/trust/ of its home; keep the private key "
                            + "off the gateways."})
    static final class Keygen implements Callable<Integer> {

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the two files.")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "signing",
                description = "File name stem (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--if-missing", description = "Keep an existing key of that name instead of failing.")
        boolean ifMissing;

        @Option(names = "--trust-into", paramLabel = "DIR", description = "Also copy the public key into DIR "
                + "(a conf/trust/ folder) as NAME-<fingerprint>.pem.")
        Path trustInto;

        @Override
        public Integer call() throws Exception {
            Path privateFile = out.resolve(name + ".key.pem");
            Path publicFile = out.resolve(name + ".pem");
            if (Files.exists(privateFile) || Files.exists(publicFile)) {
                if (!ifMissing) {
                    System.err.println("gateway keygen: " + (Files.exists(privateFile) ? privateFile : publicFile)
                            + " exists: not overwriting a key (remove it first, or pass --if-missing to keep it)");
                    return 2;
                }
                System.out.println("Keeping the existing key " + privateFile);
            } else {
                KeyPair pair = ArtifactSignatures.generate();
                ArtifactSignatures.writeKeyPair(pair, privateFile, publicFile);
                System.out.println("Private key: " + privateFile + " (keep it secret)");
                System.out.println("Public key:  " + publicFile + " (fingerprint "
                        + ArtifactSignatures.fingerprint(pair.getPublic()) + "): copy it into conf/trust/ of every "
                        + "gateway that should accept what this key signs");
            }
            if (trustInto != null) {
                PublicKey key = ArtifactSignatures.readPublicKey(publicFile);
                Path trusted = trustInto.resolve(name + "-" + ArtifactSignatures.fingerprint(key) + ".pem");
                Files.createDirectories(trustInto);
                ArtifactSignatures.writeAtomically(trusted, Files.readAllBytes(publicFile));
                System.out.println("Trusted as " + trusted);
            }
            return 0;
        }
    }

    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = {"Signs each FILE: writes FILE.sig (Ed25519 over the file's SHA-256) beside it.",
                    "A folder stands for the *.jar files in it."})
    static final class Sign implements Callable<Integer> {

        @Option(names = "--key", required = true, paramLabel = "KEY.pem", description = "The private key (PEM).")
        Path key;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Artifacts (bundle jars) to sign.")
        List<Path> files;

        @Override
        public Integer call() throws Exception {
            PrivateKey k;
            try {
                k = ArtifactSignatures.readPrivateKey(key);
            } catch (ArtifactSignatures.KeyFileException e) {
                System.err.println("gateway sign: " + e.getMessage());
                return 2;
            }
            int failed = 0;
            for (Path f : expand(files)) {
                try {
                    Path sig = ArtifactSignatures.signFile(k, f);
                    System.out.println("Signed " + f + " -> " + sig.getFileName() + " (sha256 "
                            + ArtifactSignatures.hex(ArtifactSignatures.sha256(f)) + ")");
                } catch (IOException e) {
                    System.err.println("gateway sign: cannot sign " + f + ": " + e.getMessage());
                    failed++;
                }
            }
            return failed == 0 ? 0 : 1;
        }

        private static List<Path> expand(List<Path> files) throws IOException {
            List<Path> out = new java.util.ArrayList<>();
            for (Path f : files) {
                if (Files.isDirectory(f)) {
                    try (java.util.stream.Stream<Path> s = Files.list(f)) {
                        s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().forEach(out::add);
                    }
                } else {
                    out.add(f);
                }
            }
            return out;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Checks FILE against FILE.sig (or --signature) and the public keys in --trust, as the "
                    + "gateway's deployment agent does.", "Exit status 0 when a trusted key signed it, 1 otherwise."})
    static final class Verify implements Callable<Integer> {

        @Option(names = "--trust", required = true, paramLabel = "DIR",
                description = "Folder of trusted public keys (*.pem), e.g. conf/trust of a gateway home.")
        Path trust;

        @Option(names = "--signature", paramLabel = "SIG", description = "Signature file (default: FILE.sig).")
        Path signature;

        @Parameters(index = "0", paramLabel = "FILE", description = "The artifact.")
        Path file;

        @Override
        public Integer call() throws Exception {
            TrustedKeys keys = TrustedKeys.load(trust);
            keys.problems().forEach(p -> System.err.println("gateway verify: " + p));
            Verification v = keys.verify(file, signature != null ? signature : ArtifactSignatures.signatureFile(file));
            System.out.println((v.verified() ? "OK: " : "REJECTED (" + v.status().counter() + "): ") + v.reason());
            return v.verified() ? 0 : 1;
        }
    }
}

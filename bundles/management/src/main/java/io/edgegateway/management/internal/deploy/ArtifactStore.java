package io.edgegateway.management.internal.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;

import io.edgegateway.deploy.support.ArtifactSignatures;

/**
 * The gateway's own copies of what it installs, below {@code data/deployment/}:
 * <pre>
 * store/&lt;symbolic name&gt;/&lt;version&gt;/&lt;sha256&gt;.jar      the artifact as verified
 * store/&lt;symbolic name&gt;/&lt;version&gt;/&lt;sha256&gt;.jar.sig  its signature, when it had one
 * installed.properties                                what is installed where (location = sha256, file, signer)
 * </pre>
 * The framework is always installed or updated from the store, never from {@code deploy/} or a caller's temporary
 * file, so a rollback (or the launcher's recovery) finds the previous version's exact bytes.
 */
final class ArtifactStore {

    /** Copies of one symbolic name kept beyond those installed or needed for a rollback. */
    static final int KEEP_PER_NAME = 2;

    private static final Pattern REVISION = Pattern.compile("version(\\d+)\\.(\\d+)");

    /**
     * What is installed at one location.
     *
     * @param signedBy the trusted key's name; empty when unsigned (development mode) or adopted unverified
     * @param origin   deploy-folder, remote:..., adopted
     */
    record Installed(String location, String symbolicName, String version, String sha256, Path file, String signedBy,
                     String origin) {
    }

    private final Path folder;
    private final Path store;
    private final Path registry;
    private final Map<String, Installed> installed = new TreeMap<>();

    ArtifactStore(Path deploymentFolder) throws IOException {
        this.folder = deploymentFolder;
        this.store = deploymentFolder.resolve("store");
        this.registry = deploymentFolder.resolve("installed.properties");
        Files.createDirectories(store);
        load();
    }

    Path folder() {
        return folder;
    }

    /** Copies a verified artifact (and its signature) into the store; the same bytes are stored once. */
    synchronized Path stage(Path artifact, Path signature, BundleFacts facts, String sha256) throws IOException {
        Path dir = store.resolve(safe(facts.symbolicName())).resolve(safe(facts.version()));
        Path target = dir.resolve(sha256 + ".jar");
        if (!Files.isRegularFile(target) || !sha256.equals(ArtifactSignatures.hex(ArtifactSignatures.sha256(target)))) {
            copyAtomically(artifact, target);
        }
        if (signature != null && Files.isRegularFile(signature)) {
            copyAtomically(signature, ArtifactSignatures.signatureFile(target));
        }
        return target;
    }

    synchronized Optional<Installed> installed(String location) {
        return Optional.ofNullable(installed.get(location));
    }

    synchronized Collection<Installed> all() {
        return List.copyOf(installed.values());
    }

    synchronized void record(Installed i) throws IOException {
        installed.put(i.location(), i);
        save();
    }

    synchronized void forget(String location) throws IOException {
        if (installed.remove(location) != null) {
            save();
        }
    }

    /**
     * A bundle installed before the agent kept records (fileinstall in an older home): its current revision is
     * copied from the framework's storage ({@code bundle<id>/version<n>.<m>/bundle.jar}, Felix's layout) into the
     * store. Empty when the framework's storage has no such file.
     */
    synchronized Optional<Path> adoptFromFramework(Bundle b, Path frameworkStorage) throws IOException {
        if (frameworkStorage == null) {
            return Optional.empty();
        }
        Path dir = frameworkStorage.resolve("bundle" + b.getBundleId());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        Path newest = null;
        long best = -1;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Matcher m = REVISION.matcher(p.getFileName().toString());
                if (m.matches() && Files.isRegularFile(p.resolve("bundle.jar"))) {
                    long rank = Long.parseLong(m.group(1)) * 1_000_000 + Long.parseLong(m.group(2));
                    if (rank > best) {
                        best = rank;
                        newest = p.resolve("bundle.jar");
                    }
                }
            }
        }
        if (newest == null) {
            return Optional.empty();
        }
        String sha = ArtifactSignatures.hex(ArtifactSignatures.sha256(newest));
        return Optional.of(stage(newest, null, new BundleFacts(b.getSymbolicName(), b.getVersion().toString()), sha));
    }

    /** Removes stored copies of a name that are neither in {@code keep} nor among the newest {@link #KEEP_PER_NAME}. */
    synchronized void prune(String symbolicName, Set<Path> keep) {
        Path dir = store.resolve(safe(symbolicName));
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> jars = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".jar")).toList());
            jars.sort(Comparator.comparing(ArtifactStore::modified).reversed());
            Set<Path> kept = new java.util.HashSet<>(keep);
            installed.values().forEach(i -> kept.add(i.file()));
            int others = 0;
            for (Path jar : jars) {
                if (kept.contains(jar) || others++ < KEEP_PER_NAME) {
                    continue;
                }
                Files.deleteIfExists(ArtifactSignatures.signatureFile(jar));
                Files.deleteIfExists(jar);
                try (Stream<Path> left = Files.list(jar.getParent())) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(jar.getParent());
                    }
                }
            }
        } catch (IOException e) {
            // pruning is housekeeping: the next operation tries again
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private void load() throws IOException {
        if (!Files.exists(registry)) {
            return;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(registry)) {
            p.load(in);
        }
        for (String location : p.stringPropertyNames()) {
            String[] f = p.getProperty(location).split("\t", -1);
            if (f.length >= 6) {
                installed.put(location, new Installed(location, f[0], f[1], f[2], Path.of(f[3]), f[4], f[5]));
            }
        }
    }

    private void save() throws IOException {
        Properties p = new Properties();
        for (Installed i : installed.values()) {
            p.setProperty(i.location(), String.join("\t", i.symbolicName(), i.version(), i.sha256(),
                    i.file().toString(), i.signedBy(), i.origin()));
        }
        Path tmp = registry.resolveSibling(registry.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "bundles installed by the deployment agent: location = name, version, sha256, stored file, "
                    + "signed by, origin");
        }
        Files.move(tmp, registry, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void copyAtomically(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Path tmp = to.resolveSibling("." + to.getFileName() + ".tmp");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A file-name-safe form of a symbolic name or version. */
    static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}

package io.edgegateway.management.internal.deploy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import io.edgegateway.deploy.support.ArtifactSignatures;

/**
 * The {@code deploy/} folder as the agent sees it: which {@code *.jar} files are there and stable (size and time of
 * the jar and of its {@code .sig} unchanged since the previous look), and which content the agent last handled at
 * each location ({@code data/deployment/folder.properties}: location = fingerprint, i.e. the jar's SHA-256 and its
 * signature's). A file whose fingerprint was handled (installed, rejected or rolled back) is not looked at again until
 * it changes. Used from the watcher thread only.
 */
final class DeployFolder {

    /** A stable file at a location, with its fingerprint. */
    record Seen(Path file, String location, String fingerprint, String jarSha256) {
    }

    private final Path state;
    private final Map<Path, String> lastStat = new HashMap<>();
    private final Map<Path, String[]> fingerprintByStat = new HashMap<>();
    private final Map<String, String> handled = new TreeMap<>();

    DeployFolder(Path deploymentFolder) throws IOException {
        this.state = deploymentFolder.resolve("folder.properties");
        if (Files.exists(state)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(state)) {
                p.load(in);
            }
            p.stringPropertyNames().forEach(k -> handled.put(k, p.getProperty(k)));
        }
    }

    /** The bundle location of a file in the folder: what fileinstall used too ({@code File.toURI()}), so bundles it
     * installed in an older home are found at the same location. */
    static String location(Path file) {
        return file.toAbsolutePath().normalize().toFile().toURI().normalize().toString();
    }

    /** The location prefix of everything in {@code dir}. */
    static String prefix(Path dir) {
        String p = new File(dir.toAbsolutePath().normalize().toString()).toURI().normalize().toString();
        return p.endsWith("/") ? p : p + "/";
    }

    /**
     * The jars in {@code dir} that were stable since the previous call (a new or changed one waits one more call; one
     * seen for the first time whose jar and signature were not modified for {@code quietMillis} is stable at once,
     * e.g. at start-up).
     */
    synchronized List<Seen> stableJars(Path dir, long quietMillis) throws IOException {
        List<Seen> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> jars;
        try (Stream<Path> s = Files.list(dir)) {
            jars = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".jar") && !n.startsWith(".") && Files.isRegularFile(p);
            }).sorted().toList();
        }
        lastStat.keySet().retainAll(jars);
        fingerprintByStat.keySet().retainAll(jars);
        for (Path jar : jars) {
            String stat;
            try {
                stat = stat(jar) + "|" + stat(ArtifactSignatures.signatureFile(jar));
            } catch (NoSuchFileException e) {
                continue; // gone between the listing and now
            }
            String before = lastStat.put(jar, stat);
            if (!stat.equals(before) && !(before == null && untouchedFor(jar, quietMillis))) {
                continue; // new or still changing: look again next time (a file found untouched for a while is not)
            }
            String[] fp = fingerprintByStat.get(jar);
            if (fp == null || !fp[0].equals(stat)) {
                try {
                    String jarSha = ArtifactSignatures.hex(ArtifactSignatures.sha256(jar));
                    Path sig = ArtifactSignatures.signatureFile(jar);
                    String sigSha = Files.exists(sig) ? ArtifactSignatures.hex(ArtifactSignatures.sha256(sig)) : "-";
                    fp = new String[] {stat, jarSha + ":" + sigSha, jarSha};
                    fingerprintByStat.put(jar, fp);
                } catch (NoSuchFileException e) {
                    continue;
                }
            }
            out.add(new Seen(jar, location(jar), fp[1], fp[2]));
        }
        return out;
    }

    synchronized Optional<String> handled(String location) {
        return Optional.ofNullable(handled.get(location));
    }

    synchronized Map<String, String> handledLocations() {
        return Map.copyOf(handled);
    }

    /** Remembers that this content at this location was dealt with (whatever the outcome). */
    synchronized void markHandled(String location, String fingerprint) throws IOException {
        if (!fingerprint.equals(handled.put(location, fingerprint))) {
            save();
        }
    }

    synchronized void forget(String location) throws IOException {
        if (handled.remove(location) != null) {
            save();
        }
    }

    private void save() throws IOException {
        Properties p = new Properties();
        handled.forEach(p::setProperty);
        Files.createDirectories(state.getParent());
        Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "deploy/ files the deployment agent handled: location = sha256 of the jar:sha256 of its .sig");
        }
        Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean untouchedFor(Path jar, long millis) {
        long now = System.currentTimeMillis();
        try {
            Path sig = ArtifactSignatures.signatureFile(jar);
            return now - Files.getLastModifiedTime(jar).toMillis() > millis
                    && (!Files.exists(sig) || now - Files.getLastModifiedTime(sig).toMillis() > millis);
        } catch (IOException e) {
            return false;
        }
    }

    private static String stat(Path p) throws IOException {
        if (!Files.exists(p)) {
            return "-";
        }
        return Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis();
    }
}

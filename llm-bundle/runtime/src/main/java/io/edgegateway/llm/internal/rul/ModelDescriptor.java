package io.edgegateway.llm.internal.rul;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's descriptor ({@code model.json}) and its normalisation ({@code normalisation.json}), read from a folder:
 * the I/O contract of a windowed regression model (features, z-score statistics, window, output cap) and the
 * artifact to load with its sha256.
 *
 * @param dir        folder holding the descriptor and the artifacts
 * @param id         model id, e.g. {@code rul-cmapss-fd001}
 * @param version    model version, e.g. {@code 1.0.0}
 * @param features   input feature names in input order
 * @param mean       z-score mean per feature
 * @param std        z-score standard deviation per feature
 * @param window     rows per input window (oldest first)
 * @param cap        output cap (RUL in cycles); the health index is output / cap
 * @param artifact   the TorchScript file to load (the descriptor's {@code default_artifact} unless chosen)
 * @param sha256     its expected sha256, lower-case hex
 */
public record ModelDescriptor(Path dir, String id, String version, List<String> features, double[] mean,
                              double[] std, int window, double cap, String artifact, String sha256) {

    public static final String DESCRIPTOR = "model.json";

    /** Reads {@code dir/model.json} and the normalisation it names; {@code artifactKey} null = the default. */
    public static ModelDescriptor read(Path dir, String artifactKey) throws IOException {
        Map<String, Object> m = MiniJson.object(MiniJson.parse(Files.readString(dir.resolve(DESCRIPTOR))), DESCRIPTOR);
        if (!"rul".equals(m.getOrDefault("kind", "rul"))) {
            throw new IllegalArgumentException(DESCRIPTOR + ": kind is " + m.get("kind") + ", not a RUL model");
        }
        String id = (String) require(m, "id");
        String version = (String) require(m, "version");
        Map<String, Object> artifacts = MiniJson.object(require(m, "artifacts"), "artifacts");
        Map<String, Object> art = null;
        if (artifactKey != null) {
            art = MiniJson.object(artifacts.get(artifactKey), "artifacts." + artifactKey);
        } else {
            String file = (String) require(m, "default_artifact");
            for (Object a : artifacts.values()) {
                if (file.equals(MiniJson.object(a, "artifact").get("file"))) {
                    art = MiniJson.object(a, "artifact");
                }
            }
            if (art == null) {
                throw new IllegalArgumentException(DESCRIPTOR + ": default_artifact " + file + " not in artifacts");
            }
        }
        String normFile = (String) m.getOrDefault("normalisation_file", "normalisation.json");
        Map<String, Object> n = MiniJson.object(MiniJson.parse(Files.readString(dir.resolve(normFile))), normFile);
        List<String> features = MiniJson.strings(require(n, "features"), normFile + " features");
        List<String> declared = MiniJson.strings(require(m, "features"), DESCRIPTOR + " features");
        if (!features.equals(declared)) {
            throw new IllegalArgumentException("features of " + DESCRIPTOR + " and " + normFile + " differ");
        }
        double[] mean = MiniJson.doubles(require(n, "mean"), normFile + " mean");
        double[] std = MiniJson.doubles(require(n, "std"), normFile + " std");
        if (mean.length != features.size() || std.length != features.size()) {
            throw new IllegalArgumentException(normFile + ": mean/std must have one value per feature");
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException(normFile + ": std must be > 0");
            }
        }
        int window = ((Double) require(m, "window")).intValue();
        double cap = (Double) require(m, "rul_cap");
        return new ModelDescriptor(dir, id, version, List.copyOf(features), mean, std, window, cap,
                (String) require(art, "file"), ((String) require(art, "sha256")).toLowerCase());
    }

    public Path artifactPath() {
        return dir.resolve(artifact);
    }

    /** Checks the artifact's sha256 against the descriptor; throws with both values when they differ. */
    public void verify() throws IOException {
        String actual = sha256(artifactPath());
        if (!actual.equals(sha256)) {
            throw new IOException("sha256 of " + artifact + " is " + actual + ", descriptor says " + sha256);
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens a file of a model package by its path inside the package (a bundle entry, a jar entry). */
    @FunctionalInterface
    public interface Opener {
        InputStream open(String path) throws IOException;
    }

    /**
     * Copies the descriptor at {@code descriptorPath} (e.g. {@code model/model.json}) and every file it names
     * (normalisation or tokenizer, golden cases, artifacts) from a package into {@code target}; returns {@code target}.
     */
    public static Path extract(Opener opener, String descriptorPath, Path target) throws IOException {
        int slash = descriptorPath.lastIndexOf('/');
        String base = slash < 0 ? "" : descriptorPath.substring(0, slash + 1);
        Files.createDirectories(target);
        byte[] descriptor = read(opener, descriptorPath);
        Map<String, Object> m = MiniJson.object(MiniJson.parse(new String(descriptor, StandardCharsets.UTF_8)),
                descriptorPath);
        Set<String> files = new LinkedHashSet<>();
        if ("rul".equals(m.getOrDefault("kind", "rul"))) { // descriptors without a kind are RUL models
            files.add((String) m.getOrDefault("normalisation_file", "normalisation.json"));
        }
        if (m.get("tokenizer_file") instanceof String t) {
            files.add(t);
        }
        if (m.get("golden_file") instanceof String g) {
            files.add(g);
        }
        MiniJson.object(m.get("artifacts"), "artifacts").values()
                .forEach(a -> files.add((String) MiniJson.object(a, "artifact").get("file")));
        for (String f : files) {
            if (f.contains("/") || f.contains("\\") || f.startsWith(".")) {
                throw new IOException(descriptorPath + ": file name '" + f + "' must be a plain name");
            }
            write(target.resolve(f), read(opener, base + f));
        }
        write(target.resolve(DESCRIPTOR), descriptor); // last: its presence means the copy is complete
        return target;
    }

    private static byte[] read(Opener opener, String path) throws IOException {
        try (InputStream in = opener.open(path)) {
            if (in == null) {
                throw new IOException(path + " is missing from the model package");
            }
            return in.readAllBytes();
        }
    }

    private static void write(Path file, byte[] data) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, data);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Object require(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("descriptor: '" + key + "' is missing");
        }
        return v;
    }
}

package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Variants of a bundle jar for tests: another version or manifest header, extra bytes to make it large. */
public final class BundleJars {

    private BundleJars() {
    }

    /**
     * Copies {@code source} to {@code target} with manifest headers set (e.g. {@code Bundle-Version}) and, when
     * {@code padding} is positive, an extra resource {@code padding.bin} of that many incompressible bytes.
     */
    public static Path variant(Path source, Path target, Map<String, String> headers, int padding)
            throws IOException {
        return variant(source, target, headers, padding, Map.of());
    }

    /** As {@link #variant(Path, Path, Map, int)}, with the bytes of some entries (by name) rewritten. */
    public static Path variant(Path source, Path target, Map<String, String> headers, int padding,
                               Map<String, UnaryOperator<byte[]>> rewrites) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(source))) {
            Manifest mf = new Manifest(in.getManifest());
            headers.forEach((k, v) -> mf.getMainAttributes().putValue(k, v));
            try (OutputStream os = Files.newOutputStream(target); JarOutputStream out = new JarOutputStream(os, mf)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    byte[] data = in.readAllBytes();
                    out.write(rewrites.getOrDefault(e.getName(), UnaryOperator.identity()).apply(data));
                    out.closeEntry();
                }
                if (padding > 0) {
                    JarEntry pad = new JarEntry("padding.bin");
                    pad.setMethod(JarEntry.STORED);
                    byte[] bytes = new byte[padding];
                    new java.util.Random(padding).nextBytes(bytes);
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(bytes);
                    pad.setSize(padding);
                    pad.setCompressedSize(padding);
                    pad.setCrc(crc.getValue());
                    out.putNextEntry(pad);
                    out.write(bytes);
                    out.closeEntry();
                }
            }
        }
        return target;
    }
}

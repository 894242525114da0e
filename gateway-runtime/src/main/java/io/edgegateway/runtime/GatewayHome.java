package io.edgegateway.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Where things live. The distribution ({@code lib/}, {@code bundle/}) is read-only; a home ({@code conf/},
 * {@code deploy/}, {@code data/}) is what an operator edits and what the gateway writes. By default the
 * distribution is its own home; {@code --home DIR} runs several gateways from one installation.
 */
record GatewayHome(Path distribution, Path home) {

    Path conf() {
        return home.resolve("conf");
    }

    Path deploy() {
        return home.resolve("deploy");
    }

    Path data() {
        return home.resolve("data");
    }

    Path bundles() {
        return distribution.resolve("bundle");
    }

    static Path locateDistribution() {
        String dist = System.getProperty("gateway.dist");
        if (dist == null) {
            throw new IllegalStateException("system property gateway.dist is not set: start the gateway with "
                    + "bin/gateway");
        }
        return Path.of(dist).toAbsolutePath().normalize();
    }

    static Path defaultHome(Path distribution) {
        String env = System.getenv("GATEWAY_HOME");
        return env == null || env.isBlank() ? distribution : Path.of(env);
    }

    /** Makes sure the home has conf/, deploy/ and data/, copying the distribution's defaults into a new one. */
    static GatewayHome prepare(Path distribution, Path home) {
        GatewayHome h = new GatewayHome(distribution, home.toAbsolutePath().normalize());
        try {
            if (!Files.isDirectory(h.conf())) {
                copyTree(distribution.resolve("conf"), h.conf());
            }
            if (!Files.isDirectory(h.deploy())) {
                copyTree(distribution.resolve("deploy"), h.deploy());
            }
            Files.createDirectories(h.data());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare gateway home " + h.home() + ": " + e.getMessage(), e);
        }
        return h;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}

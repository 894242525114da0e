package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Gateway homes for tests, the demo and benchmarks: a copy of the distribution's {@code conf/} and {@code deploy/}
 * whose configuration files can be edited before or while the gateway runs (as an operator would).
 */
public final class GatewayHomes {

    private GatewayHomes() {
    }

    /** Creates {@code home} with the distribution's default conf/ and deploy/. */
    public static Path create(Path home) throws IOException {
        Path dist = GatewayProcess.distribution();
        for (String dir : List.of("conf", "deploy")) {
            Path from = dist.resolve(dir);
            try (Stream<Path> files = Files.walk(from)) {
                for (Path source : (Iterable<Path>) files::iterator) {
                    Path target = home.resolve(dir).resolve(from.relativize(source).toString());
                    if (Files.isDirectory(source)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        return home;
    }

    /**
     * Sets keys in {@code deploy/<file>} (creating the file if needed), written to a temporary file first and
     * moved into place, so fileinstall never reads half a file.
     */
    public static void configure(Path home, String file, Map<String, String> settings) throws IOException {
        Path target = home.resolve("deploy").resolve(file);
        Map<String, String> remaining = new LinkedHashMap<>(settings);
        List<String> lines = new ArrayList<>();
        if (Files.exists(target)) {
            for (String line : Files.readAllLines(target)) {
                int eq = line.indexOf('=');
                String key = eq > 0 && !line.startsWith("#") ? line.substring(0, eq).trim() : null;
                if (key != null && remaining.containsKey(key)) {
                    lines.add(key + "=" + remaining.remove(key));
                } else {
                    lines.add(line);
                }
            }
        }
        remaining.forEach((k, v) -> lines.add(k + "=" + v));
        replaceAtomically(target, String.join("\n", lines) + "\n");
    }

    /** Removes a configuration or bundle file from deploy/. */
    public static void remove(Path home, String file) throws IOException {
        Files.deleteIfExists(home.resolve("deploy").resolve(file));
    }

    public static void replaceAtomically(Path target, String content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent().getParent(), ".cfg", ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}

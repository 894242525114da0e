package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real distribution ({@code gateway-runtime/target/gateway}) started as its own process, with its own home,
 * exactly as an operator runs it: {@code bin/gateway run --home DIR --broker URL}.
 */
public final class GatewayProcess implements AutoCloseable {

    private final Process process;
    private final Path home;
    private final Path log;
    private final long startedNanos;

    private GatewayProcess(Process process, Path home, Path log, long startedNanos) {
        this.process = process;
        this.home = home;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /** The built distribution: system property gateway.dist, else the usual path from the repository root. */
    public static Path distribution() {
        String dist = System.getProperty("gateway.dist");
        Path path = dist != null ? Path.of(dist) : Path.of("gateway-runtime/target/gateway");
        if (!Files.isExecutable(path.resolve("bin/gateway"))) {
            throw new IllegalStateException("no gateway distribution at " + path.toAbsolutePath()
                    + ": build it with ./gateway build (or mvn package)");
        }
        return path.toAbsolutePath().normalize();
    }

    /**
     * Starts a gateway. Its log goes to {@code home/gateway.log}.
     *
     * @param properties framework property overrides ({@code -D key=value})
     */
    public static GatewayProcess start(Path home, String brokerUrl, String gatewayId, Map<String, String> properties,
                                       String javaOpts) throws IOException {
        return start(distribution(), home, brokerUrl, gatewayId, properties, javaOpts);
    }

    /**
     * Starts a gateway from another distribution than {@link #distribution()}, e.g. a test's own copy whose
     * {@code bundle/} folder it changed.
     */
    public static GatewayProcess start(Path distribution, Path home, String brokerUrl, String gatewayId,
                                       Map<String, String> properties, String javaOpts) throws IOException {
        Files.createDirectories(home);
        List<String> cmd = new ArrayList<>(List.of(distribution.resolve("bin/gateway").toString(), "run",
                "--home", home.toString(), "--broker", brokerUrl, "--gateway-id", gatewayId));
        properties.forEach((k, v) -> cmd.addAll(List.of("-D", k + "=" + v)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Path log = home.resolve("gateway.log");
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (javaOpts != null) {
            pb.environment().put("JAVA_OPTS", javaOpts);
        }
        long t0 = System.nanoTime();
        return new GatewayProcess(pb.start(), home, log, t0);
    }

    public Path home() {
        return home;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long startedNanos() {
        return startedNanos;
    }

    /** Resident set size of the gateway JVM, from /proc. */
    public long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }

    /** Waits until the log contains {@code text}; false on timeout or if the process died. */
    public boolean awaitLog(String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
            Thread.sleep(100);
        }
        return false;
    }

    public String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** SIGKILL, as a power cut would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait: the gateway stops its bundles in order. Returns the exit code. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}

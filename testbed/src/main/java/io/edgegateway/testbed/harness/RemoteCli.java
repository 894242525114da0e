package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The operator CLI of the real distribution, {@code bin/gateway remote --broker URL --gateway IDS <verb> ...}, run as
 * its own process the way plant IT runs it. Output goes to files so that a long run can be watched and killed.
 */
public final class RemoteCli implements AutoCloseable {

    /** How a finished run went. */
    public record Result(int exitCode, String stdout, String stderr, double seconds) {
        @Override
        public String toString() {
            return "exit " + exitCode + " after " + seconds + " s\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    private final Process process;
    private final Path out;
    private final Path err;
    private final long t0 = System.nanoTime();

    private RemoteCli(Process process, Path out, Path err) {
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code bin/gateway remote <args>}; {@code dir} receives its stdout and stderr files. */
    public static RemoteCli start(Path dir, String... args) throws IOException {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(GatewayProcess.distribution().resolve("bin/gateway").toString(),
                "remote"));
        cmd.addAll(List.of(args));
        String name = "cli-" + System.nanoTime();
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JAVA_OPTS", "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        return new RemoteCli(pb.start(), out, err);
    }

    /** Runs it to the end (at most {@code timeoutS}, then it is killed and the result says exit -1). */
    public static Result run(Path dir, long timeoutS, String... args) throws IOException, InterruptedException {
        try (RemoteCli cli = start(dir, args)) {
            return cli.await(timeoutS);
        }
    }

    public Result await(long timeoutS) throws IOException, InterruptedException {
        boolean done = process.waitFor(timeoutS, TimeUnit.SECONDS);
        if (!done) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(done ? process.exitValue() : -1, Files.readString(out), Files.readString(err),
                Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
    }

    public String stderrSoFar() throws IOException {
        return Files.readString(err);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}

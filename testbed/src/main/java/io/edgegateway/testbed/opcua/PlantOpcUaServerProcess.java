package io.edgegateway.testbed.opcua;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The plant server as its own process, as a user runs it: {@code ./gateway opcua-server ARGS} (the same main class
 * and class path as this JVM's), its output copied to a log file. {@link #start} returns once the server says it
 * listens; {@link #command(String)} writes a line to its standard input ({@code add ASSET}, {@code remove ASSET},
 * {@code assets}); {@link #close()} stops it (SIGTERM: the server's shutdown hook closes it, then SIGKILL after 10 s).
 */
public final class PlantOpcUaServerProcess implements AutoCloseable {

    private static final String READY = "OPC UA plant server: ";
    private static final String CERTIFICATE = "Server certificate (for the clients' trust lists): ";

    private final Process process;
    private final Path log;
    private final StringBuilder output = new StringBuilder();
    private final Writer stdin;
    private volatile String endpointUrl;
    private volatile Path certificateFile;

    private PlantOpcUaServerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::copyOutput, "opcua-server-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code opcua-server args} and waits (up to 60 s) until it listens.
     *
     * @param log the file its output goes to
     * @throws IllegalStateException when it exits or does not listen in time (with its output)
     */
    public static PlantOpcUaServerProcess start(List<String> args, Path log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.edgegateway.testbed.Tools",
                "opcua-server"));
        cmd.addAll(args);
        Files.createDirectories(log.toAbsolutePath().getParent());
        PlantOpcUaServerProcess p = new PlantOpcUaServerProcess(new ProcessBuilder(cmd).redirectErrorStream(true)
                .start(), log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.endpointUrl == null && System.nanoTime() < deadline) {
            if (!p.process.isAlive()) {
                Thread.sleep(200); // the last output lines
                throw new IllegalStateException("opcua-server " + args + " exited with " + p.process.exitValue()
                        + ":\n" + p.output());
            }
            Thread.sleep(100);
        }
        if (p.endpointUrl == null) {
            p.close();
            throw new IllegalStateException("opcua-server " + args + " did not listen within 60 s:\n" + p.output());
        }
        return p;
    }

    private void copyOutput() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (output) {
                    output.append(line).append('\n');
                }
                Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                if (line.startsWith(CERTIFICATE)) {
                    certificateFile = Path.of(line.substring(CERTIFICATE.length()).strip());
                } else if (line.startsWith(READY) && line.contains("opc.tcp://")) {
                    String rest = line.substring(READY.length());
                    int space = rest.indexOf(' ');
                    endpointUrl = space < 0 ? rest : rest.substring(0, space);
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** {@code opc.tcp://host:port/plant}. */
    public String endpointUrl() {
        return endpointUrl;
    }

    /** The server's certificate file (its own/cert.der, printed after the listening line); null for None only. */
    public Path certificateFile() throws InterruptedException {
        awaitOutput(CERTIFICATE, Duration.ofSeconds(5));
        return certificateFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** A line for its standard input. */
    public void command(String line) throws IOException {
        stdin.write(line + "\n");
        stdin.flush();
    }

    /** Waits until its output contains {@code text}; false on timeout or when it exited. */
    public boolean awaitOutput(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return true;
            }
            if (!process.isAlive()) {
                Thread.sleep(200);
                return output().contains(text);
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** All it printed so far. */
    public String output() {
        synchronized (output) {
            return output.toString();
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stdin.close();
        } catch (IOException e) {
            // gone already
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.Ports;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.simulator.PlantSimulator;

/**
 * The OPC UA plant server is stopped and started again on the same port 5 times while the real gateway subscribes
 * to it (issue 3): every time, data resumes within 15 s, the server holds exactly the configured monitored items
 * (the source re-created its subscription once, not twice), and the gateway's live threads stay where they were
 * after the first reconnection (compiler threads excluded; Milo's shared pools grow once, then are reused); and the
 * gap is marked, not silent: each restart gives exactly one BAD sample per monitored item, counted in the source's
 * health detail ("gaps marked N (open M)") that the uplink publishes in the metrics' {@code sources}.
 */
class OpcUaRestartsIT {

    private static final int RESTARTS = 5;
    private static final double RESUME_LIMIT_S = 15;
    private static final int THREAD_MARGIN = 3;
    private static final String SOURCE = "opcua:plant";
    private static final Pattern GAPS = Pattern.compile("gaps marked (\\d+) \\(open (\\d+)\\)");
    private static final Pattern JAVA_THREAD = Pattern.compile("^\"(.*)\" #\\d+", Pattern.MULTILINE);

    @TempDir
    Path dir;
    PlantOpcUaServer server;
    GatewayFixture f;

    @AfterEach
    void stop() throws Exception {
        try {
            if (f != null) {
                f.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @Test
    void dataResumesAfterEachOfFiveServerRestartsWithoutDuplicateItemsOrLeakedThreads() throws Exception {
        server = new PlantOpcUaServer(Ports.freePort(), "localhost", null, null,
                new PlantSimulator(42, 10, List.of(), PlantSimulator.DEFAULT_ASSETS)).start();
        int configured = server.variableCount();
        f = new GatewayFixture(dir, "it-opcua-restarts");
        GatewayHomes.configure(f.home, "io.edgegateway.opcua.source-plant.cfg", Map.of(
                "endpoint.url", server.endpointUrl(), "source.name", "plant", "nodes", "Objects/Plant/*/*", "sampling.interval.ms", "100"));
        f.startGateway();
        f.awaitMetrics(m -> m.path("accepted").asLong() > 50, Duration.ofSeconds(45));
        awaitMonitoredItems(configured, Duration.ofSeconds(10));

        List<String> threadsFirst = null;
        List<Double> resumed = new ArrayList<>();
        for (int i = 1; i <= RESTARTS; i++) {
            server.stop();
            Thread.sleep(2000);
            f.recorder.drain(); // metrics from before the stop must not count as "resumed"
            long before = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
            long restarted = System.nanoTime();
            server.start();
            JsonNode back = f.awaitMetrics(m -> m.path("accepted").asLong() > before + 20,
                    Duration.ofSeconds((long) RESUME_LIMIT_S + 5));
            double seconds = (System.nanoTime() - restarted) / 1e9;
            resumed.add(seconds);
            awaitMonitoredItems(configured, Duration.ofSeconds(5));
            Thread.sleep(1500); // a duplicate subscription would show up on the server by now
            long items = server.monitoredItemCount();
            long expectedMarks = (long) i * configured;
            JsonNode gapsNow = f.awaitMetrics(m -> gaps(m, 2) == 0 && gaps(m, 1) >= expectedMarks,
                    Duration.ofSeconds(15));
            long marks = gaps(gapsNow, 1);
            System.out.printf(Locale.ROOT, "OPC UA restart %d: gap marks %d (expected %d), source: %s%n", i, marks,
                    expectedMarks, gapsNow.path("sources").path(SOURCE));
            assertThat(marks).as("restart %d: one BAD gap mark per monitored item per restart", i)
                    .isEqualTo(expectedMarks);
            List<String> threads = javaThreads(jcmd(f.gateway.pid(), "Thread.print"));
            System.out.printf(Locale.ROOT, "OPC UA restart %d: data resumed %.1f s after the server started "
                    + "(accepted %d -> %d); monitored items on the server %d (configured %d); gateway threads %d%n",
                    i, seconds, before, back.path("accepted").asLong(), items, configured, threads.size());
            assertThat(seconds).as("restart %d: data resumed after %.1f s", i, seconds).isLessThan(RESUME_LIMIT_S);
            assertThat(items).as("restart %d: monitored items on the server (a duplicate subscription doubles "
                    + "them)", i).isEqualTo(configured);
            if (threadsFirst == null) {
                threadsFirst = threads;
            } else {
                assertThat(threads.size()).as("restart %d: live threads %s vs after the first restart %s", i,
                        threads, threadsFirst).isBetween(threadsFirst.size() - THREAD_MARGIN,
                        threadsFirst.size() + THREAD_MARGIN);
            }
        }
        String log = f.gateway.logText();
        long subscriptions = log.lines().filter(l -> l.contains("OPC UA source") && l.contains("monitored items ("))
                .count();
        System.out.printf(Locale.ROOT, "OPC UA restarts: resumed after %s s; %d subscriptions created for 1 + %d "
                + "server starts%n", resumed.stream().map(s -> String.format(Locale.ROOT, "%.1f", s)).toList(),
                subscriptions, RESTARTS);
        assertThat(subscriptions).as("one subscription per server start; log:%n%s", log).isEqualTo(1 + RESTARTS);
    }

    /** Group 1 (gaps marked) or 2 (open now) of the source's health detail; -1 when it does not say. */
    private static long gaps(JsonNode metrics, int group) {
        Matcher m = GAPS.matcher(metrics.path("sources").path(SOURCE).path("detail").asText(""));
        return m.find() ? Long.parseLong(m.group(group)) : -1;
    }

    private void awaitMonitoredItems(int expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && server.monitoredItemCount() != expected) {
            Thread.sleep(100);
        }
        long count = server.monitoredItemCount();
        if (count != expected) {
            throw new AssertionError("monitored items on the server: " + count + ", expected " + expected
                    + "\ngateway log:\n" + f.gateway.logText());
        }
    }

    /** Names of the live Java threads in a Thread.print dump, without the JIT's compiler threads. */
    static List<String> javaThreads(String dump) {
        List<String> names = new ArrayList<>();
        Matcher m = JAVA_THREAD.matcher(dump);
        while (m.find()) {
            if (!m.group(1).matches("C[12] CompilerThread\\d+")) {
                names.add(m.group(1));
            }
        }
        names.sort(null);
        return names;
    }

    static String jcmd(long pid, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("jcmd %s: %s", cmd, out).isZero();
        return out;
    }
}

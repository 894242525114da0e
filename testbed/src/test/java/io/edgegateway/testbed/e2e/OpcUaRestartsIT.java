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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.TcpProxy;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;

/**
 * The OPC UA plant server is stopped and started again on the same port 5 times while the real gateway subscribes
 * to it (issue 3): every time, data resumes within 15 s, the server holds exactly the configured monitored items
 * and the source's model change event item (the source re-created its subscription once, not twice), and the gateway's live threads stay where they were
 * after the first reconnection (compiler threads excluded; Milo's shared pools grow once, then are reused); and the
 * gap is marked, not silent: each restart gives exactly one BAD sample per monitored item, counted in the source's
 * health detail ("gaps marked N (open M)") that the uplink publishes in the metrics' {@code sources}.
 */
class OpcUaRestartsIT {

    private static final int RESTARTS = 5;
    private static final double RESUME_LIMIT_S = 15;
    private static final int THREAD_MARGIN = 3;
    private static final long PARTITION_S = 30;
    private static final String SOURCE = "opcua:plant";
    private static final Pattern GAPS = Pattern.compile("gaps marked (\\d+) \\(open (\\d+)\\)");
    private static final Pattern JAVA_THREAD = Pattern.compile("^\"(.*)\" #\\d+", Pattern.MULTILINE);

    @RegisterExtension
    final OpcUaFixture o = new OpcUaFixture();

    @Test
    void dataResumesAfterEachOfFiveServerRestartsWithoutDuplicateItemsOrLeakedThreads() throws Exception {
        PlantOpcUaServer server = o.startServer();
        int configured = server.variableCount();
        // on the server: the data items and the source's model change event item
        int serverItems = configured + 1;
        GatewayFixture f = o.gateway("it-opcua-restarts");
        o.source("plant", Map.of("endpoint.url", server.endpointUrl(), "source.name", "plant",
                "nodes", "Objects/Plant/*/*", "sampling.interval.ms", "100"));
        f.startGateway();
        f.awaitMetrics(m -> m.path("accepted").asLong() > 50, Duration.ofSeconds(45));
        o.awaitServerItems(serverItems, Duration.ofSeconds(10));

        List<String> threadsFirst = null;
        List<Double> resumed = new ArrayList<>();
        for (int i = 1; i <= RESTARTS; i++) {
            server.stop();
            Thread.sleep(2000);
            Resumed back = resumeAfter(f, server::start);
            double seconds = back.seconds();
            resumed.add(seconds);
            o.awaitServerItems(serverItems, Duration.ofSeconds(5));
            Thread.sleep(1500); // a duplicate subscription would show up on the server by now
            long items = server.monitoredItemCount();
            long expectedMarks = (long) i * configured;
            JsonNode gapsNow = f.awaitMetrics(m -> gaps(m, 2) == 0 && gaps(m, 1) >= expectedMarks,
                    Duration.ofSeconds(15));
            long marks = gaps(gapsNow, 1);
            System.out.printf(Locale.ROOT, "OPC UA restart %d: gap marks %d (expected %d), source: %s%n", i, marks,
                    expectedMarks, gapsNow.path("sources").path(SOURCE));
            assertThat(marks).as("restart %d: one BAD gap mark per monitored item per restart; the source's log:%n%s",
                    i, sourceLog(f)).isEqualTo(expectedMarks);
            List<String> threads = javaThreads(jcmd(f.gateway.pid(), "Thread.print"));
            System.out.printf(Locale.ROOT, "OPC UA restart %d: data resumed %.1f s after the server started "
                    + "(accepted %d -> %d); monitored items on the server %d (configured %d + 1 event item); gateway "
                    + "threads %d%n", i, seconds, back.before(), back.after(), items, configured,
                    threads.size());
            assertThat(seconds).as("restart %d: data resumed after %.1f s", i, seconds).isLessThan(RESUME_LIMIT_S);
            assertThat(items).as("restart %d: monitored items on the server (a duplicate subscription doubles "
                    + "them)", i).isEqualTo(serverItems);
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

    /**
     * Issue 3, "session re-activation": the network between gateway and server is cut (a TCP proxy stops forwarding,
     * sockets stay open, as a real partition) for {@value #PARTITION_S} s while the server keeps running. Milo notices,
     * and after the heal it reconnects and re-activates the same session: data resumes within 15 s, the server
     * still holds exactly the configured items plus the event item, and the gap is marked once per item.
     */
    @Test
    void aBrokenLinkWithTheServerUpReactivatesTheSessionAndDataResumes() throws Exception {
        PlantOpcUaServer server = o.startServer();
        int configured = server.variableCount();
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", server.port())) {
            GatewayFixture f = o.gateway("it-opcua-link");
            // through the proxy: the configured host and port replace what the server advertises
            o.source("plant", Map.of("endpoint.url", "opc.tcp://127.0.0.1:" + proxy.port() + PlantOpcUaServer.PATH,
                    "source.name", "plant", "nodes", "Objects/Plant/*/*", "sampling.interval.ms", "100"));
            f.startGateway();
            f.awaitMetrics(m -> m.path("accepted").asLong() > 50, Duration.ofSeconds(45));
            o.awaitServerItems(configured + 1, Duration.ofSeconds(10));

            proxy.blackhole(true);
            assertThat(f.gateway.awaitLog("OPC UA source 'plant': session to", Duration.ofSeconds(PARTITION_S)))
                    .as("Milo notices the partition; log:%n%s", sourceLog(f)).isTrue();
            Thread.sleep(2000);
            Resumed back = resumeAfter(f, proxy::heal);
            double seconds = back.seconds();
            o.awaitServerItems(configured + 1, Duration.ofSeconds(10));
            JsonNode gapsNow = f.awaitMetrics(m -> gaps(m, 2) == 0 && gaps(m, 1) >= configured,
                    Duration.ofSeconds(15));
            String detail = gapsNow.path("sources").path(SOURCE).path("detail").asText();
            System.out.printf(Locale.ROOT, "OPC UA link partition: data resumed %.1f s after the heal (accepted %d ->"
                    + " %d); proxy connections %d; source: %s%n", seconds, back.before(), back.after(),
                    proxy.connectionsAccepted(), detail);
            System.out.println(sourceLog(f));
            assertThat(seconds).as("data resumed after %.1f s", seconds).isLessThan(RESUME_LIMIT_S);
            assertThat(gaps(gapsNow, 1)).as("one gap mark per item; log:%n%s", sourceLog(f)).isEqualTo(configured);
            assertThat(f.gateway.logText().lines().filter(l -> l.contains("OPC UA source 'plant': connected to"))
                    .count()).as("the same client: Milo reconnected, not the source").isEqualTo(1);
        }
    }

    /** Seconds from an action until data flowed again, and the pipeline's accepted count before and after. */
    private record Resumed(double seconds, long before, long after) {
    }

    private interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action}, then waits until the pipeline has accepted 20 more samples (older metrics do not count). */
    private static Resumed resumeAfter(GatewayFixture f, Action action) throws Exception {
        f.recorder.drain();
        long before = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
        long t0 = System.nanoTime();
        action.run();
        JsonNode back = f.awaitMetrics(m -> m.path("accepted").asLong() > before + 20,
                Duration.ofSeconds((long) RESUME_LIMIT_S + 5));
        return new Resumed((System.nanoTime() - t0) / 1e9, before, back.path("accepted").asLong());
    }

    private static String sourceLog(GatewayFixture f) throws Exception {
        return String.join("\n", f.gateway.logText().lines().filter(l -> l.contains("OPC UA source")).toList());
    }

    /** Group 1 (gaps marked) or 2 (open now) of the source's health detail; -1 when it does not say. */
    private static long gaps(JsonNode metrics, int group) {
        Matcher m = GAPS.matcher(metrics.path("sources").path(SOURCE).path("detail").asText(""));
        return m.find() ? Long.parseLong(m.group(group)) : -1;
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

package io.edgegateway.testbed.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgegateway.testbed.harness.GatewayHomes;
import io.edgegateway.testbed.harness.MqttRecorder;
import io.edgegateway.testbed.opcua.PlantOpcUaServer;
import io.edgegateway.testbed.simulator.SignalDef;

/**
 * The plant's address space changes while the gateway's OPC UA session stays up (issue 3, "re-browse when the
 * address space changes"). The real distribution subscribes with {@code Objects/Plant/*}{@code /*}.
 *
 * <ol>
 *   <li>Model change events ({@code rebrowse.interval.s=0}: nothing else can find the change): the server adds
 *   {@code pump-4} and fires a GeneralModelChangeEvent; within {@value #EVENT_BOUND_S} s every one of its signals
 *   has raised an alert (a threshold rule every value of pump-4 exceeds), the server holds configured + new items
 *   (+1, the source's event item), the source's health says so, in the same subscription, not re-created, one
 *   session. Then it removes {@code motor-1}: its items are deleted on the server and counted in the health
 *   ({@code -3}), and the other items keep flowing.</li>
 *   <li>The periodic re-browse, for servers that send no model change events: the same source configured with
 *   {@code rebrowse.on.model.change=false, rebrowse.interval.s=2}: an added asset's items are on the server within
 *   {@value #PERIODIC_BOUND_S} s, a removed one's are gone within the same bound.</li>
 * </ol>
 */
class OpcUaAddressSpaceIT {

    private static final String SOURCE = "opcua:plant";
    private static final long EVENT_BOUND_S = 10;
    private static final long PERIODIC_BOUND_S = 10;
    private static final Pattern SUBSCRIPTION = Pattern.compile("subscription (\\d+): ");

    @RegisterExtension
    final OpcUaFixture o = new OpcUaFixture();

    @Test
    void assetsAddedAndRemovedWithTheSessionUpAreMonitoredAndDroppedWithoutAReconnect() throws Exception {
        PlantOpcUaServer server = o.startServer();
        int configured = server.variableCount();
        GatewayFixture f = o.gateway("it-opcua-space");
        // every value of the asset added later is above this limit: one alert per signal proves its samples arrive
        GatewayHomes.configure(f.home, "io.edgegateway.rules.threshold-added.cfg", Map.of(
                "detector.asset", "pump-4", "high", "-1000000000", "severity", "WARNING"));
        o.source("plant", Map.of("endpoint.url", server.endpointUrl(), "source.name", "plant",
                "nodes", "Objects/Plant/*/*", "sampling.interval.ms", "100", "rebrowse.interval.s", "0"));
        f.startGateway();
        f.awaitMetrics(m -> m.path("accepted").asLong() > 50, Duration.ofSeconds(45));
        o.awaitServerItems(configured + 1, Duration.ofSeconds(10));
        JsonNode first = f.awaitMetrics(m -> OpcUaFixture.monitoredItems(m, SOURCE) == configured
                && OpcUaFixture.detail(m, SOURCE).contains("model change events on"), Duration.ofSeconds(10));
        String subscription = subscriptionId(first);

        // 1a. an asset is added: its samples arrive, its items join the live subscription
        long t0 = System.nanoTime();
        int added = server.addAsset("pump-4");
        Set<String> expected = new TreeSet<>(server.signalsOf("pump-4").stream().map(SignalDef::name).toList());
        Set<String> alerted = new TreeSet<>();
        long deadline = t0 + Duration.ofSeconds(EVENT_BOUND_S).toNanos();
        while (!alerted.equals(expected) && System.nanoTime() < deadline) {
            MqttRecorder.Received r = f.recorder.next(x -> x.topic().equals(f.topic("alerts/pump-4")), 500);
            if (r != null) {
                alerted.add(r.json().path("signal").asText());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "OPC UA address space: samples of all %d signals of the added asset pump-4 "
                + "raised alerts %.1f s after the server added it (bound %d s)%n", added, seconds, EVENT_BOUND_S);
        assertThat(alerted).as("signals of pump-4 with an alert within %d s; log:%n%s", EVENT_BOUND_S,
                f.gateway.logText()).isEqualTo(expected);
        o.awaitServerItems(configured + added + 1, Duration.ofSeconds(5));
        JsonNode afterAdd = f.awaitMetrics(m -> OpcUaFixture.monitoredItems(m, SOURCE) == configured + added,
                Duration.ofSeconds(10));
        String detail = OpcUaFixture.detail(afterAdd, SOURCE);
        System.out.println("OPC UA address space: after the add: " + detail);
        assertThat(subscriptionId(afterAdd)).as("the same subscription").isEqualTo(subscription);
        assertThat(detail).contains("re-created 0x", "re-browsed 1x", "(model change event", ": +" + added + " -0)");

        // 1b. an asset is removed: its items are deleted, the others keep flowing
        int removed = server.removeAsset("motor-1");
        int now = configured + added - removed;
        o.awaitServerItems(now + 1, Duration.ofSeconds(EVENT_BOUND_S));
        JsonNode afterRemove = f.awaitMetrics(m -> OpcUaFixture.monitoredItems(m, SOURCE) == now,
                Duration.ofSeconds(10));
        detail = OpcUaFixture.detail(afterRemove, SOURCE);
        System.out.println("OPC UA address space: after the removal: " + detail);
        assertThat(subscriptionId(afterRemove)).isEqualTo(subscription);
        assertThat(detail).contains("re-created 0x", ": +0 -" + removed + ")");
        f.recorder.drain();
        long before = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
        Thread.sleep(3000);
        f.recorder.drain();
        long after = f.awaitMetrics(m -> true, Duration.ofSeconds(10)).path("accepted").asLong();
        // `now` items at 10 Hz give 10 * now samples a second: at least 40 % of 3 s worth on a loaded machine
        System.out.printf("OPC UA address space: %d samples in ~3 s from %d items after the removal%n",
                after - before, now);
        assertThat(after - before).as("the remaining items keep flowing").isGreaterThan((long) (0.4 * 3 * 10 * now));
        String log = f.gateway.logText();
        assertThat(log.lines().filter(l -> l.contains("OPC UA source 'plant': connected to")).count())
                .as("one session, no reconnect; log:%n%s", log).isEqualTo(1);
        assertThat(log.lines().filter(l -> l.contains("OPC UA source 'plant': subscription")
                && l.contains("monitored items (")).count()).as("one subscription").isEqualTo(1);
        assertThat(log).doesNotContain("OPC UA source 'plant': session to");
        log.lines().filter(l -> l.contains("re-browsed")).forEach(System.out::println);

        // 2. a source that ignores model change events finds changes by its periodic re-browse
        o.source("plant", Map.of("rebrowse.on.model.change", "false", "rebrowse.interval.s", "2"));
        assertThat(f.gateway.awaitLog("OPC UA source 'plant' stopped", Duration.ofSeconds(30)))
                .as("the source restarts with the new configuration").isTrue();
        o.awaitServerItems(now, Duration.ofSeconds(30));
        long t1 = System.nanoTime();
        int compressor = server.addAsset("compressor-2");
        o.awaitServerItems(now + compressor, Duration.ofSeconds(PERIODIC_BOUND_S));
        double found = (System.nanoTime() - t1) / 1e9;
        long t2 = System.nanoTime();
        server.removeAsset("pump-4");
        o.awaitServerItems(now + compressor - added, Duration.ofSeconds(PERIODIC_BOUND_S));
        double dropped = (System.nanoTime() - t2) / 1e9;
        System.out.printf(Locale.ROOT, "OPC UA address space without model change events (re-browse every 2 s): "
                + "added asset monitored after %.1f s, removed asset dropped after %.1f s (bound %d s)%n", found,
                dropped, PERIODIC_BOUND_S);
        JsonNode periodic = f.awaitMetrics(m -> OpcUaFixture.monitoredItems(m, SOURCE) == now + compressor - added,
                Duration.ofSeconds(10));
        assertThat(OpcUaFixture.detail(periodic, SOURCE)).contains("model change events off", "re-created 0x");
    }

    private static String subscriptionId(JsonNode metrics) {
        Matcher m = SUBSCRIPTION.matcher(OpcUaFixture.detail(metrics, SOURCE));
        assertThat(m.find()).as("subscription id in %s", OpcUaFixture.detail(metrics, SOURCE)).isTrue();
        return m.group(1);
    }
}

package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import com.fasterxml.jackson.databind.JsonNode;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fault 7: malformed input, property-based (jqwik). {@link #TRIES} generated MQTT messages
 * ({@link MalformedPayloads}: valid ones of every form and invalid ones of 17 kinds, from empty and invalid UTF-8 to
 * NaN, 1e309, 20,000-deep nesting and truncated documents) are published with QoS 1 to the real gateway. The property
 * (each try): the message is published and the gateway is alive. At the end (after the container): the gateway
 * never crashed, its source never lost its connection, {@code rejected} (every reason) equals exactly the number of
 * invalid messages generated, per reason, and {@code accepted} equals exactly the number of samples in the valid
 * ones. The 1,000,000 messages (the rate is printed).
 * The seed is fixed, so a failure reproduces.
 */
class MalformedInputIT {

    static final int TRIES = 1_000_000;
    static final String SEED = "20261128";
    private static final String ID = "fault-malformed";
    private static final int WINDOW = 900; // below the publisher's max in-flight (1000)
    private static final long MAX_LAG = 50_000;

    private static Path dir;
    private static FaultRig rig;
    private static MqttAsyncClient publisher;
    private static final Semaphore window = new Semaphore(WINDOW);
    private static final AtomicLong publishFailures = new AtomicLong();
    private static final AtomicReference<Throwable> firstPublishFailure = new AtomicReference<>();
    private static final Map<String, Long> expectedRejects = new TreeMap<>();
    private static final Map<String, Long> families = new TreeMap<>();
    private static long validMessages;
    private static long invalidMessages;
    private static long expectedSamples;
    private static long bytes;
    private static long tries;
    private static JsonNode baseline;
    private static long t0;

    @BeforeContainer
    static void startGateway() throws Exception {
        dir = Files.createTempDirectory("fault-malformed");
        rig = new FaultRig(dir, ID, Map.of());
        rig.startGateway(true);
        baseline = stableMetrics();
        publisher = new MqttAsyncClient(rig.plant.url(), "fuzz-" + ID, new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMaxInflight(1000);
        publisher.connect(o).waitForCompletion(10_000);
        t0 = System.nanoTime();
    }

    @Provide
    Arbitrary<MalformedPayloads.Case> messages() {
        return Arbitraries.randomValue(MalformedPayloads::next);
    }

    @Property(tries = TRIES, seed = SEED, shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.NONE,
            generation = GenerationMode.RANDOMIZED)
    void everyMessageIsAcceptedOrRejectedAndTheGatewaySurvives(@ForAll("messages") MalformedPayloads.Case c)
            throws Exception {
        families.merge(c.family(), 1L, Long::sum);
        if (c.valid()) {
            validMessages++;
            expectedSamples += c.samples();
        } else {
            invalidMessages++;
            expectedRejects.merge(c.reason(), 1L, Long::sum);
        }
        bytes += c.payload().length;
        assertThat(window.tryAcquire(30, TimeUnit.SECONDS)).as("broker acknowledges within 30 s").isTrue();
        publisher.publish(c.topic(), c.payload(), 1, false, null, new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                window.release();
            }

            @Override
            public void onFailure(IMqttToken token, Throwable e) {
                publishFailures.incrementAndGet();
                firstPublishFailure.compareAndSet(null, e);
                window.release();
            }
        });
        if (++tries % 5_000 == 0) {
            assertThat(rig.gateway.isAlive()).as("gateway alive after %d messages; last: %s", tries, c).isTrue();
            awaitGatewayWithin(MAX_LAG);
        }
    }

    /**
     * Keeps the publisher at most {@code lag} inputs (samples + rejects) ahead of what the gateway has received, by its
     * metrics (1 s old at most), so the broker's queue for the gateway stays bounded whatever the machine's load.
     */
    private static void awaitGatewayWithin(long lag) throws InterruptedException {
        long sent = baseline.path("received").asLong() + expectedSamples + invalidMessages;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            JsonNode m = rig.checker.metrics.get();
            if (m == null || sent - m.path("received").asLong() <= lag) {
                return;
            }
            Thread.sleep(20);
        }
    }

    @AfterContainer
    static void countersMatchTheGenerator() throws Exception {
        try {
            assertThat(window.tryAcquire(WINDOW, 60, TimeUnit.SECONDS)).as("all publishes acknowledged").isTrue();
            double publishSeconds = (System.nanoTime() - t0) / 1e9;
            long messages = validMessages + invalidMessages;
            long receivedBefore = baseline.path("received").asLong();
            long expectedReceived = receivedBefore + expectedSamples + invalidMessages;
            JsonNode m = rig.awaitMetrics(x -> x.path("received").asLong() >= expectedReceived
                    && x.path("evaluated").asLong() >= x.path("accepted").asLong(), Duration.ofSeconds(120));
            double gatewaySeconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(2_000); // anything beyond the expected count would show in the next metrics
            m = rig.awaitMetrics(x -> true, Duration.ofSeconds(5));

            long accepted = m.path("accepted").asLong() - baseline.path("accepted").asLong();
            Map<String, Long> rejected = new TreeMap<>();
            long rejectedTotal = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = m.path("rejected").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long n = e.getValue().asLong() - baseline.path("rejected").path(e.getKey()).asLong();
                if (n != 0) {
                    rejected.put(e.getKey(), n);
                    rejectedTotal += n;
                }
            }
            String log = rig.gateway.logText();
            long sourceLost = log.lines().filter(l -> l.contains("MQTT source") && l.contains("lost")).count();
            long starts = log.lines().filter(l -> l.contains("Gateway '" + ID + "' started")).count();
            boolean alive = rig.gateway.isAlive();
            System.out.printf("FAULT 7 malformed-input: %d generated messages (issue: 1,000,000; jqwik seed %s), %d "
                            + "valid (%d samples), %d invalid, %.1f MB, %.0f msgs/s published, all decoded after "
                            + "%.1f s (%.0f msgs/s end to end): gateway %s (started %d time), source connection lost "
                            + "%d times, accepted %d (expected %d), rejected %d (expected %d) %s (expected %s), "
                            + "publish failures %d; families %s%n", messages, SEED, validMessages, expectedSamples,
                    invalidMessages, bytes / 1e6, messages / publishSeconds, gatewaySeconds,
                    messages / gatewaySeconds, alive ? "alive" : "DEAD", starts, sourceLost, accepted,
                    expectedSamples, rejectedTotal, invalidMessages, rejected, expectedRejects,
                    publishFailures.get(), families);

            assertThat(publishFailures.get()).as("publish failures (first: %s)", firstPublishFailure.get()).isZero();
            assertThat(messages).isEqualTo(TRIES);
            assertThat(alive).as("gateway alive; log:%n%s", log).isTrue();
            assertThat(starts).as("started once").isEqualTo(1);
            assertThat(sourceLost).as("source connection losses").isZero();
            assertThat(rejectedTotal).as("rejected = invalid messages generated").isEqualTo(invalidMessages);
            assertThat(rejected).as("rejected per reason").isEqualTo(expectedRejects);
            assertThat(accepted).as("accepted = samples in the valid messages").isEqualTo(expectedSamples);
        } finally {
            try {
                if (publisher != null) {
                    publisher.disconnect().waitForCompletion(2000);
                    publisher.close();
                }
            } finally {
                if (rig != null) {
                    rig.close();
                }
                deleteTree(dir);
            }
        }
    }

    /** The metrics once two messages in a row agree on what was received (the start-up probes are all counted). */
    private static JsonNode stableMetrics() throws Exception {
        long previous = -1;
        for (int i = 0; i < 30; i++) {
            Thread.sleep(1100);
            JsonNode m = rig.awaitMetrics(x -> true, Duration.ofSeconds(5));
            if (m.path("received").asLong() == previous) {
                return m;
            }
            previous = m.path("received").asLong();
        }
        throw new AssertionError("received never settled");
    }

    private static void deleteTree(Path root) throws Exception {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

package io.edgegateway.testbed.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Fault 9: random bytes are written into an outbox segment (in the middle, and appended at its end) while the
 * gateway is stopped. The gateway starts, logs what it could not recover, delivers what it could, and keeps working.
 */
class CorruptOutboxIT {

    private static final String ID = "fault-corrupt";

    @TempDir
    Path dir;

    @Test
    void aCorruptedSegmentIsReportedAndTheGatewayKeepsWorking() throws Exception {
        int n = 300;
        try (FaultRig rig = new FaultRig(dir, ID, Map.of())) {
            rig.startGateway(true);
            // the uplink broker goes down cleanly: it saves the checker's persistent session, so the checker
            // cannot miss what the gateway publishes before it has resubscribed (a SIGKILL right after the
            // subscription could lose it; broker kills are scenario 1's subject)
            rig.uplink.close();
            rig.pairs(n, 50, 0, 1_700_000_000_000L);
            Thread.sleep(2_000);
            rig.gateway.kill();

            Path segment;
            try (Stream<Path> s = Files.list(rig.home.resolve("data/outbox"))) {
                segment = s.filter(p -> p.toString().endsWith(".seg"))
                        .max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            long size = Files.size(segment);
            Random random = new Random(9);
            byte[] junk = new byte[2048];
            random.nextBytes(junk);
            byte[] tail = new byte[1000];
            random.nextBytes(tail);
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(junk), size / 3);
                ch.write(ByteBuffer.wrap(tail), size);
            }

            rig.startGateway(false);
            assertThat(rig.gateway.awaitLog("could not recover everything", Duration.ofSeconds(10)))
                    .as("log:%n%s", rig.gateway.logText()).isTrue();
            Matcher lostLine = Pattern.compile("(\\d+) bytes unreadable, (\\d+) messages lost")
                    .matcher(rig.gateway.logText());
            assertThat(lostLine.find()).isTrue();
            long unreadable = Long.parseLong(lostLine.group(1));
            long lost = Long.parseLong(lostLine.group(2));
            rig.uplink.restart();
            JsonNode m = rig.awaitMetrics(x -> x.path("outbox_pending").asLong() == 0
                    && x.path("outbox_delivered").asLong() == x.path("outbox_recovered").asLong(),
                    Duration.ofSeconds(60));
            long recovered = m.path("outbox_recovered").asLong();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (rig.checker.distinct() < recovered && System.nanoTime() < until) {
                Thread.sleep(100); // acknowledged by the broker; on its way to the checker
            }
            int before = rig.checker.distinct();

            rig.awaitSourceReady();
            int fresh = 20;
            for (int i = 0; i < fresh; i++) {
                rig.pair("pump-new-" + i, 1_800_000_000_000L + i);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (rig.checker.distinct() < before + fresh && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            System.out.printf("FAULT 9 corrupt-store: %d bytes of random data written into a %d-byte segment "
                            + "holding %d alerts: %d bytes reported unreadable, %d messages lost, %d recovered and "
                            + "delivered; %d/%d new alerts delivered afterwards%n", junk.length + tail.length, size, n,
                    unreadable, lost, recovered, rig.checker.distinct() - before, fresh);
            assertThat(recovered + lost).isEqualTo(n);
            assertThat(lost).isBetween(1L, 10L);
            assertThat(before).isEqualTo((int) recovered);
            assertThat(rig.checker.distinct()).as("new alerts after the recovery; log:%n%s", rig.gateway.logText())
                    .isEqualTo(before + fresh);
            assertThat(rig.gateway.isAlive()).isTrue();
        }
    }
}

package io.edgegateway.connector.mqtt.internal.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Counters;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Fsync;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Message;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Options;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Overflow;

class OutboxTest {

    static final int ALERT = 1;
    static final int EXPLANATION = 0;

    @TempDir
    Path dir;

    final AtomicLong now = new AtomicLong(1_700_000_000_000L);

    Options options(Path d) {
        return new Options(d, Fsync.NEVER, 0, 1_000_000, 1L << 30, 86_400_000L, Overflow.DROP_OLDEST, 1 << 20);
    }

    Outbox open(Options o) throws IOException {
        return Outbox.open(o, now::get);
    }

    static byte[] payload(int i) {
        return ("{\"alertId\":\"a-" + i + "\",\"value\":" + i + ",\"pad\":\"" + "x".repeat(i % 37) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static List<Message> all(Outbox o) {
        List<Message> out = new ArrayList<>();
        long after = -1;
        for (Message m = o.next(after); m != null; m = o.next(after)) {
            out.add(m);
            after = m.seq();
        }
        return out;
    }

    static List<String> payloads(List<Message> ms) {
        return ms.stream().map(m -> new String(m.payload(), StandardCharsets.UTF_8)).toList();
    }

    static void assertInvariant(Counters c) {
        assertThat(c.recovered() + c.stored())
                .isEqualTo(c.delivered() + c.expired() + c.evicted() + c.pending());
    }

    @Test
    void appendAckAndRecoverAfterClose() throws IOException {
        List<Long> seqs = new ArrayList<>();
        try (Outbox o = open(options(dir))) {
            for (int i = 0; i < 10; i++) {
                seqs.add(o.append(i % 2 == 0 ? ALERT : EXPLANATION, "gw/alerts/pump-" + i, payload(i)));
            }
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(o.ack(seqs.get(0))).isTrue();
            assertThat(o.ack(seqs.get(5))).isTrue(); // out of order
            assertThat(o.ack(seqs.get(2))).isTrue();
            assertThat(o.ack(seqs.get(2))).isFalse(); // a second ack changes nothing
            assertThat(o.ack(999)).isFalse();
            Counters c = o.counters();
            assertThat(c.stored()).isEqualTo(10);
            assertThat(c.delivered()).isEqualTo(3);
            assertThat(c.pending()).isEqualTo(7);
            assertInvariant(c);
        }
        try (Outbox o = open(options(dir))) {
            List<Message> ms = all(o);
            assertThat(ms).extracting(Message::seq).containsExactly(seqs.get(1), seqs.get(3), seqs.get(4),
                    seqs.get(6), seqs.get(7), seqs.get(8), seqs.get(9));
            assertThat(ms.get(0).payload()).isEqualTo(payload(1)); // byte-identical
            assertThat(ms.get(0).topic()).isEqualTo("gw/alerts/pump-1");
            assertThat(ms.get(0).priority()).isEqualTo(EXPLANATION);
            assertThat(ms.get(0).enqueuedMillis()).isEqualTo(now.get());
            assertThat(o.counters().recovered()).isEqualTo(7);
            assertThat(o.recovery().problems()).isEmpty();
            long next = o.append(ALERT, "t", payload(99));
            assertThat(next).isGreaterThan(seqs.get(9)); // seqs never reused
        }
    }

    @Test
    void restartWithoutCloseKeepsUnacknowledgedInOrder() throws IOException {
        // the first outbox is abandoned, not closed: as after kill -9 (no checkpoint at close)
        Outbox first = open(options(dir));
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            seqs.add(first.append(i % 3 == 0 ? EXPLANATION : ALERT, "t/" + i, payload(i)));
        }
        for (int i = 0; i < 200; i++) {
            first.ack(seqs.get(i));
        }
        first.ack(seqs.get(300));
        try (Outbox o = open(options(dir))) {
            List<Message> ms = all(o);
            assertThat(ms).hasSize(299);
            assertThat(ms).extracting(Message::seq).isSorted();
            assertThat(ms.get(0).seq()).isEqualTo(seqs.get(200));
            assertThat(ms).extracting(Message::seq).doesNotContain(seqs.get(300));
            assertThat(payloads(ms).get(0)).isEqualTo(new String(payload(200), StandardCharsets.UTF_8));
        }
        first.close();
    }

    @Test
    void tornLastRecordAtEveryOffset() throws IOException {
        Path src = dir.resolve("src");
        long lastStart;
        try (Outbox o = open(options(src))) {
            for (int i = 0; i < 5; i++) {
                o.append(ALERT, "t", payload(i + 10));
            }
        }
        Path segment = onlySegment(src);
        byte[] full = Files.readAllBytes(segment);
        lastStart = full.length - (Outbox.HEADER + Outbox.BODY_FIXED + 1 + payload(14).length);
        for (long cut = lastStart; cut <= full.length; cut++) {
            Path d = dir.resolve("cut-" + cut);
            Files.createDirectories(d);
            Files.write(d.resolve(segment.getFileName()), java.util.Arrays.copyOf(full, (int) cut));
            try (Outbox o = open(options(d))) {
                List<Message> ms = all(o);
                int expected = cut == full.length ? 5 : 4;
                assertThat(ms).as("cut at %d", cut).hasSize(expected);
                for (int i = 0; i < expected; i++) {
                    assertThat(ms.get(i).payload()).isEqualTo(payload(i + 10));
                }
                assertThat(o.recovery().problems()).as("cut at %d", cut)
                        .hasSize(cut == lastStart || cut == full.length ? 0 : 1);
                o.append(ALERT, "t", payload(77)); // and it keeps working
            }
            try (Outbox o = open(options(d))) {
                List<Message> ms = all(o);
                assertThat(ms).hasSize(cut == full.length ? 6 : 5);
                assertThat(ms.get(ms.size() - 1).payload()).isEqualTo(payload(77));
                assertThat(o.recovery().problems()).isEmpty(); // the torn tail was cut off
            }
        }
    }

    @Test
    void randomGarbageInTheMiddleOfASegmentLosesOnlyThoseRecords() throws IOException {
        List<Long> seqs = new ArrayList<>();
        try (Outbox o = open(options(dir))) {
            for (int i = 0; i < 100; i++) {
                seqs.add(o.append(ALERT, "t", payload(i)));
            }
        }
        Path segment = onlySegment(dir);
        long size = Files.size(segment);
        byte[] garbage = new byte[300];
        new Random(42).nextBytes(garbage);
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(garbage), size / 2);
        }
        try (Outbox o = open(options(dir))) {
            Outbox.Recovery r = o.recovery();
            List<Message> ms = all(o);
            assertThat(r.problems()).hasSize(1);
            assertThat(r.problems().get(0)).contains("unreadable").contains("messages lost");
            assertThat(r.lostRecords()).isBetween(3L, 12L); // the records the 300 bytes touched
            assertThat(ms.size() + r.lostRecords()).isEqualTo(100);
            assertThat(ms.get(ms.size() - 1).payload()).isEqualTo(payload(99)); // records after the damage kept
            for (Message m : ms) {
                assertThat(m.payload()).isEqualTo(payload(seqs.indexOf(m.seq())));
            }
            long seq = o.append(ALERT, "t", payload(1000));
            assertThat(o.next(ms.get(ms.size() - 1).seq()).seq()).isEqualTo(seq);
        }
    }

    @Test
    void aSegmentOfRandomBytesIsReportedAndTheOutboxWorks() throws IOException {
        Files.createDirectories(dir);
        byte[] junk = new byte[64 * 1024];
        new Random(7).nextBytes(junk);
        Files.write(dir.resolve(Outbox.segmentName(0)), junk);
        Files.write(dir.resolve(Outbox.ACKS), java.util.Arrays.copyOf(junk, 1000));
        Files.write(dir.resolve("garbage.seg"), junk);
        try (Outbox o = open(options(dir))) {
            assertThat(o.recovery().problems()).hasSize(3);
            assertThat(o.recovery().unrecoverableBytes()).isEqualTo(junk.length);
            assertThat(o.counters().pending()).isZero();
            long seq = o.append(ALERT, "t", payload(1));
            assertThat(o.next(-1).payload()).isEqualTo(payload(1));
            assertThat(o.ack(seq)).isTrue();
        }
        try (Outbox o = open(options(dir))) {
            assertThat(o.counters().pending()).isZero();
        }
    }

    @Test
    void aCorruptAckLogMeansResendingNotLosing() throws IOException {
        try (Outbox o = open(options(dir))) {
            for (int i = 0; i < 10; i++) {
                o.ack(o.append(ALERT, "t", payload(i)));
            }
            o.append(ALERT, "t", payload(10));
        }
        byte[] junk = new byte[100];
        new Random(3).nextBytes(junk);
        Files.write(dir.resolve(Outbox.ACKS), junk);
        try (Outbox o = open(options(dir))) {
            assertThat(o.recovery().problems()).singleElement().asString().contains(Outbox.ACKS);
            assertThat(payloads(all(o))).contains(new String(payload(10), StandardCharsets.UTF_8));
        }
    }

    @Test
    void dropOldestEvictsLowerPriorityFirstAndCountsExactly() throws IOException {
        Options o10 = new Options(dir, Fsync.NEVER, 0, 10, 1L << 30, 86_400_000L, Overflow.DROP_OLDEST, 1 << 20);
        try (Outbox o = open(o10)) {
            List<Long> expl = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                expl.add(o.append(EXPLANATION, "e", payload(i)));
            }
            List<Long> alerts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                alerts.add(o.append(ALERT, "a", payload(100 + i)));
            }
            // 16 offered into 10: the 4 explanations go first, then the 2 oldest alerts
            List<Message> ms = all(o);
            assertThat(ms).extracting(Message::seq).containsExactlyElementsOf(alerts.subList(2, 12));
            Counters c = o.counters();
            assertThat(c.evicted()).isEqualTo(6);
            assertThat(c.rejected()).isZero();
            assertThat(c.dropped()).isEqualTo(6);
            // an explanation cannot evict an alert: rejected
            assertThat(o.append(EXPLANATION, "e", payload(5))).isEqualTo(-1);
            assertThat(o.counters().rejected()).isEqualTo(1);
            assertInvariant(o.counters());
            assertThat(o.ack(alerts.get(0))).isFalse(); // an evicted message's late ack is ignored
        }
    }

    @Test
    void rejectNewKeepsTheOldestButAlertsStillEvictExplanations() throws IOException {
        Options o10 = new Options(dir, Fsync.NEVER, 0, 10, 1L << 30, 86_400_000L, Overflow.REJECT_NEW, 1 << 20);
        try (Outbox o = open(o10)) {
            for (int i = 0; i < 6; i++) {
                o.append(EXPLANATION, "e", payload(i));
            }
            for (int i = 0; i < 6; i++) {
                assertThat(o.append(ALERT, "a", payload(100 + i))).isNotNegative();
            }
            assertThat(o.counters().evicted()).isEqualTo(2); // the two oldest explanations
            for (int i = 0; i < 4; i++) {
                assertThat(o.append(ALERT, "a", payload(200 + i))).isNotNegative();
            }
            assertThat(o.append(ALERT, "a", payload(300))).isEqualTo(-1); // full of alerts: the new one is rejected
            assertThat(o.append(EXPLANATION, "e", payload(301))).isEqualTo(-1);
            Counters c = o.counters();
            assertThat(c.evicted()).isEqualTo(6);
            assertThat(c.rejected()).isEqualTo(2);
            assertThat(c.stored()).isEqualTo(16);
            assertThat(c.pending()).isEqualTo(10);
            assertThat(all(o)).allMatch(m -> m.priority() == ALERT);
            assertInvariant(c);
        }
    }

    @Test
    void sizeBoundCountsRecordBytes() throws IOException {
        int record = Outbox.HEADER + Outbox.BODY_FIXED + 1 + 100;
        Options o = new Options(dir, Fsync.NEVER, 0, 1000, record * 5L, 86_400_000L, Overflow.DROP_OLDEST, 1 << 20);
        try (Outbox box = open(o)) {
            for (int i = 0; i < 8; i++) {
                box.append(ALERT, "a", new byte[100]);
            }
            Counters c = box.counters();
            assertThat(c.pending()).isEqualTo(5);
            assertThat(c.bytes()).isEqualTo(record * 5L);
            assertThat(c.evicted()).isEqualTo(3);
            assertThat(box.append(ALERT, "a", new byte[(int) (record * 6L)])).isEqualTo(-1); // can never fit
            assertInvariant(box.counters());
        }
    }

    @Test
    void ageBoundExpiresAcrossRestarts() throws IOException {
        Options o = new Options(dir, Fsync.NEVER, 0, 1000, 1L << 30, 60_000L, Overflow.DROP_OLDEST, 1 << 20);
        try (Outbox box = open(o)) {
            for (int i = 0; i < 5; i++) {
                box.append(i % 2, "a", payload(i));
                now.addAndGet(10_000);
            }
            now.addAndGet(25_000); // first record is 75 s old, the last 35 s
            assertThat(box.expire()).isEqualTo(2);
            assertThat(box.counters().expired()).isEqualTo(2);
        }
        now.addAndGet(20_000);
        try (Outbox box = open(o)) {
            assertThat(box.counters().recovered()).isEqualTo(3);
            assertThat(box.expire()).isEqualTo(2); // enqueue times are stored
            assertThat(all(box)).singleElement().extracting(Message::payload).isEqualTo(payload(4));
            assertInvariant(box.counters());
        }
    }

    @Test
    void segmentsAreDeletedOnceFullyAcknowledged() throws IOException {
        Options o = new Options(dir, Fsync.NEVER, 0, 100_000, 1L << 30, 86_400_000L, Overflow.DROP_OLDEST, 4096);
        try (Outbox box = open(o)) {
            List<Long> seqs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                seqs.add(box.append(ALERT, "a", payload(i)));
            }
            assertThat(segmentCount(dir)).isGreaterThan(20);
            for (long s : seqs.subList(0, 990)) {
                box.ack(s);
            }
            assertThat(segmentCount(dir)).isLessThanOrEqualTo(2);
            assertThat(box.diskBytes()).isLessThanOrEqualTo(8192);
        }
        try (Outbox box = open(o)) {
            assertThat(all(box)).hasSize(10);
        }
    }

    @Test
    void concurrentAppendsWithEachFsyncPolicyAreAllKept() throws Exception {
        for (Fsync f : Fsync.values()) {
            Path d = dir.resolve(f.name());
            Options o = new Options(d, f, 2, 1_000_000, 1L << 30, 86_400_000L, Overflow.DROP_OLDEST, 64 * 1024);
            Set<Long> seqs = ConcurrentHashMap.newKeySet();
            Outbox box = open(o);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int tt = t;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < 300; i++) {
                            seqs.add(box.append(ALERT, "a", payload(tt * 1000 + i)));
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertThat(seqs).hasSize(1200);
            // abandoned (no close), then recovered
            try (Outbox again = open(options(d))) {
                assertThat(all(again)).extracting(Message::seq).containsExactlyInAnyOrderElementsOf(seqs);
            }
            box.close();
        }
    }

    @Test
    void hundredThousandMessagesAppendedReadAndAcknowledged() throws IOException {
        Options o = new Options(dir, Fsync.NEVER, 0, 200_000, 1L << 30, 86_400_000L, Overflow.DROP_OLDEST, 4 << 20);
        int n = 100_000;
        byte[] p = new byte[400];
        long t0 = System.nanoTime();
        try (Outbox box = open(o)) {
            for (int i = 0; i < n; i++) {
                box.append(i % 10 == 0 ? EXPLANATION : ALERT, "gateway/g/alerts/pump-" + (i % 50), p);
            }
            long after = -1;
            int read = 0;
            for (Message m = box.next(after); m != null; m = box.next(after)) {
                assertThat(box.ack(m.seq())).isTrue();
                after = m.seq();
                read++;
            }
            assertThat(read).isEqualTo(n);
            Counters c = box.counters();
            assertThat(c.stored()).isEqualTo(n);
            assertThat(c.delivered()).isEqualTo(n);
            assertThat(c.pending()).isZero();
            assertThat(c.bytes()).isZero();
            assertThat(segmentCount(dir)).isEqualTo(1);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("outbox: %d messages appended+read+acked (fsync never) in %.2f s: %.0f msg/s%n", n, s,
                n / s);
        try (Outbox box = open(o)) {
            assertThat(box.counters().pending()).isZero();
        }
    }

    static Path onlySegment(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            List<Path> segs = s.filter(p -> p.toString().endsWith(Outbox.SEGMENT_SUFFIX)).sorted().toList();
            // the last one is the fresh (empty) active segment of the last open
            return segs.stream().filter(p -> {
                try {
                    return Files.size(p) > 0;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }).reduce((a, b) -> {
                throw new AssertionError("more than one segment: " + segs);
            }).orElseThrow();
        }
    }

    static long segmentCount(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(Outbox.SEGMENT_SUFFIX)).count();
        }
    }
}

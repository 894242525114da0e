package io.edgegateway.connector.mqtt.internal.outbox;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Fsync;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Message;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Options;
import io.edgegateway.connector.mqtt.internal.outbox.Outbox.Overflow;

/**
 * Throughput of the outbox per fsync policy against plain appends, same record size, same run (not a test: a
 * {@code main}). Prints messages/s for "append" (the caller waits for durability as the policy says) and for
 * "append+ack" (append all, then read each back and acknowledge it, as the publisher does).
 *
 * <pre>
 * cd connectors/mqtt &amp;&amp; mvn -B -o -q test-compile &amp;&amp; java -cp target/classes:target/test-classes:$HOME/.m2/repository/org/slf4j/slf4j-api/2.0.16/slf4j-api-2.0.16.jar \
 *   io.edgegateway.connector.mqtt.internal.outbox.OutboxThroughput [dir] [messages] [payloadBytes]
 * </pre>
 */
public final class OutboxThroughput {

    private OutboxThroughput() {
    }

    public static void main(String[] args) throws Exception {
        Path base = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("outbox-bench");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 400;
        int slow = Math.max(1000, n / 50); // fsync-per-record runs get fewer messages
        byte[] payload = new byte[size];
        String topic = "gateway/line-1/alerts/pump-17";
        int record = Outbox.HEADER + Outbox.BODY_FIXED + topic.length() + size;
        System.out.printf("record %d bytes (payload %d), dir %s, %d cores%n", record, size, base,
                Runtime.getRuntime().availableProcessors());

        baseline(base.resolve("plain"), n, record, false);
        baseline(base.resolve("plain-sync"), slow, record, true);
        run(base, Fsync.NEVER, 0, 1, n, topic, payload);
        run(base, Fsync.ALWAYS, 0, 1, slow, topic, payload);
        run(base, Fsync.ALWAYS, 0, 2, slow, topic, payload);
        run(base, Fsync.BATCH, 0, 1, slow, topic, payload);
        run(base, Fsync.BATCH, 0, 2, slow * 2, topic, payload);
        run(base, Fsync.BATCH, 0, 4, slow * 4, topic, payload);
        run(base, Fsync.BATCH, 2, 1, slow / 4, topic, payload);
        run(base, Fsync.BATCH, 2, 2, slow / 2, topic, payload);
        run(base, Fsync.BATCH, 2, 16, slow * 2, topic, payload);
        run(base, Fsync.ALWAYS, 0, 1, slow, topic, payload); // again, after the others: warm-up effects
        if (args.length == 0) {
            delete(base);
        }
    }

    private static void baseline(Path file, int n, int record, boolean sync) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] b = new byte[record];
        long t0 = System.nanoTime();
        try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
            for (int i = 0; i < n; i++) {
                out.write(b);
                if (sync) {
                    out.getFD().sync();
                }
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("baseline FileOutputStream %-14s 1 thread : %9.0f msg/s (%d in %.2f s)%n",
                sync ? "+fsync each" : "no sync", n / s, n, s);
        Files.delete(file);
    }

    private static void run(Path base, Fsync fsync, long intervalMs, int threads, int n, String topic,
                            byte[] payload) throws Exception {
        Path dir = base.resolve(fsync + "-" + intervalMs + "-" + threads);
        Options o = new Options(dir, fsync, intervalMs, 10_000_000, 1L << 34, 86_400_000L, Overflow.DROP_OLDEST,
                16 << 20);
        try (Outbox box = Outbox.open(o)) {
            long t0 = System.nanoTime();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int share = n / threads;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < share; i++) {
                            box.append(1, topic, payload);
                        }
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            long t1 = System.nanoTime();
            long after = -1;
            int acked = 0;
            for (Message m = box.next(after); m != null; m = box.next(after)) {
                box.ack(m.seq());
                after = m.seq();
                acked++;
            }
            long t2 = System.nanoTime();
            int total = (n / threads) * threads;
            if (acked != total) {
                throw new IllegalStateException("acked " + acked + " of " + total);
            }
            System.out.printf("outbox fsync=%-6s %-5s %2d thread%s: append %9.0f msg/s, append+ack %9.0f msg/s "
                            + "(%d msgs, %.2f s)%n", fsync.name().toLowerCase(),
                    fsync == Fsync.BATCH ? intervalMs + "ms" : "", threads, threads == 1 ? " " : "s",
                    total / ((t1 - t0) / 1e9), total / ((t2 - t0) / 1e9), total, (t2 - t0) / 1e9);
        }
        delete(dir);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

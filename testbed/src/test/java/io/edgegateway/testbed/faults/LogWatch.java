package io.edgegateway.testbed.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Tails a gateway log and remembers when (test clock, {@link System#nanoTime()}) each line appeared, so that a test
 * can time what the gateway did relative to what the test did (polled every 50 ms: times are within ~50 ms).
 */
final class LogWatch implements AutoCloseable {

    /** One log line and when it was first seen. */
    record Line(long seenNanos, String text) {
    }

    private final Path log;
    private final List<Line> lines = new ArrayList<>();
    private final Thread tailer;
    private final StringBuilder partial = new StringBuilder();
    private long offset;
    private volatile boolean closed;

    LogWatch(Path log) {
        this.log = log;
        tailer = new Thread(this::run, "log-watch");
        tailer.setDaemon(true);
        tailer.start();
    }

    private void run() {
        while (!closed) {
            try {
                poll();
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // not there yet
            }
        }
    }

    private void poll() throws IOException {
        if (!Files.exists(log)) {
            return;
        }
        byte[] fresh;
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= offset) {
                return;
            }
            fresh = new byte[(int) (len - offset)];
            f.seek(offset);
            f.readFully(fresh);
            offset = len;
        }
        long now = System.nanoTime();
        partial.append(new String(fresh, StandardCharsets.UTF_8));
        int nl;
        List<Line> added = new ArrayList<>();
        while ((nl = partial.indexOf("\n")) >= 0) {
            added.add(new Line(now, partial.substring(0, nl)));
            partial.delete(0, nl + 1);
        }
        synchronized (lines) {
            lines.addAll(added);
            lines.notifyAll();
        }
    }

    /** Lines containing {@code text}, seen at or after {@code sinceNanos}. */
    List<Line> since(long sinceNanos, String text) {
        return matching(l -> l.seenNanos() >= sinceNanos && l.text().contains(text));
    }

    List<Line> matching(Predicate<Line> p) {
        synchronized (lines) {
            return lines.stream().filter(p).toList();
        }
    }

    int count(String text) {
        return matching(l -> l.text().contains(text)).size();
    }

    /** The first line containing {@code text} seen at or after {@code sinceNanos}; null on timeout. */
    Line await(String text, long sinceNanos, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                for (Line l : lines) {
                    if (l.seenNanos() >= sinceNanos && l.text().contains(text)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                lines.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        tailer.interrupt();
        tailer.join(1000);
    }
}

package io.edgegateway.connector.mqtt.internal.outbox;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable outbox: a segmented append-only log of messages (MQTT topic and payload) that survives kill -9 and,
 * with {@link Fsync#ALWAYS} or {@link Fsync#BATCH}, power loss. Messages are removed only when delivered
 * ({@link #ack}), expired ({@link #expire}) or evicted by the overflow policy.
 *
 * <h2>Files (in {@link Options#dir})</h2>
 * <ul>
 * <li>{@code <firstSeq:20 digits>.seg}: segments, records appended in sequence order. A record is
 * {@code [length:int32][crc32c:int32][seq:int64][priority:int8][enqueuedMillis:int64][topicLength:uint16][topic:UTF-8]
 * [payload]}, big-endian; {@code length} counts the bytes after the crc, the crc covers them. A new segment is
 * started at each open and when the active one would exceed {@link Options#segmentBytes}; a segment is deleted once
 * none of its records is pending.</li>
 * <li>{@code acks.log}: what was removed: {@code [crc32c:int32][kind:int8][seq:int64]}; kind {@code 0} is a
 * watermark (every seq below it is removed). Not synced on every ack: losing the tail only makes a message be sent
 * again (at least once). Rewritten as a compact checkpoint (watermark plus removals above it), via a synced
 * temporary file and an atomic rename, when it grows past 1 MiB, at open and at close.</li>
 * </ul>
 *
 * <h2>Recovery</h2>
 * Every segment is scanned; a record counts only if its length is plausible, its crc matches and its seq is above
 * the previous one. At a bad record the scan looks for the next valid record byte by byte: the bytes between are
 * reported as unrecoverable (with the number of sequence numbers missing), the records after them are kept. Bad
 * bytes at the end (a torn last write) are reported and cut off. Nothing found in a segment never stops the open.
 *
 * <h2>Bounds and overflow</h2>
 * At most {@link Options#maxMessages} messages and {@link Options#maxBytes} record bytes are pending. When a new
 * message does not fit, victims are chosen among pending messages of lower priority first, oldest first:
 * <ul>
 * <li>{@link Overflow#DROP_OLDEST}: pending messages of lower or equal priority are evicted;</li>
 * <li>{@link Overflow#REJECT_NEW}: only pending messages of strictly lower priority are evicted;</li>
 * </ul>
 * if that cannot make room the new message is rejected (nothing is evicted then). Messages older than
 * {@link Options#maxAgeMillis} are removed by {@link #expire}. Counters are exact: {@code recovered + stored =
 * delivered + expired + evicted + pending}, and every offered message is either stored or rejected.
 *
 * <p>Thread-safe. {@link #append} may be called by many threads; with {@link Fsync#BATCH} concurrent appends share
 * one fsync (group commit).
 */
public final class Outbox implements Closeable {

    /** When appended records are forced to the disk before {@link #append} returns. */
    public enum Fsync {
        /** fsync (fdatasync) after every record, under the write lock: survives power loss. */
        ALWAYS,
        /** group commit: a syncer thread forces at most every {@code fsyncIntervalMillis}; append waits for it. */
        BATCH,
        /** written to the OS only: survives kill -9 of the gateway, not a power loss. */
        NEVER
    }

    /** What happens when a new message does not fit; see the class comment. */
    public enum Overflow {
        DROP_OLDEST, REJECT_NEW
    }

    /** Settings. */
    public record Options(Path dir, Fsync fsync, long fsyncIntervalMillis, long maxMessages, long maxBytes,
                          long maxAgeMillis, Overflow overflow, long segmentBytes) {
        public Options {
            if (maxMessages < 1 || maxBytes < 1 || maxAgeMillis < 1 || segmentBytes < 4096
                    || segmentBytes > MAX_SEGMENT_BYTES || fsyncIntervalMillis < 0) {
                throw new IllegalArgumentException("invalid outbox options: " + maxMessages + " messages, " + maxBytes
                        + " bytes, " + maxAgeMillis + " ms, segments of " + segmentBytes + " bytes");
            }
        }
    }

    /** A pending message as stored. */
    public record Message(long seq, int priority, long enqueuedMillis, String topic, byte[] payload) {
    }

    /**
     * Exact counters since this outbox was opened. {@code recovered}: pending messages found at open.
     * {@code evicted} and {@code rejected} are the overflow policy's victims; {@link #dropped()} is their sum.
     */
    public record Counters(long recovered, long stored, long delivered, long expired, long evicted, long rejected,
                           long pending, long bytes) {
        public long dropped() {
            return evicted + rejected;
        }
    }

    /** What the open found. {@code problems}: one line per thing that could not be recovered. */
    public record Recovery(int segments, long records, long pending, long unrecoverableBytes, long lostRecords,
                           List<String> problems) {
    }

    /** The highest priority; priorities are 0 (lowest) .. MAX_PRIORITY. */
    public static final int MAX_PRIORITY = 3;
    static final int HEADER = 8; // length + crc
    static final int BODY_FIXED = 8 + 1 + 8 + 2; // seq, priority, time, topic length
    static final int ACK_RECORD = 4 + 1 + 8;
    static final long MAX_SEGMENT_BYTES = 1L << 30;
    static final int MAX_RECORD_BODY = 16 << 20;
    static final String SEGMENT_SUFFIX = ".seg";
    static final String ACKS = "acks.log";
    private static final long ACK_CHECKPOINT_BYTES = 1 << 20;
    private static final byte KIND_WATERMARK = 0;
    private static final byte KIND_DELIVERED = 1;
    private static final byte KIND_EXPIRED = 2;
    private static final byte KIND_EVICTED = 3;
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    private static final class Segment {
        final long firstSeq;
        final Path path;
        /** Replaced when an interrupt closed it (FileChannel I/O is interruptible); see {@link #channel}. */
        volatile FileChannel channel;
        boolean deleted;
        long size;
        int live;

        Segment(long firstSeq, Path path, FileChannel channel, long size) {
            this.firstSeq = firstSeq;
            this.path = path;
            this.channel = channel;
            this.size = size;
        }
    }

    /** The index entry of a pending record; the payload stays on disk. */
    private record Rec(long seq, int priority, long time, Segment segment, long offset, int length) {
    }

    private final Options options;
    private final LongSupplier clock;
    private final Object lock = new Object();
    // ---- guarded by lock
    private final List<Segment> segments = new ArrayList<>();
    @SuppressWarnings("unchecked")
    private final TreeMap<Long, Rec>[] pending = new TreeMap[MAX_PRIORITY + 1];
    /** Removed seqs at or above the watermark (out-of-order removals), for the checkpoint. */
    private final TreeSet<Long> removedAbove = new TreeSet<>();
    private final ByteBuffer ackBuffer = ByteBuffer.allocate(ACK_RECORD);
    private final CRC32C crc = new CRC32C();
    private Segment active;
    private FileChannel acks;
    private long acksSize;
    private long nextSeq;
    private long pendingCount;
    private long pendingBytes;
    private long logicalEnd; // bytes appended since open, over all segments
    private long stored;
    private long delivered;
    private long expired;
    private long evicted;
    private long rejected;
    private long recovered;
    private boolean closed;
    private String ackFailure;
    // ---- group commit (BATCH)
    private final Object syncMonitor = new Object();
    private long requestedEnd; // guarded by syncMonitor
    private long durableEnd; // guarded by syncMonitor
    private Thread syncer;
    private Recovery recovery;

    private Outbox(Options options, LongSupplier clock) {
        this.options = options;
        this.clock = clock;
        for (int p = 0; p <= MAX_PRIORITY; p++) {
            pending[p] = new TreeMap<>();
        }
    }

    /** Opens (creating {@code dir} if needed) and recovers what is there. */
    public static Outbox open(Options options) throws IOException {
        return open(options, System::currentTimeMillis);
    }

    /** @param clock wall-clock milliseconds, for enqueue times and expiry */
    public static Outbox open(Options options, LongSupplier clock) throws IOException {
        Outbox o = new Outbox(options, clock);
        o.recover();
        if (options.fsync() == Fsync.BATCH) {
            o.syncer = new Thread(o::runSyncer, "mqtt-outbox-sync");
            o.syncer.setDaemon(true);
            o.syncer.start();
        }
        return o;
    }

    public Options options() {
        return options;
    }

    public Recovery recovery() {
        return recovery;
    }

    // ------------------------------------------------------------------------------------------------ append

    /**
     * Stores a message and returns when it is durable as {@link Options#fsync} says.
     *
     * @return its sequence number, or -1 when the overflow policy rejected it (counted)
     * @throws IOException when it could not be written (not stored, not counted)
     */
    public long append(int priority, String topic, byte[] payload) throws IOException {
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority " + priority);
        }
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        if (t.length > 0xffff) {
            throw new IllegalArgumentException("topic too long");
        }
        int body = BODY_FIXED + t.length + payload.length;
        if (body > MAX_RECORD_BODY) {
            throw new IllegalArgumentException("message too large: " + payload.length + " bytes");
        }
        int length = HEADER + body;
        ByteBuffer buf = ByteBuffer.allocate(length);
        buf.putInt(body).putInt(0).putLong(0).put((byte) priority).putLong(0).putShort((short) t.length).put(t)
                .put(payload);
        long seq;
        long end;
        synchronized (lock) {
            ensureOpen();
            if (!makeRoom(priority, length)) {
                rejected++;
                return -1;
            }
            seq = nextSeq;
            long now = clock.getAsLong();
            buf.putLong(HEADER, seq).putLong(HEADER + 9, now);
            crc.reset();
            crc.update(buf.array(), HEADER, body);
            buf.putInt(4, (int) crc.getValue());
            if (active.size > 0 && active.size + length > options.segmentBytes()) {
                roll(seq);
            }
            long offset = active.size;
            buf.rewind();
            FileChannel ch = channel(active);
            try {
                writeFully(ch, buf, offset);
                if (options.fsync() == Fsync.ALWAYS) {
                    ch.force(false);
                }
            } catch (IOException e) {
                try {
                    ch.truncate(offset);
                } catch (IOException ignored) {
                    // the next write overwrites it; recovery skips it otherwise
                }
                throw e;
            }
            nextSeq = seq + 1;
            active.size = offset + length;
            active.live++;
            pending[priority].put(seq, new Rec(seq, priority, now, active, offset, length));
            pendingCount++;
            pendingBytes += length;
            stored++;
            logicalEnd += length;
            end = logicalEnd;
        }
        if (options.fsync() == Fsync.BATCH) {
            awaitDurable(end);
        }
        return seq;
    }

    /** Evicts by the overflow policy so that one more record of {@code length} fits; false: reject it. */
    private boolean makeRoom(int priority, int length) throws IOException {
        if (length > options.maxBytes()) {
            return false;
        }
        long count = pendingCount + 1;
        long bytes = pendingBytes + length;
        if (count <= options.maxMessages() && bytes <= options.maxBytes()) {
            return true;
        }
        int highest = options.overflow() == Overflow.DROP_OLDEST ? priority : priority - 1;
        List<Rec> victims = new ArrayList<>();
        outer:
        for (int p = 0; p <= highest; p++) {
            for (Rec r : pending[p].values()) {
                victims.add(r);
                count--;
                bytes -= r.length();
                if (count <= options.maxMessages() && bytes <= options.maxBytes()) {
                    break outer;
                }
            }
        }
        if (count > options.maxMessages() || bytes > options.maxBytes()) {
            return false;
        }
        for (Rec r : victims) {
            remove(r, KIND_EVICTED);
            evicted++;
        }
        return true;
    }

    /** The segment's channel, reopened if an interrupt closed it. Under lock. */
    private FileChannel channel(Segment s) throws IOException {
        FileChannel ch = s.channel;
        if (!ch.isOpen() && !s.deleted && !closed) {
            ch = FileChannel.open(s.path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            s.channel = ch;
        }
        return ch;
    }

    private void roll(long firstSeq) throws IOException {
        Segment old = active;
        if (old != null && options.fsync() != Fsync.NEVER) {
            channel(old).force(false); // what the syncer tracks is always in the active segment
        }
        active = createSegment(firstSeq);
        if (old != null && old.live == 0) {
            deleteSegment(old);
        }
    }

    private Segment createSegment(long firstSeq) throws IOException {
        Path path = options.dir().resolve(segmentName(firstSeq));
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        Segment s = new Segment(firstSeq, path, ch, 0);
        segments.add(s);
        if (options.fsync() != Fsync.NEVER) {
            syncDirectory(options.dir());
        }
        return s;
    }

    static String segmentName(long firstSeq) {
        return String.format("%020d%s", firstSeq, SEGMENT_SUFFIX);
    }

    private void awaitDurable(long end) throws IOException {
        synchronized (syncMonitor) {
            if (end > requestedEnd) {
                requestedEnd = end;
                syncMonitor.notifyAll();
            }
            boolean interrupted = false;
            while (durableEnd < end && syncer != null && syncer.isAlive()) {
                try {
                    syncMonitor.wait(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Group commit: forces the active segment as soon as something waits, but at most once per interval. */
    private void runSyncer() {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(options.fsyncIntervalMillis());
        long lastSync = System.nanoTime() - intervalNanos;
        while (true) {
            synchronized (syncMonitor) {
                while (requestedEnd <= durableEnd && !isClosed()) {
                    try {
                        syncMonitor.wait(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (isClosed() && requestedEnd <= durableEnd) {
                    return;
                }
            }
            long wait = lastSync + intervalNanos - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            FileChannel ch;
            long end;
            synchronized (lock) {
                try {
                    ch = closed || active == null ? null : channel(active);
                } catch (IOException e) {
                    ch = null;
                    LOG.error("MQTT outbox: cannot reopen {}: {}", active.path, e.toString());
                }
                end = logicalEnd;
            }
            try {
                if (ch != null) {
                    try {
                        ch.force(false);
                    } catch (ClosedChannelException e) {
                        // an interrupt in another thread closed it (reopen and force), or close() forced it already
                        synchronized (lock) {
                            ch = closed || active == null ? null : channel(active);
                        }
                        if (ch != null) {
                            ch.force(false);
                        }
                    }
                }
            } catch (ClosedChannelException e) {
                // closed: close() forced it
            } catch (IOException e) {
                LOG.error("MQTT outbox: fsync of {} failed: {}", options.dir(), e.toString());
            }
            lastSync = System.nanoTime();
            synchronized (syncMonitor) {
                durableEnd = Math.max(durableEnd, end);
                syncMonitor.notifyAll();
            }
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    // ------------------------------------------------------------------------------------------------ read

    /**
     * The pending message with the smallest seq above {@code afterSeq}, read from its segment; null when none.
     * A record whose bytes no longer verify is evicted (counted, logged) and skipped.
     */
    public Message next(long afterSeq) {
        long after = afterSeq;
        while (true) {
            Rec r;
            FileChannel ch;
            synchronized (lock) {
                if (closed) {
                    return null;
                }
                r = null;
                for (TreeMap<Long, Rec> m : pending) {
                    Map.Entry<Long, Rec> e = m.higherEntry(after);
                    if (e != null && (r == null || e.getKey() < r.seq())) {
                        r = e.getValue();
                    }
                }
                if (r == null) {
                    return null;
                }
                try {
                    ch = channel(r.segment());
                } catch (IOException e) {
                    LOG.error("MQTT outbox: cannot reopen {}: {}", r.segment().path, e.toString());
                    return null;
                }
            }
            try {
                ByteBuffer buf = ByteBuffer.allocate(r.length());
                readFully(ch, buf, r.offset());
                Message m = decode(buf.array(), r.seq());
                if (m != null) {
                    return m;
                }
                synchronized (lock) {
                    if (pending[r.priority()].get(r.seq()) == r) {
                        LOG.error("MQTT outbox: record {} in {} no longer verifies (disk corruption?); dropped",
                                r.seq(), r.segment().path);
                        remove(r, KIND_EVICTED);
                        evicted++;
                    }
                }
            } catch (ClosedChannelException e) {
                // its segment was deleted meanwhile (the record was removed), or an interrupt closed the channel
                synchronized (lock) {
                    if (closed) {
                        return null;
                    }
                    if (pending[r.priority()].get(r.seq()) == r) {
                        if (Thread.currentThread().isInterrupted()) {
                            return null;
                        }
                        continue; // reopened on the next round
                    }
                }
            } catch (IOException e) {
                LOG.error("MQTT outbox: cannot read record {} from {}: {}", r.seq(), r.segment().path, e.toString());
                return null;
            }
            after = r.seq();
        }
    }

    /** Decodes a whole record; null when it does not verify. */
    private static Message decode(byte[] b, long expectedSeq) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        int body = buf.getInt(0);
        if (body != b.length - HEADER) {
            return null;
        }
        CRC32C c = new CRC32C();
        c.update(b, HEADER, body);
        if ((int) c.getValue() != buf.getInt(4) || buf.getLong(HEADER) != expectedSeq) {
            return null;
        }
        int priority = b[HEADER + 8];
        long time = buf.getLong(HEADER + 9);
        int topicLength = Short.toUnsignedInt(buf.getShort(HEADER + 17));
        int topicAt = HEADER + BODY_FIXED;
        String topic = new String(b, topicAt, topicLength, StandardCharsets.UTF_8);
        byte[] payload = new byte[b.length - topicAt - topicLength];
        System.arraycopy(b, topicAt + topicLength, payload, 0, payload.length);
        return new Message(expectedSeq, priority, time, topic, payload);
    }

    // ------------------------------------------------------------------------------------------------ removal

    /** The broker acknowledged {@code seq}. False when it was no longer pending (evicted, expired, acked). */
    public boolean ack(long seq) {
        return removePending(seq, KIND_DELIVERED);
    }

    /**
     * Gives up on {@code seq} (e.g. a topic the client refuses: it can never be sent); counted as evicted.
     * False when it was no longer pending.
     */
    public boolean discard(long seq) {
        return removePending(seq, KIND_EVICTED);
    }

    /** Removes one pending message and counts it as delivered or evicted, by {@code kind}. */
    private boolean removePending(long seq, byte kind) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            for (TreeMap<Long, Rec> m : pending) {
                Rec r = m.get(seq);
                if (r != null) {
                    try {
                        remove(r, kind);
                    } catch (IOException e) {
                        ackFailed(e);
                    }
                    if (kind == KIND_DELIVERED) {
                        delivered++;
                    } else {
                        evicted++;
                    }
                    return true;
                }
            }
            return false;
        }
    }

    /** Removes the pending messages older than {@link Options#maxAgeMillis}; returns how many. */
    public int expire() {
        synchronized (lock) {
            if (closed) {
                return 0;
            }
            long cutoff = clock.getAsLong() - options.maxAgeMillis();
            int n = 0;
            for (TreeMap<Long, Rec> m : pending) {
                List<Rec> old = new ArrayList<>();
                for (Rec r : m.values()) {
                    if (r.time() >= cutoff) {
                        break;
                    }
                    old.add(r);
                }
                for (Rec r : old) {
                    try {
                        remove(r, KIND_EXPIRED);
                    } catch (IOException e) {
                        ackFailed(e);
                    }
                    expired++;
                    n++;
                }
            }
            return n;
        }
    }

    /** Under lock. The index first, then the ack log (a failure there only means a later resend). */
    private void remove(Rec r, byte kind) throws IOException {
        pending[r.priority()].remove(r.seq());
        pendingCount--;
        pendingBytes -= r.length();
        Segment s = r.segment();
        s.live--;
        long watermark = watermark();
        if (r.seq() >= watermark) {
            removedAbove.add(r.seq());
        }
        removedAbove.headSet(watermark).clear();
        if (s.live == 0 && s != active) {
            deleteSegment(s);
        }
        writeAck(kind, r.seq());
    }

    /** Every seq below it has been removed. */
    private long watermark() {
        long w = nextSeq;
        for (TreeMap<Long, Rec> m : pending) {
            if (!m.isEmpty()) {
                w = Math.min(w, m.firstKey());
            }
        }
        return w;
    }

    private void writeAck(byte kind, long seq) throws IOException {
        if (acks == null) {
            return;
        }
        ackBuffer.clear();
        ackBuffer.putInt(0).put(kind).putLong(seq);
        crc.reset();
        crc.update(ackBuffer.array(), 4, ACK_RECORD - 4);
        ackBuffer.putInt(0, (int) crc.getValue());
        ackBuffer.flip();
        writeFully(acks, ackBuffer, acksSize);
        acksSize += ACK_RECORD;
        if (acksSize > ACK_CHECKPOINT_BYTES) {
            checkpoint();
        }
    }

    private void ackFailed(IOException e) {
        String m = e.toString();
        if (!m.equals(ackFailure)) {
            ackFailure = m;
            LOG.error("MQTT outbox: cannot record a removal in {} (the message may be sent again after a restart):"
                    + " {}", options.dir().resolve(ACKS), m);
        }
    }

    private void deleteSegment(Segment s) {
        segments.remove(s);
        s.deleted = true;
        try {
            s.channel.close();
            Files.deleteIfExists(s.path);
        } catch (IOException e) {
            LOG.warn("MQTT outbox: cannot delete {}: {}", s.path, e.toString());
        }
    }

    /** Rewrites acks.log as watermark + removals above it, atomically. Under lock. */
    private void checkpoint() throws IOException {
        Path target = options.dir().resolve(ACKS);
        Path tmp = options.dir().resolve(ACKS + ".tmp");
        long watermark = watermark();
        ByteBuffer b = ByteBuffer.allocate(ACK_RECORD * (1 + removedAbove.size()));
        CRC32C c = new CRC32C();
        putAck(b, c, KIND_WATERMARK, watermark);
        for (long seq : removedAbove) {
            putAck(b, c, KIND_DELIVERED, seq);
        }
        b.flip();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, b, 0);
            ch.force(true);
        }
        if (acks != null) {
            acks.close();
            acks = null;
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(options.dir());
        acks = FileChannel.open(target, StandardOpenOption.WRITE);
        acksSize = acks.size();
    }

    private static void putAck(ByteBuffer b, CRC32C c, byte kind, long seq) {
        int at = b.position();
        b.putInt(0).put(kind).putLong(seq);
        c.reset();
        c.update(b.array(), at + 4, ACK_RECORD - 4);
        b.putInt(at, (int) c.getValue());
    }

    // ------------------------------------------------------------------------------------------------ state

    public Counters counters() {
        synchronized (lock) {
            return new Counters(recovered, stored, delivered, expired, evicted, rejected, pendingCount, pendingBytes);
        }
    }

    /** Bytes of the segment files (pending records plus removed ones still sharing a segment with them). */
    public long diskBytes() {
        synchronized (lock) {
            long n = 0;
            for (Segment s : segments) {
                n += s.size;
            }
            return n;
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    /** Forces what was written, writes a checkpoint, closes the files. Pending messages stay for the next open. */
    @Override
    public void close() {
        Thread s;
        synchronized (lock) {
            if (closed) {
                return;
            }
            try {
                if (active != null && options.fsync() != Fsync.NEVER) {
                    channel(active).force(false);
                }
            } catch (IOException e) {
                LOG.warn("MQTT outbox: closing {}: {}", options.dir(), e.toString());
            }
            try {
                checkpoint();
            } catch (IOException e) {
                LOG.warn("MQTT outbox: closing {}: {}", options.dir(), e.toString());
            }
            closed = true;
            for (Segment seg : segments) {
                closeQuietly(seg.channel);
            }
            closeQuietly(acks);
            s = syncer;
        }
        synchronized (syncMonitor) {
            durableEnd = Long.MAX_VALUE; // forced above: release waiters
            syncMonitor.notifyAll();
        }
        if (s != null) {
            try {
                s.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ recovery

    private void recover() throws IOException {
        Path dir = options.dir();
        Files.createDirectories(dir);
        List<String> problems = new ArrayList<>();
        // 1. what was removed
        long watermark = 0;
        long maxSeen = -1;
        TreeSet<Long> removed = new TreeSet<>();
        Path acksPath = dir.resolve(ACKS);
        Files.deleteIfExists(dir.resolve(ACKS + ".tmp"));
        if (Files.exists(acksPath)) {
            byte[] b = Files.readAllBytes(acksPath);
            ByteBuffer buf = ByteBuffer.wrap(b);
            CRC32C c = new CRC32C();
            int pos = 0;
            for (; pos + ACK_RECORD <= b.length; pos += ACK_RECORD) {
                c.reset();
                c.update(b, pos + 4, ACK_RECORD - 4);
                if ((int) c.getValue() != buf.getInt(pos)) {
                    break;
                }
                byte kind = b[pos + 4];
                long seq = buf.getLong(pos + 5);
                if (kind == KIND_WATERMARK) {
                    watermark = Math.max(watermark, seq);
                } else {
                    removed.add(seq);
                }
                maxSeen = Math.max(maxSeen, seq);
            }
            if (pos != b.length) {
                problems.add(ACKS + ": " + (b.length - pos) + " bytes at offset " + pos + " unreadable (torn or "
                        + "corrupt); removals recorded there are forgotten: those messages may be sent again");
            }
        }
        // 2. the segments, in order
        TreeMap<Long, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SEGMENT_SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String digits = name.substring(0, name.length() - SEGMENT_SUFFIX.length());
                try {
                    files.put(Long.parseLong(digits), p);
                } catch (NumberFormatException e) {
                    problems.add(name + ": not a segment name; ignored");
                }
            }
        }
        long records = 0;
        long badBytes = 0;
        long lost = 0;
        List<Map.Entry<Long, Path>> list = new ArrayList<>(files.entrySet());
        for (int i = 0; i < list.size(); i++) {
            long first = list.get(i).getKey();
            Path path = list.get(i).getValue();
            long nextFirst = i + 1 < list.size() ? list.get(i + 1).getKey() : -1;
            maxSeen = Math.max(maxSeen, first - 1);
            FileChannel ch;
            try {
                ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                problems.add(path.getFileName() + ": cannot open (" + e + "); skipped");
                continue;
            }
            Segment seg = new Segment(first, path, ch, 0);
            ScanResult r;
            try {
                r = scan(seg, first, nextFirst, watermark, removed, problems);
            } catch (IOException e) {
                problems.add(path.getFileName() + ": cannot read (" + e + "); skipped");
                closeQuietly(ch);
                continue;
            }
            records += r.records;
            badBytes += r.badBytes;
            lost += r.lost;
            maxSeen = Math.max(maxSeen, r.lastSeq);
            seg.size = r.validEnd;
            segments.add(seg);
        }
        nextSeq = Math.max(maxSeen + 1, watermark);
        // 3. segments without pending records go
        for (Segment s : new ArrayList<>(segments)) {
            if (s.live == 0) {
                deleteSegment(s);
            }
        }
        for (TreeMap<Long, Rec> m : pending) {
            for (Rec r : m.values()) {
                pendingCount++;
                pendingBytes += r.length();
            }
        }
        recovered = pendingCount;
        long w = watermark();
        for (long seq : removed.tailSet(w)) {
            if (seq < nextSeq) {
                removedAbove.add(seq);
            }
        }
        active = createSegment(nextSeq);
        checkpoint();
        recovery = new Recovery(files.size(), records, pendingCount, badBytes, lost,
                Collections.unmodifiableList(problems));
    }

    private static final class ScanResult {
        long records;
        long badBytes;
        long lost;
        long lastSeq = -1;
        long validEnd;
    }

    /** Indexes the pending records of one segment; reports and skips what does not verify. */
    private ScanResult scan(Segment seg, long first, long nextFirst, long watermark, TreeSet<Long> removed,
                            List<String> problems) throws IOException {
        FileChannel ch = seg.channel;
        long size = ch.size();
        ScanResult r = new ScanResult();
        String name = seg.path.getFileName().toString();
        if (size == 0) {
            return r;
        }
        if (size > MAX_SEGMENT_BYTES + MAX_RECORD_BODY + HEADER) {
            problems.add(name + ": " + size + " bytes, larger than any segment; skipped");
            r.badBytes += size;
            return r;
        }
        MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        CRC32C c = new CRC32C();
        long expected = first;
        int pos = 0;
        int validEnd = 0;
        int n = (int) size;
        while (pos < n) {
            int len = tryParse(buf, pos, n, expected, c);
            if (len > 0) {
                long seq = buf.getLong(pos + HEADER);
                if (seq > expected) {
                    r.lost += countLost(expected, seq, watermark, removed);
                }
                accept(seg, buf, pos, len, seq, watermark, removed);
                r.records++;
                r.lastSeq = seq;
                expected = seq + 1;
                pos += len;
                validEnd = pos;
                continue;
            }
            int bad = pos;
            int found = -1;
            for (int q = pos + 1; q + HEADER + BODY_FIXED <= n; q++) {
                if (tryParse(buf, q, n, expected, c) > 0) {
                    found = q;
                    break;
                }
            }
            if (found < 0) {
                long missing = nextFirst > expected ? countLost(expected, nextFirst, watermark, removed) : 0;
                r.lost += missing;
                r.badBytes += n - bad;
                problems.add(name + ": " + (n - bad) + " bytes at offset " + bad + " of " + n
                        + (nextFirst < 0 ? " unreadable (an incomplete last write, or corrupt); cut off"
                        : " unreadable; " + missing + " messages lost") );
                break;
            }
            r.badBytes += found - bad;
            long seq = buf.getLong(found + HEADER);
            long missing = countLost(expected, seq, watermark, removed);
            problems.add(name + ": " + (found - bad) + " bytes at offset " + bad + " unreadable; " + missing
                    + " messages lost (seq " + expected + ".." + (seq - 1) + "); records after them recovered");
            pos = found;
        }
        if (validEnd < n) {
            ch.truncate(validEnd); // nothing valid after it
        }
        r.validEnd = validEnd;
        return r;
    }

    private static long countLost(long from, long to, long watermark, TreeSet<Long> removed) {
        long lo = Math.max(from, watermark);
        if (to <= lo) {
            return 0;
        }
        return (to - lo) - removed.subSet(lo, to).size();
    }

    private void accept(Segment seg, ByteBuffer buf, int pos, int len, long seq, long watermark,
                        TreeSet<Long> removed) {
        if (seq < watermark || removed.contains(seq)) {
            return;
        }
        int priority = buf.get(pos + HEADER + 8);
        long time = buf.getLong(pos + HEADER + 9);
        pending[priority].put(seq, new Rec(seq, priority, time, seg, pos, len));
        seg.live++;
    }

    /** The length of a valid record at {@code pos} with seq >= {@code minSeq}, or -1. */
    static int tryParse(ByteBuffer buf, int pos, int limit, long minSeq, CRC32C c) {
        if (pos + HEADER + BODY_FIXED > limit) {
            return -1;
        }
        int body = buf.getInt(pos);
        if (body < BODY_FIXED || body > MAX_RECORD_BODY || body > limit - pos - HEADER) {
            return -1;
        }
        int priority = buf.get(pos + HEADER + 8);
        int topicLength = Short.toUnsignedInt(buf.getShort(pos + HEADER + 17));
        long seq = buf.getLong(pos + HEADER);
        if (priority < 0 || priority > MAX_PRIORITY || topicLength > body - BODY_FIXED || seq < minSeq) {
            return -1;
        }
        c.reset();
        c.update(buf.duplicate().position(pos + HEADER).limit(pos + HEADER + body));
        if ((int) c.getValue() != buf.getInt(pos + 4)) {
            return -1;
        }
        return HEADER + body;
    }

    // ------------------------------------------------------------------------------------------------ I/O

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + p);
            }
            p += n;
        }
    }

    /** Makes a created or renamed file's directory entry durable (Linux: fsync on the directory). */
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not supported on this platform/file system: nothing more we can do
        }
    }
}

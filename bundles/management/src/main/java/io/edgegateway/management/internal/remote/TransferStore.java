package io.edgegateway.management.internal.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.management.protocol.Checksums;
import io.edgegateway.management.protocol.Protocol;

/**
 * Artifacts arriving in chunks, on disk only: one folder per transfer below {@code transfer.dir}, named by the
 * artifact's SHA-256 (so a transfer is its content: sending the same file again, after a disconnect or a gateway
 * restart, continues where it stopped). A folder holds {@code transfer.properties} (name, size, SHA-256, chunk
 * size, times), {@code data.part} (chunks written at their offsets) and {@code chunks.bits} (one bit per chunk,
 * set after the chunk is on disk). When the last chunk is in, the whole file is hashed; if it matches, it becomes
 * {@code <name>} and the transfer is complete, otherwise it is discarded and the next query reports why.
 *
 * <p>Bounded: an artifact may have at most {@code maxArtifactBytes}, all transfers together at most
 * {@code maxTotalBytes} (counting declared sizes, so a transfer cannot grow past its reservation); transfers not
 * touched for {@code expiryMs} are deleted by {@link #expire()}, and used ones by {@link #remove}. Memory holds only
 * the chunk bit sets. Thread-safe (one lock; chunk writes are short).
 */
final class TransferStore {

    private static final Logger LOG = LoggerFactory.getLogger(TransferStore.class);
    private static final String META = "transfer.properties";
    private static final String DATA = "data.part";
    private static final String BITS = "chunks.bits";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}");
    static final int MIN_CHUNK = 1024;
    /** At most this many missing ranges are listed in one answer (the rest follow once these arrived). */
    static final int MAX_RANGES = 256;

    /** One transfer's state. {@code failure}: why the assembled artifact was discarded (then incomplete). */
    static final class Transfer {
        final String id;
        final String name;
        final long size;
        final int chunkSize;
        final int chunks;
        final long createdMs;
        final BitSet received;
        volatile long touchedMs;
        String failure;
        boolean complete;
        boolean resumed;

        Transfer(String id, String name, long size, int chunkSize, long createdMs, BitSet received) {
            this.id = id;
            this.name = name;
            this.size = size;
            this.chunkSize = chunkSize;
            this.chunks = (int) Math.max(1, (size + chunkSize - 1) / chunkSize);
            this.createdMs = createdMs;
            this.received = received;
        }

        int receivedCount() {
            return received.cardinality();
        }

        int chunkLength(int index) {
            return index == chunks - 1 ? (int) (size - (long) index * chunkSize) : chunkSize;
        }

        /** Missing chunks as inclusive [from, to] ranges, the first {@link #MAX_RANGES}. */
        List<List<Integer>> missingRanges() {
            List<List<Integer>> out = new ArrayList<>();
            for (int i = received.nextClearBit(0); i < chunks && out.size() < MAX_RANGES;) {
                int end = Math.min(chunks, received.nextSetBit(i) < 0 ? chunks : received.nextSetBit(i));
                out.add(List.of(i, end - 1));
                i = received.nextClearBit(end);
            }
            return out;
        }

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("transferId", id);
            m.put("name", name);
            m.put("size", size);
            m.put("chunkSize", chunkSize);
            m.put("chunks", chunks);
            m.put("received", receivedCount());
            m.put("complete", complete);
            return m;
        }
    }

    /** What one chunk did. */
    enum ChunkOutcome { STORED, DUPLICATE, COMPLETED, FAILED }

    private final Path dir;
    private final long maxArtifactBytes;
    private final long maxTotalBytes;
    private final int maxChunkBytes;
    private final long expiryMs;
    private final LongSupplier clock;
    private final Map<String, Transfer> transfers = new LinkedHashMap<>();

    TransferStore(Path dir, long maxArtifactBytes, long maxTotalBytes, int maxChunkBytes, long expiryMs,
                  LongSupplier clock) throws IOException {
        this.dir = dir;
        this.maxArtifactBytes = maxArtifactBytes;
        this.maxTotalBytes = maxTotalBytes;
        this.maxChunkBytes = maxChunkBytes;
        this.expiryMs = expiryMs;
        this.clock = clock;
        Files.createDirectories(dir);
        load();
    }

    /** Picks up the transfers a previous run left (a gateway restart in the middle of an upload). */
    private void load() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path d : ds) {
                String id = d.getFileName().toString();
                if (!Files.isDirectory(d) || !Protocol.validSha256(id)) {
                    continue;
                }
                try {
                    Transfer t = read(d, id);
                    transfers.put(id, t);
                    LOG.info("Remote management: transfer {} ({}) resumes with {} of {} chunks{}", shortId(id),
                            t.name, t.receivedCount(), t.chunks, t.complete ? ", complete" : "");
                } catch (IOException | RuntimeException e) {
                    LOG.warn("Remote management: discarding unreadable transfer folder {}: {}", d, e.toString());
                    deleteTree(d);
                }
            }
        }
    }

    private Transfer read(Path d, String id) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(d.resolve(META))) {
            p.load(in);
        }
        BitSet bits = Files.exists(d.resolve(BITS)) ? BitSet.valueOf(Files.readAllBytes(d.resolve(BITS)))
                : new BitSet();
        Transfer t = new Transfer(id, p.getProperty("name"), Long.parseLong(p.getProperty("size")),
                Integer.parseInt(p.getProperty("chunkSize")), Long.parseLong(p.getProperty("createdMs")), bits);
        t.touchedMs = Long.parseLong(p.getProperty("touchedMs", p.getProperty("createdMs")));
        t.complete = Boolean.parseBoolean(p.getProperty("complete")) && Files.exists(d.resolve(t.name));
        t.failure = p.getProperty("failure");
        if (!t.complete && t.failure == null) {
            t.received.clear(t.chunks, Math.max(t.chunks, t.received.length()));
        }
        t.resumed = true;
        return t;
    }

    static String shortId(String id) {
        return id.substring(0, Math.min(12, id.length()));
    }

    /**
     * Starts a transfer, or returns the one under way for the same content (its chunk size wins over the requested
     * one, so a resumed upload fits the chunks already stored).
     */
    synchronized Transfer begin(String name, long size, String sha256, int chunkSize) throws RequestException {
        if (!Protocol.validSha256(sha256)) {
            throw RequestException.invalid("sha256", sha256, "is not a SHA-256 (64 lower-case hex digits)");
        }
        Transfer existing = transfers.get(sha256);
        if (existing != null) {
            if (existing.size != size) {
                throw RequestException.invalid("size", size, "differs from the " + existing.size + " bytes of the "
                        + "transfer with this sha256 already under way: the same content cannot have two sizes");
            }
            if (existing.failure != null) {
                String why = existing.failure;
                remove(sha256);
                throw new RequestException("sha256", why);
            }
            existing.touchedMs = clock.getAsLong();
            try {
                writeMeta(dir.resolve(sha256), existing);
            } catch (IOException e) {
                LOG.debug("Remote management: cannot note the time of transfer {}: {}", shortId(sha256), e.toString());
            }
            return existing;
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw RequestException.invalid("name", name, "is not a usable file name (letters, digits and . _ + -, "
                    + "at most 128, not starting with '.' or '-')");
        }
        if (size < 1 || size > maxArtifactBytes) {
            throw RequestException.invalid("size", size, "must be between 1 and " + maxArtifactBytes
                    + " bytes (transfer.max.bytes)");
        }
        if (chunkSize < MIN_CHUNK || chunkSize > maxChunkBytes) {
            throw RequestException.invalid("chunkSize", chunkSize, "must be between " + MIN_CHUNK + " and "
                    + maxChunkBytes + " bytes (transfer.max.chunk.bytes)");
        }
        if ((size + chunkSize - 1) / chunkSize > Integer.MAX_VALUE / 2) {
            throw RequestException.invalid("chunkSize", chunkSize, "makes too many chunks for " + size + " bytes");
        }
        long reserved = transfers.values().stream().filter(t -> t.failure == null).mapToLong(t -> t.size).sum();
        if (reserved + size > maxTotalBytes) {
            throw RequestException.invalid("size", size, "does not fit: " + transfers.size() + " transfers hold "
                    + reserved + " of the " + maxTotalBytes + " bytes allowed (transfer.total.max.bytes); finish "
                    + "them or let them expire");
        }
        Path d = dir.resolve(sha256);
        try {
            long usable = Files.getFileStore(dir).getUsableSpace();
            if (usable < size * 2 + 16L * 1024 * 1024) {
                throw RequestException.invalid("size", size, "does not fit on the gateway's disk: " + usable
                        + " bytes free below " + dir);
            }
            Files.createDirectories(d);
            long now = clock.getAsLong();
            Transfer t = new Transfer(sha256, name, size, chunkSize, now, new BitSet());
            t.touchedMs = now;
            writeMeta(d, t);
            try (FileChannel ch = FileChannel.open(d.resolve(DATA), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                ch.truncate(size);
            }
            Files.write(d.resolve(BITS), new byte[(t.chunks + 7) / 8]);
            transfers.put(sha256, t);
            LOG.info("Remote management: transfer {} started: '{}', {} bytes in {} chunks of {}", shortId(sha256),
                    name, size, t.chunks, chunkSize);
            return t;
        } catch (IOException e) {
            deleteTree(d);
            throw new RequestException(null, "cannot store the transfer below " + dir + ": " + e.getMessage());
        }
    }

    synchronized Transfer get(String id) {
        return transfers.get(id);
    }

    /**
     * Stores one chunk. A chunk already stored is a duplicate (QoS 1 may deliver twice) and changes nothing.
     *
     * @throws RequestException unknown transfer, bad index, wrong length or CRC: the chunk is not stored
     */
    synchronized ChunkOutcome chunk(String id, int index, String crcHex, byte[] data) throws RequestException {
        Transfer t = transfers.get(id);
        if (t == null) {
            throw new RequestException("transferId", "no transfer " + shortId(id) + "... under way: send an '"
                    + Protocol.UPLOAD + "' request first (or it expired, or it was used and removed)");
        }
        if (t.complete) {
            return ChunkOutcome.DUPLICATE;
        }
        if (index < 0 || index >= t.chunks) {
            throw RequestException.invalid("index", index, "is outside 0.." + (t.chunks - 1) + " of transfer "
                    + shortId(id));
        }
        if (data.length != t.chunkLength(index)) {
            throw RequestException.invalid("length", data.length, "bytes is wrong for chunk " + index + ": expected "
                    + t.chunkLength(index));
        }
        String crc = Checksums.crc32Hex(data, 0, data.length);
        if (!crc.equalsIgnoreCase(crcHex)) {
            throw RequestException.invalid("crc32", crcHex, "does not match the chunk's bytes (crc32 " + crc
                    + "): chunk " + index + " not stored, send it again");
        }
        t.touchedMs = clock.getAsLong();
        if (t.received.get(index)) {
            return ChunkOutcome.DUPLICATE;
        }
        Path d = dir.resolve(id);
        try {
            try (FileChannel ch = FileChannel.open(d.resolve(DATA), StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                long pos = (long) index * t.chunkSize;
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
                ch.force(false);
            }
            t.received.set(index);
            try (FileChannel ch = FileChannel.open(d.resolve(BITS), StandardOpenOption.WRITE)) {
                byte[] bytes = t.received.toByteArray();
                int at = index / 8;
                ch.write(ByteBuffer.wrap(new byte[] {at < bytes.length ? bytes[at] : 0}), at);
                ch.force(false);
            }
        } catch (IOException e) {
            t.received.clear(index);
            throw new RequestException(null, "cannot write chunk " + index + " below " + d + ": " + e.getMessage());
        }
        if (t.receivedCount() < t.chunks) {
            return ChunkOutcome.STORED;
        }
        return verify(t, d) ? ChunkOutcome.COMPLETED : ChunkOutcome.FAILED;
    }

    /** All chunks are in: hash the whole file; a match makes the artifact, a mismatch discards the data. */
    private boolean verify(Transfer t, Path d) {
        try {
            String actual = Checksums.sha256Hex(d.resolve(DATA));
            if (actual.equals(t.id)) {
                Files.move(d.resolve(DATA), d.resolve(t.name), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
                t.complete = true;
                writeMeta(d, t);
                LOG.info("Remote management: transfer {} complete: '{}', {} bytes, sha256 verified", shortId(t.id),
                        t.name, t.size);
                return true;
            }
            t.failure = "the " + t.size + " bytes received hash to sha256 " + actual + ", not the declared "
                    + t.id + ": the transfer was discarded, send the artifact again";
        } catch (IOException e) {
            t.failure = "cannot verify the assembled artifact: " + e.getMessage();
        }
        LOG.warn("Remote management: transfer {} ('{}') failed: {}", shortId(t.id), t.name, t.failure);
        try {
            Files.deleteIfExists(d.resolve(DATA));
            Files.deleteIfExists(d.resolve(BITS));
            writeMeta(d, t);
        } catch (IOException e) {
            LOG.warn("Remote management: cleaning up transfer {}: {}", shortId(t.id), e.toString());
        }
        t.received.clear();
        return false;
    }

    /** The verified artifact of a complete transfer. */
    synchronized Path artifact(String id, String field) throws RequestException {
        if (!Protocol.validSha256(id)) {
            throw RequestException.invalid(field, id, "is not a transfer id (the artifact's sha256, 64 lower-case "
                    + "hex digits, from the '" + Protocol.UPLOAD + "' request)");
        }
        Transfer t = transfers.get(id);
        if (t == null) {
            throw RequestException.invalid(field, id, "names no transfer on this gateway: upload the file first "
                    + "(transfers are removed once used, and after transfer.expiry.s without activity)");
        }
        if (!t.complete) {
            throw RequestException.invalid(field, id, "is not complete: " + (t.chunks - t.receivedCount()) + " of "
                    + t.chunks + " chunks are missing");
        }
        t.touchedMs = clock.getAsLong();
        return dir.resolve(id).resolve(t.name);
    }

    synchronized void remove(String id) {
        if (transfers.remove(id) != null) {
            deleteTree(dir.resolve(id));
        }
    }

    /** Deletes transfers untouched for longer than the expiry; returns how many. */
    synchronized int expire() {
        long now = clock.getAsLong();
        List<String> old = transfers.values().stream().filter(t -> now - t.touchedMs > expiryMs)
                .map(t -> t.id).toList();
        for (String id : old) {
            Transfer t = transfers.get(id);
            LOG.info("Remote management: transfer {} ('{}', {} of {} chunks) expired after {} s without activity",
                    shortId(id), t.name, t.receivedCount(), t.chunks, (now - t.touchedMs) / 1000);
            remove(id);
        }
        return old.size();
    }

    synchronized List<Map<String, Object>> list() {
        return transfers.values().stream().map(Transfer::describe).toList();
    }

    synchronized long bytesOnDisk() {
        return transfers.values().stream().filter(t -> t.failure == null).mapToLong(t -> t.size).sum();
    }

    private void writeMeta(Path d, Transfer t) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", t.name);
        p.setProperty("size", Long.toString(t.size));
        p.setProperty("chunkSize", Integer.toString(t.chunkSize));
        p.setProperty("createdMs", Long.toString(t.createdMs));
        p.setProperty("touchedMs", Long.toString(t.touchedMs));
        p.setProperty("complete", Boolean.toString(t.complete));
        if (t.failure != null) {
            p.setProperty("failure", t.failure);
        }
        Path tmp = d.resolve(META + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "remote management transfer " + t.id);
        }
        Files.move(tmp, d.resolve(META), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void deleteTree(Path d) {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("Remote management: cannot delete {}: {}", d, e.toString());
        }
    }
}

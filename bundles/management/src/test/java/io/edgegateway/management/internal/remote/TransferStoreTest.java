package io.edgegateway.management.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.management.protocol.Checksums;

class TransferStoreTest {

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_000_000);

    private TransferStore store() throws Exception {
        return new TransferStore(dir, 1 << 20, 3 << 20, 64 * 1024, 60_000, now::get);
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] chunk(byte[] all, int index, int size) {
        return Arrays.copyOfRange(all, index * size, Math.min(all.length, (index + 1) * size));
    }

    private static String crc(byte[] b) {
        return Checksums.crc32Hex(b, 0, b.length);
    }

    @Test
    void chunksInAnyOrderMakeTheVerifiedArtifact() throws Exception {
        byte[] all = data(10_000);
        String sha = Checksums.sha256Hex(all);
        TransferStore s = store();
        TransferStore.Transfer t = s.begin("rules.jar", all.length, sha, 4096);
        assertThat(t.chunks).isEqualTo(3);
        assertThat(t.missingRanges()).containsExactly(List.of(0, 2));
        assertThat(s.chunk(sha, 2, crc(chunk(all, 2, 4096)), chunk(all, 2, 4096)))
                .isEqualTo(TransferStore.ChunkOutcome.STORED);
        assertThat(t.missingRanges()).containsExactly(List.of(0, 1));
        assertThat(s.chunk(sha, 0, crc(chunk(all, 0, 4096)), chunk(all, 0, 4096)))
                .isEqualTo(TransferStore.ChunkOutcome.STORED);
        assertThat(s.chunk(sha, 0, crc(chunk(all, 0, 4096)), chunk(all, 0, 4096)))
                .as("QoS 1 may deliver twice").isEqualTo(TransferStore.ChunkOutcome.DUPLICATE);
        assertThatThrownBy(() -> s.artifact(sha, "artifact")).isInstanceOf(RequestException.class)
                .hasMessageContaining("1 of 3 chunks are missing");
        assertThat(s.chunk(sha, 1, crc(chunk(all, 1, 4096)), chunk(all, 1, 4096)))
                .isEqualTo(TransferStore.ChunkOutcome.COMPLETED);
        Path artifact = s.artifact(sha, "artifact");
        assertThat(artifact.getFileName().toString()).isEqualTo("rules.jar");
        assertThat(Files.readAllBytes(artifact)).isEqualTo(all);
        s.remove(sha);
        assertThat(Files.exists(dir.resolve(sha))).isFalse();
    }

    @Test
    void aRestartResumesWithTheChunksOnDisk() throws Exception {
        byte[] all = data(9_000);
        String sha = Checksums.sha256Hex(all);
        TransferStore first = store();
        first.begin("model.jar", all.length, sha, 2048);
        first.chunk(sha, 1, crc(chunk(all, 1, 2048)), chunk(all, 1, 2048));
        first.chunk(sha, 3, crc(chunk(all, 3, 2048)), chunk(all, 3, 2048));

        TransferStore again = store(); // a gateway restart
        TransferStore.Transfer t = again.begin("model.jar", all.length, sha, 8192);
        assertThat(t.chunkSize).as("the transfer keeps its chunk size").isEqualTo(2048);
        assertThat(t.receivedCount()).isEqualTo(2);
        assertThat(t.missingRanges()).containsExactly(List.of(0, 0), List.of(2, 2), List.of(4, 4));
        for (int i : new int[] {0, 2, 4}) {
            again.chunk(sha, i, crc(chunk(all, i, 2048)), chunk(all, i, 2048));
        }
        assertThat(Files.readAllBytes(again.artifact(sha, "artifact"))).isEqualTo(all);
    }

    @Test
    void aCorruptChunkIsRefusedAndStaysMissing() throws Exception {
        byte[] all = data(5000);
        String sha = Checksums.sha256Hex(all);
        TransferStore s = store();
        TransferStore.Transfer t = s.begin("a.jar", all.length, sha, 4096);
        byte[] c0 = chunk(all, 0, 4096);
        String good = crc(c0);
        c0[7] ^= 1;
        assertThatThrownBy(() -> s.chunk(sha, 0, good, c0)).isInstanceOf(RequestException.class)
                .hasMessageContaining("crc32").hasMessageContaining("send it again");
        assertThatThrownBy(() -> s.chunk(sha, 1, "00000000", new byte[10])).hasMessageContaining("expected 904");
        assertThatThrownBy(() -> s.chunk(sha, 2, "00000000", new byte[10])).hasMessageContaining("outside 0..1");
        assertThat(t.receivedCount()).isZero();
    }

    @Test
    void aWrongDeclaredChecksumDiscardsTheTransferWithTheReason() throws Exception {
        byte[] all = data(3000);
        String wrong = Checksums.sha256Hex(new byte[] {1, 2, 3});
        TransferStore s = store();
        s.begin("a.jar", all.length, wrong, 2048);
        s.chunk(wrong, 0, crc(chunk(all, 0, 2048)), chunk(all, 0, 2048));
        assertThat(s.chunk(wrong, 1, crc(chunk(all, 1, 2048)), chunk(all, 1, 2048)))
                .isEqualTo(TransferStore.ChunkOutcome.FAILED);
        assertThat(s.get(wrong).failure).contains("hash to sha256 " + Checksums.sha256Hex(all))
                .contains("not the declared " + wrong);
        assertThatThrownBy(() -> s.begin("a.jar", all.length, wrong, 2048)).isInstanceOf(RequestException.class)
                .hasMessageContaining("hash to sha256");
        // reported once, then gone: a new attempt starts afresh
        assertThat(s.begin("a.jar", all.length, wrong, 2048).receivedCount()).isZero();
    }

    @Test
    void limitsAreEnforcedWithTheSettingNamed() throws Exception {
        TransferStore s = store();
        String a = Checksums.sha256Hex(new byte[] {1});
        String b = Checksums.sha256Hex(new byte[] {2});
        String c = Checksums.sha256Hex(new byte[] {3});
        String d = Checksums.sha256Hex(new byte[] {4});
        assertThatThrownBy(() -> s.begin("big.jar", (1 << 20) + 1, a, 4096))
                .hasMessageContaining("transfer.max.bytes");
        assertThatThrownBy(() -> s.begin("x.jar", 100, a, 100)).hasMessageContaining("chunkSize");
        assertThatThrownBy(() -> s.begin("../x.jar", 100, a, 4096)).hasMessageContaining("file name");
        assertThatThrownBy(() -> s.begin("x.jar", 100, "abc", 4096)).hasMessageContaining("SHA-256");
        s.begin("a.jar", 1 << 20, a, 65536);
        s.begin("b.jar", 1 << 20, b, 65536);
        s.begin("c.jar", 1 << 20, c, 65536);
        assertThatThrownBy(() -> s.begin("d.jar", 1, d, 4096)).hasMessageContaining("transfer.total.max.bytes");
    }

    @Test
    void untouchedTransfersExpire() throws Exception {
        TransferStore s = store();
        String a = Checksums.sha256Hex(new byte[] {1});
        String b = Checksums.sha256Hex(new byte[] {2});
        s.begin("a.jar", 100, a, 4096);
        now.addAndGet(50_000);
        s.begin("b.jar", 100, b, 4096);
        now.addAndGet(20_000);
        assertThat(s.expire()).isEqualTo(1);
        assertThat(s.get(a)).isNull();
        assertThat(s.get(b)).isNotNull();
        assertThat(Files.exists(dir.resolve(a))).isFalse();
    }
}

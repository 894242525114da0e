package io.edgegateway.rules.health.internal.rule;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelJson;

/**
 * Frozen models on disk, one file per asset and generation: {@code <dir>/<asset>.g<generation>.json}. Written to a
 * temporary file and moved into place, so a crash leaves the old file or the new one, never half of one. Older
 * generations stay: setting {@code model.generation} back to one of them uses its models again.
 */
final class ModelStore {

    private final Path dir;

    ModelStore(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    Path file(String assetId, int generation) {
        return dir.resolve(safe(assetId) + ".g" + generation + ".json");
    }

    /** The stored model of this asset and generation; empty when there is none. IOException names the file. */
    Optional<HealthModelJson.Loaded> load(String assetId, int generation) throws IOException {
        Path file = file(assetId, generation);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(HealthModelJson.read(in, file.toString()));
        }
    }

    void save(String assetId, int generation, HealthModel model, Map<String, String> meta) throws IOException {
        Files.createDirectories(dir);
        Path file = file(assetId, generation);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            HealthModelJson.write(model, meta, out);
        }
        try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Moves an unreadable file aside ({@code .bad}) so the asset learns afresh and the file stays for a look. */
    Path quarantine(String assetId, int generation) throws IOException {
        Path file = file(assetId, generation);
        Path bad = file.resolveSibling(file.getFileName() + ".bad");
        Files.move(file, bad, StandardCopyOption.REPLACE_EXISTING);
        return bad;
    }

    /**
     * Asset ids are free text; file names keep ASCII letters, digits, '-' and '_', the rest becomes '_' and a hash
     * of the id is appended, so two ids never share a file.
     */
    static String safe(String assetId) {
        StringBuilder b = new StringBuilder(assetId.length());
        boolean changed = false;
        for (int i = 0; i < assetId.length(); i++) {
            char c = assetId.charAt(i);
            boolean keep = c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_');
            b.append(keep ? c : '_');
            changed |= !keep;
        }
        return changed ? b + "-" + Integer.toHexString(assetId.hashCode()) : b.toString();
    }
}

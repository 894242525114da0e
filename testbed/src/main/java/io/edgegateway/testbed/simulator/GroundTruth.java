package io.edgegateway.testbed.simulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What really happened to one injected fault, for scoring detectors.
 *
 * @param asset     asset id
 * @param signal    signal name
 * @param fault     the fault type's id: {@code spike}, {@code drift} or {@code stuck}
 * @param start     time of the first sample the fault changed (the time passed to {@link PlantSimulator#tick})
 * @param end       time of the last sample it changed; null while the fault is still going on
 * @param magnitude as in {@link FaultSpec#magnitude()}
 */
public record GroundTruth(String asset, String signal, String fault, Instant start, Instant end, double magnitude) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One JSON line: {@code {"asset":"pump-1","signal":"vibration","fault":"spike","start":"2025-...Z",
     * "end":"2025-...Z","magnitude":8.0}}; start and end are ISO-8601 instants, end is null while still active.
     */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("asset", asset);
        node.put("signal", signal);
        node.put("fault", fault);
        node.put("start", start.toString());
        if (end == null) {
            node.putNull("end");
        } else {
            node.put("end", end.toString());
        }
        node.put("magnitude", magnitude);
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes the records as JSON lines to {@code out}. */
    public static void writeJsonLines(List<GroundTruth> records, Writer out) throws IOException {
        for (GroundTruth record : records) {
            out.write(record.toJson());
            out.write('\n');
        }
        out.flush();
    }

    /** Replaces {@code file} with the records as JSON lines (written to a temporary file, then moved). */
    public static void writeJsonLines(List<GroundTruth> records, Path file) {
        Path absolute = file.toAbsolutePath();
        try {
            Path dir = absolute.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Path tmp = absolute.resolveSibling(absolute.getFileName() + ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                writeJsonLines(records, out);
            }
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write ground truth to " + file + ": " + e.getMessage(), e);
        }
    }
}

package io.edgegateway.management.internal.deploy;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Results of operations, kept across restarts: {@code data/deployment/history.jsonl}, one JSON object a line, oldest
 * first ({@code id, requestId, origin, operation, symbolicName, fromVersion, toVersion, outcome, reason, startedMs,
 * finishedMs}). The newest {@link #MAX} are kept in memory and on disk.
 */
final class DeploymentHistory {

    static final int MAX = 500;

    /** One line: the result and the operation's id (several results of one folder operation share it). */
    record Line(String id, DeploymentResult result) {
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final Path file;
    private final Deque<Line> lines = new ArrayDeque<>();

    DeploymentHistory(Path deploymentFolder) throws IOException {
        this.file = deploymentFolder.resolve("history.jsonl");
        if (Files.exists(file)) {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!l.isBlank()) {
                    try {
                        add(parse(l));
                    } catch (IOException | RuntimeException e) {
                        // a torn last line after a crash: skipped
                    }
                }
            }
        }
    }

    synchronized boolean contains(String id) {
        return lines.stream().anyMatch(l -> l.id().equals(id));
    }

    synchronized void append(String id, DeploymentResult r) throws IOException {
        Line line = new Line(id, r);
        add(line);
        Files.writeString(file, format(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (lines.size() == MAX && Files.size(file) > 4L * MAX * 300) {
            rewrite();
        }
    }

    /** Newest first. */
    synchronized List<DeploymentResult> newest(int max) {
        List<DeploymentResult> out = new ArrayList<>();
        var it = lines.descendingIterator();
        while (it.hasNext() && out.size() < max) {
            out.add(it.next().result());
        }
        return out;
    }

    private void add(Line l) {
        lines.addLast(l);
        while (lines.size() > MAX) {
            lines.removeFirst();
        }
    }

    private void rewrite() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Line l : lines) {
            sb.append(format(l)).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String format(Line line) throws IOException {
        DeploymentResult r = line.result();
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("id", line.id());
            g.writeStringField("requestId", r.requestId());
            g.writeStringField("origin", r.origin());
            g.writeStringField("operation", r.operation());
            g.writeStringField("symbolicName", r.symbolicName());
            g.writeStringField("fromVersion", r.fromVersion());
            g.writeStringField("toVersion", r.toVersion());
            g.writeStringField("outcome", r.outcome().name());
            g.writeStringField("reason", r.reason());
            g.writeNumberField("startedMs", r.startedMs());
            g.writeNumberField("finishedMs", r.finishedMs());
            g.writeEndObject();
        }
        return w.toString();
    }

    static Line parse(String json) throws IOException {
        java.util.Map<String, String> f = new java.util.HashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                f.put(name, p.getValueAsString());
            }
        }
        DeploymentResult r = new DeploymentResult(f.getOrDefault("requestId", ""), f.getOrDefault("origin", ""),
                f.getOrDefault("operation", ""), f.getOrDefault("symbolicName", ""), f.getOrDefault("fromVersion", ""),
                f.getOrDefault("toVersion", ""), DeploymentResult.Outcome.valueOf(f.get("outcome")),
                f.getOrDefault("reason", ""), Long.parseLong(f.getOrDefault("startedMs", "0")),
                Long.parseLong(f.getOrDefault("finishedMs", "0")));
        return new Line(f.getOrDefault("id", ""), r);
    }
}

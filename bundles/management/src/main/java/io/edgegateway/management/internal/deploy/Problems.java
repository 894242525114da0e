package io.edgegateway.management.internal.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What the agent's health report shows, kept across restarts ({@code data/deployment/problems.properties}): one line
 * per subject (a {@code deploy/} file's location, or a symbolic name for remote operations) whose last operation was
 * rejected, rolled back or failed. A subject's line goes when a later operation on it commits or its file is
 * removed. Newest first.
 */
final class Problems {

    private final Path file;
    private final Map<String, String> lines = new LinkedHashMap<>();

    Problems(Path deploymentFolder) {
        this.file = deploymentFolder.resolve("problems.properties");
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
                int n = Integer.parseInt(p.getProperty("count", "0"));
                for (int i = 0; i < n; i++) {
                    String k = p.getProperty(i + ".subject");
                    String v = p.getProperty(i + ".text");
                    if (k != null && v != null) {
                        lines.put(k, v);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable file: the problems of earlier runs are not shown again
            }
        }
    }

    synchronized void put(String subject, String text) {
        lines.remove(subject);
        lines.put(subject, text);
        save();
    }

    synchronized void remove(String subject) {
        if (lines.remove(subject) != null) {
            save();
        }
    }

    /** Newest first. */
    synchronized List<String> newestFirst() {
        List<String> out = new ArrayList<>(lines.values());
        java.util.Collections.reverse(out);
        return out;
    }

    private void save() {
        Properties p = new Properties();
        int i = 0;
        for (Map.Entry<String, String> e : lines.entrySet()) {
            p.setProperty(i + ".subject", e.getKey());
            p.setProperty(i + ".text", e.getValue());
            i++;
        }
        p.setProperty("count", Integer.toString(i));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, "what the deployment agent's health report shows (oldest first)");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // shown in memory all the same; written again with the next change
        }
    }
}

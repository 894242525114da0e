package io.edgegateway.deploy.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The deployment journal: one file, {@code <home>/data/deployment/journal.properties}, describing the operation
 * under way: one entry per artifact (an operation from the {@code deploy/} folder may apply several files at once;
 * keys {@code op.<n>.<field>}). The agent writes it (fsynced, atomically renamed) before it touches the framework and
 * at each step; the launcher reads it after {@code felix.init()} and before {@code felix.start()}, so a gateway
 * killed in the middle of an update starts again with the previous version (see {@link JournalRecovery}).
 */
public final class DeploymentJournal {

    /** File name inside the deployment folder. */
    public static final String FILE = "journal.properties";

    /** Where the deployment folder is in a gateway home. */
    public static Path folder(Path home) {
        return home.resolve("data").resolve("deployment");
    }

    /** What was done to the framework, which decides how it is undone. */
    public enum Action {
        /** A new bundle at {@code location}: undone by uninstalling it. */
        INSTALL,
        /** The bundle at {@code location} replaced: undone by updating it from {@code fromFile}. */
        UPDATE,
        /** The bundle at {@code location} removed; no health window, so it is completed, not undone. */
        UNINSTALL
    }

    public enum State {
        /** Written before the framework is touched. */
        APPLYING(false),
        /** Applied and started: the health window runs. */
        WATCHING(false),
        /** Unhealthy: the previous version is being put back. */
        ROLLING_BACK(false),
        /**
         * The gateway was stopped cleanly during the window: not undone at the next start (a stop is no sign of
         * trouble), but watched again for a whole window by the agent.
         */
        PAUSED(false),
        COMMITTED(true),
        ROLLED_BACK(true),
        FAILED(true),
        /** Found unfinished at start and undone by the launcher (or by the agent on re-activation). */
        RECOVERED(true);

        private final boolean terminal;

        State(boolean terminal) {
            this.terminal = terminal;
        }

        public boolean terminal() {
            return terminal;
        }
    }

    /**
     * One operation.
     *
     * @param id           unique id of the operation
     * @param operation    what was asked: install, update, uninstall, rollback
     * @param action       what is done to the framework
     * @param origin       deploy-folder, remote:..., recovery
     * @param requestId    the request's id (may be empty)
     * @param location     the bundle location
     * @param symbolicName the bundle's symbolic name
     * @param fromVersion  version before (empty for an install)
     * @param fromFile     the stored artifact of the version before (empty for an install)
     * @param toVersion    version after (empty for an uninstall)
     * @param toFile       the stored artifact being applied (empty for an uninstall)
     * @param state        where it is
     * @param startedMs    epoch millis
     * @param reason       why it ended as it did (empty while under way)
     * @param fingerprint  for an artifact from the deploy folder: the fingerprint of the file and its signature, so
     *                     that a rolled-back file is not tried again until it changes (may be empty)
     */
    public record Entry(String id, String operation, Action action, String origin, String requestId, String location,
                        String symbolicName, String fromVersion, String fromFile, String toVersion, String toFile,
                        State state, long startedMs, String reason, String fingerprint) {

        public Entry {
            operation = nz(operation);
            origin = nz(origin);
            requestId = nz(requestId);
            location = nz(location);
            symbolicName = nz(symbolicName);
            fromVersion = nz(fromVersion);
            fromFile = nz(fromFile);
            toVersion = nz(toVersion);
            toFile = nz(toFile);
            reason = nz(reason);
            fingerprint = nz(fingerprint);
        }

        public Entry with(State newState, String newReason) {
            return new Entry(id, operation, action, origin, requestId, location, symbolicName, fromVersion, fromFile,
                    toVersion, toFile, newState, startedMs, newReason, fingerprint);
        }

        Map<String, String> toMap() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("operation", operation);
            m.put("action", action.name());
            m.put("origin", origin);
            m.put("requestId", requestId);
            m.put("location", location);
            m.put("symbolicName", symbolicName);
            m.put("fromVersion", fromVersion);
            m.put("fromFile", fromFile);
            m.put("toVersion", toVersion);
            m.put("toFile", toFile);
            m.put("state", state.name());
            m.put("startedMs", Long.toString(startedMs));
            m.put("reason", reason);
            m.put("fingerprint", fingerprint);
            return m;
        }

        static Entry fromProperties(Properties p, String prefix) {
            return new Entry(p.getProperty(prefix + "id", ""), p.getProperty(prefix + "operation"),
                    Action.valueOf(p.getProperty(prefix + "action", Action.INSTALL.name())),
                    p.getProperty(prefix + "origin"), p.getProperty(prefix + "requestId"),
                    p.getProperty(prefix + "location"), p.getProperty(prefix + "symbolicName"),
                    p.getProperty(prefix + "fromVersion"), p.getProperty(prefix + "fromFile"),
                    p.getProperty(prefix + "toVersion"), p.getProperty(prefix + "toFile"),
                    State.valueOf(p.getProperty(prefix + "state", State.APPLYING.name())),
                    Long.parseLong(p.getProperty(prefix + "startedMs", "0")), p.getProperty(prefix + "reason"),
                    p.getProperty(prefix + "fingerprint"));
        }

        private static String nz(String s) {
            return s == null ? "" : s;
        }
    }

    private final Path file;

    public DeploymentJournal(Path deploymentFolder) {
        this.file = deploymentFolder.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /**
     * The entries in the journal, in the order they were applied; empty when there is no journal.
     *
     * @throws IOException when the file exists but cannot be read or parsed (the message says so)
     */
    public List<Entry> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        try {
            int n = Integer.parseInt(p.getProperty("entries", "0"));
            List<Entry> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(Entry.fromProperties(p, "op." + i + "."));
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new IOException("deployment journal " + file + " is not readable: " + e.getMessage(), e);
        }
    }

    /** True when every entry has finished (or there is none): nothing to recover. */
    public static boolean finished(List<Entry> entries) {
        return entries.stream().allMatch(e -> e.state().terminal());
    }

    /** True when no entry is to be undone (each finished, or paused by a clean stop). */
    public static boolean nothingToUndo(List<Entry> entries) {
        return entries.stream().allMatch(e -> e.state().terminal() || e.state() == State.PAUSED);
    }

    /** Replaces the journal by one entry. */
    public void write(Entry entry) throws IOException {
        write(List.of(entry));
    }

    /** Replaces the journal: written to a temporary file, fsynced, renamed over the journal, folder fsynced. */
    public void write(List<Entry> entries) throws IOException {
        Files.createDirectories(file.getParent());
        Properties p = new Properties();
        p.setProperty("entries", Integer.toString(entries.size()));
        for (int i = 0; i < entries.size(); i++) {
            String prefix = "op." + i + ".";
            entries.get(i).toMap().forEach((k, v) -> p.setProperty(prefix + k, v));
        }
        StringWriter w = new StringWriter();
        p.store(w, "deployment journal: the operation under way (written by the deployment agent)");
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(w.toString().getBytes(StandardCharsets.ISO_8859_1));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        syncFolder(file.getParent());
    }

    /** Removes the journal (nothing under way). */
    public void clear() {
        try {
            Files.deleteIfExists(file);
            syncFolder(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the deployment journal " + file, e);
        }
    }

    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system lets a folder be opened: the rename is still atomic
        }
    }
}

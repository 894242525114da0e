package io.edgegateway.deploy.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Undoing an operation the journal describes. The launcher calls {@link #recover} after {@code felix.init()} and
 * before {@code felix.start()}: nothing runs yet, so putting the previous version back is deterministic; the agent
 * uses {@link #undo} for its own rollbacks, so both do exactly the same.
 */
public final class JournalRecovery {

    private JournalRecovery() {
    }

    /**
     * What an undo did.
     *
     * @param changed     bundles updated or uninstalled: to refresh
     * @param toStart     bundles that must be started again (updated back, installed again)
     * @param description one sentence, e.g. {@code put io.x 1.0.0 back}
     */
    public record Undo(List<Bundle> changed, List<Bundle> toStart, String description) {
    }

    /**
     * What the launcher recovered.
     *
     * @param entries the journal entries as now written (unfinished ones in state
     *                {@link DeploymentJournal.State#RECOVERED}, with the reason)
     * @param changed bundles updated or uninstalled: to refresh
     */
    public record Recovered(List<DeploymentJournal.Entry> entries, List<Bundle> changed) {

        /** The reasons of the recovered entries, for the log. */
        public String summary() {
            return String.join("; ", entries.stream().map(e -> e.state() == DeploymentJournal.State.RECOVERED
                    ? e.reason() : INTERRUPTED_ONCE.equals(e.reason()) && e.state() == DeploymentJournal.State.PAUSED
                    ? "the gateway stopped during the install of " + describe(e) + " (watching); kept, and watched "
                    + "again for a whole window" : null).filter(java.util.Objects::nonNull).toList());
        }
    }

    /**
     * Finishes an operation a previous run left unfinished: undoes its unfinished entries (last applied first) and
     * marks them RECOVERED with the reason, which the agent reports (as ROLLED_BACK) once it runs; a new bundle that
     * was running in its window is kept and marked PAUSED instead, once. Nothing when the journal is empty or
     * finished. The caller refreshes {@link Recovered#changed()} and starts the framework.
     */
    public static Optional<Recovered> recover(BundleContext ctx, Path deploymentFolder)
            throws IOException, BundleException {
        DeploymentJournal journal = new DeploymentJournal(deploymentFolder);
        List<DeploymentJournal.Entry> entries = new ArrayList<>(journal.read());
        if (DeploymentJournal.nothingToUndo(entries)) {
            return Optional.empty();
        }
        List<Bundle> changed = new ArrayList<>();
        for (int i = entries.size() - 1; i >= 0; i--) {
            DeploymentJournal.Entry e = entries.get(i);
            if (e.state().terminal() || e.state() == DeploymentJournal.State.PAUSED) {
                continue;
            }
            if (keptAfterKill(e)) {
                // a new bundle that was running in its window: a kill is no sign that it is at fault, and
                // uninstalling it would leave its deploy/ file without a bundle (a new home without its rules);
                // the agent watches it again for a whole window, as after a clean stop. A second kill in that
                // window uninstalls it (it may be what brings the gateway down).
                entries.set(i, e.with(DeploymentJournal.State.PAUSED, INTERRUPTED_ONCE));
                journal.write(entries);
                continue;
            }
            Undo undo = undo(ctx, e);
            for (Bundle b : undo.toStart()) {
                b.start(); // persistent: started when the framework reaches its start level
            }
            changed.addAll(undo.changed());
            String reason = "the gateway stopped during the " + e.operation() + " of " + describe(e) + " ("
                    + e.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "); at the next start "
                    + undo.description();
            entries.set(i, e.with(DeploymentJournal.State.RECOVERED, reason));
            journal.write(entries);
        }
        return Optional.of(new Recovered(List.copyOf(entries), changed));
    }

    /**
     * The reason an install kept after a kill carries while it is watched again; {@link #recover} undoes it when it
     * finds it a second time.
     */
    public static final String INTERRUPTED_ONCE = "watched again after the gateway stopped in its window";

    /** An install (nothing to go back to) that was started and in its window, interrupted for the first time. */
    static boolean keptAfterKill(DeploymentJournal.Entry e) {
        return e.action() == DeploymentJournal.Action.INSTALL && e.state() == DeploymentJournal.State.WATCHING
                && !INTERRUPTED_ONCE.equals(e.reason());
    }

    /** {@code io.x 1.0.0 -> 1.1.0}, {@code io.x 1.1.0}. */
    public static String describe(DeploymentJournal.Entry e) {
        String from = e.fromVersion();
        String to = e.toVersion();
        return e.symbolicName() + " " + (from.isEmpty() ? to : to.isEmpty() ? from : from + " -> " + to);
    }

    /**
     * Puts the framework back as it was before {@code e} (an uninstall, having no health window, is completed
     * instead). Does not refresh or start: the caller does, at the right moment.
     */
    public static Undo undo(BundleContext ctx, DeploymentJournal.Entry e) throws IOException, BundleException {
        Bundle at = ctx.getBundle(e.location());
        List<Bundle> changed = new ArrayList<>();
        List<Bundle> toStart = new ArrayList<>();
        switch (e.action()) {
            case INSTALL -> {
                if (at != null) {
                    at.uninstall();
                    changed.add(at);
                    return new Undo(changed, toStart, "uninstalled " + e.symbolicName() + " " + e.toVersion());
                }
                return new Undo(changed, toStart, e.symbolicName() + " " + e.toVersion() + " was not installed");
            }
            case UPDATE -> {
                Path from = Path.of(e.fromFile());
                if (e.fromFile().isEmpty() || !Files.isRegularFile(from)) {
                    throw new IOException("the previous version's artifact " + (e.fromFile().isEmpty() ? "was not "
                            + "stored" : from + " is missing") + ": cannot put " + e.symbolicName() + " "
                            + e.fromVersion() + " back");
                }
                try (InputStream in = Files.newInputStream(from)) {
                    if (at == null) {
                        at = ctx.installBundle(e.location(), in);
                    } else {
                        if (at.getState() == Bundle.ACTIVE || at.getState() == Bundle.STARTING) {
                            // stopped now, started once after the refresh: not started by the update and stopped
                            // again by the refresh a moment later (a client connecting then would be cut off)
                            at.stop(Bundle.STOP_TRANSIENT);
                        }
                        at.update(in);
                    }
                }
                changed.add(at);
                toStart.add(at);
                return new Undo(changed, toStart, "put " + e.symbolicName() + " " + e.fromVersion() + " back");
            }
            case UNINSTALL -> {
                if (at != null) {
                    at.uninstall();
                    changed.add(at);
                }
                return new Undo(changed, toStart, "completed the uninstall of " + e.symbolicName() + " "
                        + e.fromVersion());
            }
            default -> throw new IllegalStateException("unknown action " + e.action());
        }
    }
}

package io.edgegateway.deploy.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/** Recovery against a real Felix framework: the state a killed gateway leaves, read back before start. */
class JournalRecoveryTest {

    static final String LOCATION = "file:/opt/gw/deploy/fixture.jar";

    @TempDir
    Path dir;

    private Felix felix;

    @AfterEach
    void stop() throws Exception {
        if (felix != null) {
            felix.stop();
            felix.waitForStop(10_000);
        }
    }

    @Test
    void anUpdateInItsHealthWindowIsPutBackBeforeTheFrameworkStarts() throws Exception {
        Path v1 = bundleJar("1.0.0");
        Path v2 = bundleJar("1.1.0");
        Felix f = started();
        Bundle b = install(f, v1);
        b.start();
        // the agent updated to 1.1.0 and was in the health window when the process died
        try (InputStream in = Files.newInputStream(v2)) {
            b.update(in);
        }
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        journal.write(entry(DeploymentJournal.Action.UPDATE, "1.0.0", v1, "1.1.0", v2,
                DeploymentJournal.State.WATCHING));
        f.stop();
        f.waitForStop(10_000);

        Felix again = initialised();
        Optional<JournalRecovery.Recovered> r = JournalRecovery.recover(again.getBundleContext(),
                dir.resolve("deployment"));
        assertThat(r).isPresent();
        assertThat(r.get().changed()).hasSize(1);
        again.start();
        Bundle back = again.getBundleContext().getBundle(LOCATION);
        assertThat(back.getVersion()).isEqualTo(new Version("1.0.0"));
        assertThat(back.getState()).isEqualTo(Bundle.ACTIVE);
        DeploymentJournal.Entry written = journal.read().get(0);
        assertThat(written.state()).isEqualTo(DeploymentJournal.State.RECOVERED);
        assertThat(written.reason()).isEqualTo("the gateway stopped during the update of io.test.fixture 1.0.0 -> "
                + "1.1.0 (watching); at the next start put io.test.fixture 1.0.0 back");
        // a second start finds nothing more to do
        assertThat(JournalRecovery.recover(again.getBundleContext(), dir.resolve("deployment"))).isEmpty();
    }

    @Test
    void aFreshInstallIsRemovedAndAnUninstallCompleted() throws Exception {
        Path v1 = bundleJar("2.0.0");
        Felix f = started();
        install(f, v1).start();
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        journal.write(entry(DeploymentJournal.Action.INSTALL, "", null, "2.0.0", v1, DeploymentJournal.State.APPLYING));
        f.stop();
        f.waitForStop(10_000);

        Felix again = initialised();
        JournalRecovery.Recovered r = JournalRecovery.recover(again.getBundleContext(), dir.resolve("deployment"))
                .orElseThrow();
        assertThat(again.getBundleContext().getBundle(LOCATION)).isNull();
        assertThat(r.summary()).endsWith("uninstalled io.test.fixture 2.0.0");
        // nothing installed: an interrupted uninstall has nothing left to do either, and says so
        journal.write(entry(DeploymentJournal.Action.UNINSTALL, "2.0.0", v1, "", null,
                DeploymentJournal.State.APPLYING));
        assertThat(JournalRecovery.recover(again.getBundleContext(), dir.resolve("deployment")).orElseThrow()
                .summary()).endsWith("completed the uninstall of io.test.fixture 2.0.0");
    }

    @Test
    void aNewBundleKilledInItsWindowIsKeptOnceAndUninstalledTheSecondTime() throws Exception {
        Path v1 = bundleJar("2.0.0");
        Felix f = started();
        install(f, v1).start();
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        journal.write(entry(DeploymentJournal.Action.INSTALL, "", null, "2.0.0", v1, DeploymentJournal.State.WATCHING));
        f.stop();
        f.waitForStop(10_000);

        Felix again = initialised();
        JournalRecovery.Recovered r = JournalRecovery.recover(again.getBundleContext(), dir.resolve("deployment"))
                .orElseThrow();
        assertThat(again.getBundleContext().getBundle(LOCATION)).as("kept").isNotNull();
        assertThat(r.changed()).isEmpty();
        assertThat(r.summary()).contains("kept, and watched again");
        DeploymentJournal.Entry kept = journal.read().get(0);
        assertThat(kept.state()).isEqualTo(DeploymentJournal.State.PAUSED);
        assertThat(kept.reason()).isEqualTo(JournalRecovery.INTERRUPTED_ONCE);

        // the agent watches it again (WATCHING, marker kept) and the gateway is killed a second time
        journal.write(kept.with(DeploymentJournal.State.WATCHING, kept.reason()));
        JournalRecovery.Recovered second = JournalRecovery.recover(again.getBundleContext(),
                dir.resolve("deployment")).orElseThrow();
        assertThat(again.getBundleContext().getBundle(LOCATION)).as("uninstalled after the second kill").isNull();
        assertThat(second.summary()).endsWith("uninstalled io.test.fixture 2.0.0");
        assertThat(journal.read().get(0).state()).isEqualTo(DeploymentJournal.State.RECOVERED);
    }

    @Test
    void aBatchIsUndoneLastFirstAndOnlyItsUnfinishedEntries() throws Exception {
        Path a1 = bundleJar("1.0.0");
        Path a2 = bundleJar("1.1.0");
        Felix f = started();
        Bundle b = install(f, a1);
        try (InputStream in = Files.newInputStream(a2)) {
            b.update(in);
        }
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        DeploymentJournal.Entry done = entry(DeploymentJournal.Action.INSTALL, "", null, "3.0.0", a1,
                DeploymentJournal.State.ROLLED_BACK);
        journal.write(List.of(done, entry(DeploymentJournal.Action.UPDATE, "1.0.0", a1, "1.1.0", a2,
                DeploymentJournal.State.WATCHING)));
        JournalRecovery.Recovered r = JournalRecovery.recover(f.getBundleContext(), dir.resolve("deployment"))
                .orElseThrow();
        assertThat(r.entries()).extracting(DeploymentJournal.Entry::state)
                .containsExactly(DeploymentJournal.State.ROLLED_BACK, DeploymentJournal.State.RECOVERED);
        assertThat(f.getBundleContext().getBundle(LOCATION).getVersion()).isEqualTo(new Version("1.0.0"));
        assertThat(journal.read()).isEqualTo(r.entries());
    }

    @Test
    void aFinishedOperationIsLeftAlone() throws Exception {
        Path v1 = bundleJar("1.0.0");
        Felix f = started();
        install(f, v1);
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        journal.write(entry(DeploymentJournal.Action.INSTALL, "", null, "1.0.0", v1,
                DeploymentJournal.State.COMMITTED));
        assertThat(JournalRecovery.recover(f.getBundleContext(), dir.resolve("deployment"))).isEmpty();
        assertThat(f.getBundleContext().getBundle(LOCATION)).isNotNull();
        assertThat(journal.read().get(0).state()).isEqualTo(DeploymentJournal.State.COMMITTED);
    }

    @Test
    void anUpdatePausedByACleanStopIsNotUndone() throws Exception {
        Path v1 = bundleJar("1.0.0");
        Path v2 = bundleJar("1.1.0");
        Felix f = started();
        Bundle b = install(f, v1);
        try (InputStream in = Files.newInputStream(v2)) {
            b.update(in);
        }
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        journal.write(entry(DeploymentJournal.Action.UPDATE, "1.0.0", v1, "1.1.0", v2, DeploymentJournal.State.PAUSED));
        assertThat(JournalRecovery.recover(f.getBundleContext(), dir.resolve("deployment"))).isEmpty();
        assertThat(f.getBundleContext().getBundle(LOCATION).getVersion()).isEqualTo(new Version("1.1.0"));
        assertThat(journal.read().get(0).state()).as("left for the agent to watch again")
                .isEqualTo(DeploymentJournal.State.PAUSED);
    }

    @Test
    void theJournalRoundTripsEveryField() throws Exception {
        DeploymentJournal journal = new DeploymentJournal(dir.resolve("deployment"));
        assertThat(journal.read()).isEmpty();
        DeploymentJournal.Entry e = new DeploymentJournal.Entry("id-1", "update", DeploymentJournal.Action.UPDATE,
                "remote:ops", "r-7", LOCATION, "io.x", "1.0", "/s/a.jar", "1.1", "/s/b.jar",
                DeploymentJournal.State.ROLLING_BACK, 123L, "why: a=b\nc", "abc:def");
        DeploymentJournal.Entry other = e.with(DeploymentJournal.State.COMMITTED, "done");
        journal.write(List.of(e, other));
        assertThat(journal.read()).containsExactly(e, other);
        journal.clear();
        assertThat(journal.read()).isEmpty();
    }

    private static DeploymentJournal.Entry entry(DeploymentJournal.Action action, String from, Path fromFile, String to,
                                                 Path toFile, DeploymentJournal.State state) {
        return new DeploymentJournal.Entry("op-1", action.name().toLowerCase(java.util.Locale.ROOT), action,
                "deploy-folder", "", LOCATION, "io.test.fixture", from, fromFile == null ? "" : fromFile.toString(),
                to, toFile == null ? "" : toFile.toString(), state, System.currentTimeMillis(), "", "");
    }

    private Felix initialised() throws Exception {
        felix = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString()));
        felix.init();
        return felix;
    }

    private Felix started() throws Exception {
        Felix f = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        f.start();
        return f;
    }

    private static Bundle install(Felix f, Path jar) throws Exception {
        try (InputStream in = Files.newInputStream(jar)) {
            return f.getBundleContext().installBundle(LOCATION, in);
        }
    }

    private Path bundleJar(String version) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, "io.test.fixture");
        a.putValue(Constants.BUNDLE_VERSION, version);
        Path jar = dir.resolve("fixture-" + version + ".jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, m)) {
            out.flush();
        }
        return jar;
    }
}

package io.edgegateway.management.internal.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.HealthReporter;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.deploy.support.ArtifactSignatures;
import io.edgegateway.deploy.support.DeploymentJournal;
import io.edgegateway.deploy.support.JournalRecovery;
import io.edgegateway.deploy.support.TrustedKeys;
import io.edgegateway.deploy.support.Verification;
import io.edgegateway.management.internal.deploy.DeploymentResult.Outcome;

/**
 * The deployment agent. Every artifact, from {@code deploy/} or remote management, is verified against the trusted
 * keys, staged in the store, written to the journal, applied and started, then watched for the health window
 * ({@link HealthJudge}) and committed or rolled back. One operation at a time; the {@code deploy/} folder's changes
 * found in one look form one operation (so a new home's bundles share one window).
 */
@Component(service = {DeploymentAgent.class, HealthReporter.class}, immediate = true,
        configurationPid = DeploymentAgentImpl.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = HealthReporter.NAME + "=" + DeploymentAgentImpl.NAME)
@Designate(ocd = DeploymentAgentImpl.Config.class)
public class DeploymentAgentImpl implements DeploymentAgent, HealthReporter {

    static final String PID = "io.edgegateway.deployment";
    static final String NAME = "deployment";
    static final String ORIGIN_FOLDER = "deploy-folder";

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentAgentImpl.class);
    private static final long TICK_MS = 250;
    private static final int MAX_PROBLEMS_SHOWN = 5;
    private static final List<String> REJECT_REASONS = List.of("unsigned", "bad_signature", "malformed_signature",
            "no_trusted_keys", "not_a_bundle", "duplicate", "unknown_target", "wrong_bundle", "platform_bundle",
            "no_previous_artifact", "unreadable");

    @ObjectClassDefinition(name = "Deployment agent",
            description = "Verifies, stages, applies and watches every bundle from deploy/ and remote management.")
    public @interface Config {
        @AttributeDefinition(description = "Folder of trusted public keys (*.pem, Ed25519); relative = below the "
                + "gateway home.")
        String trust_dir() default "conf/trust";

        @AttributeDefinition(description = "Development mode: accept unsigned artifacts (a bad signature is still "
                + "rejected). Says so in the log and on the status topic.")
        boolean allow_unsigned() default false;

        @AttributeDefinition(description = "Seconds an installed or updated bundle is watched before it is committed.")
        int health_window_s() default 30;

        @AttributeDefinition(description = "Unhealthy when samples evaluated per second fall below this share of "
                + "the rate before the update while samples wait.")
        double throughput_ratio() default 0.7;

        @AttributeDefinition(description = "Throughput is judged only when at least this many samples per second "
                + "were evaluated before the update.")
        double throughput_min_rate() default 10.0;

        @AttributeDefinition(description = "Unhealthy when the heap in use after GC grows by more than this many MB "
                + "during the window (0 = not judged).")
        int heap_growth_max_mb() default 64;

        @AttributeDefinition(description = "Folder watched for bundles; empty = felix.fileinstall.dir, else "
                + "<home>/deploy.")
        String deploy_dir() default "";

        @AttributeDefinition(description = "How often deploy/ is looked at (ms); a file must be unchanged for one "
                + "look before it is read. 500: a dropped bundle (a model bundle too) is taken 0.5-1 s after the drop, "
                + "so a model switches within 2 s; a look is a listing and a stat per jar.")
        long poll_ms() default 500;
    }

    /** The configuration in force. */
    record Settings(Path trustDir, boolean allowUnsigned, long windowMillis, HealthJudge.Settings judge, Path deployDir,
                    long pollMillis) {

        static Settings of(Config c, Path home, String fileinstallDir) {
            Path trust = home.resolve(c.trust_dir().isBlank() ? "conf/trust" : c.trust_dir().trim());
            String d = c.deploy_dir().isBlank() ? fileinstallDir : c.deploy_dir().trim();
            Path deploy = d == null || d.isBlank() ? home.resolve("deploy") : home.resolve(d);
            long window = Math.max(0, c.health_window_s()) * 1000L;
            return new Settings(trust.normalize(), c.allow_unsigned(), window,
                    new HealthJudge.Settings(c.throughput_ratio(), c.throughput_min_rate(),
                            Math.max(0, c.heap_growth_max_mb()) * 1024L * 1024L, Math.min(3000, window), NAME),
                    deploy.normalize(), Math.max(100, c.poll_ms()));
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ServiceComponentRuntime scr;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile PipelineMetrics pipeline;

    private BundleContext ctx;
    private Path home;
    private String platformPrefix;
    private volatile Settings settings;
    private ArtifactStore store;
    private DeploymentHistory history;
    private DeployFolder folder;
    private DeploymentJournal journal;
    private ServiceTracker<HealthReporter, HealthReporter> reporters;
    private ExecutorService ops;
    private ScheduledExecutorService watcher;
    private ScheduledExecutorService sampler;
    private final MetricsRing ring = new MetricsRing(120);
    private final AtomicReference<DeploymentRequest> current = new AtomicReference<>();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    /** What the status shows: subject (a deploy/ location or a symbolic name) to one line. */
    private Problems problems;
    private volatile boolean started;
    /** True while activate installs a new home's bundles on the framework's start-level thread. */
    private volatile boolean startingUp;

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        this.ctx = context;
        String h = context.getProperty("gateway.home");
        this.home = Path.of(h != null ? h : System.getProperty("user.dir")).toAbsolutePath().normalize();
        String dist = context.getProperty("gateway.dist");
        this.platformPrefix = dist == null ? null : Path.of(dist).resolve("bundle").toUri().toString();
        this.settings = Settings.of(config, home, context.getProperty("felix.fileinstall.dir"));
        Path deployment = DeploymentJournal.folder(home);
        this.store = new ArtifactStore(deployment);
        this.history = new DeploymentHistory(deployment);
        this.folder = new DeployFolder(deployment);
        this.journal = new DeploymentJournal(deployment);
        this.problems = new Problems(deployment);
        for (String r : REJECT_REASONS) {
            counter("rejected_" + r);
        }
        List.of("committed", "rolled_back", "rejected", "failed", "busy", "recovered", "accepted_unsigned")
                .forEach(this::counter);
        try { // every reporter but this one (getting our own service while activating would be circular)
            reporters = new ServiceTracker<>(context, context.createFilter("(&(" + Constants.OBJECTCLASS + "="
                    + HealthReporter.class.getName() + ")(!(" + HealthReporter.NAME + "=" + NAME + ")))"), null);
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        reporters.open();
        ops = Executors.newSingleThreadExecutor(r -> new Thread(r, "deployment-agent"));
        watcher = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "deployment-watch"));
        sampler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "deployment-sampler"));
        sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
        logSettings("started");
        DeploymentRequest startup = new DeploymentRequest("", ORIGIN_FOLDER);
        current.set(startup);
        Rest first = null;
        try {
            if (DeploymentJournal.finished(journal.read())) {
                finishJournal(); // bookkeeping only: the launcher undid what was unfinished
                // bundles new in deploy/ are installed and started now, during the framework's start, as fileinstall
                // did: a new home has its rules before the gateway says it started; their window runs afterwards
                startingUp = true;
                List<Step> installs = folderSteps(0).stream()
                        .filter(x -> x.action == DeploymentJournal.Action.INSTALL).toList();
                if (!installs.isEmpty()) {
                    installs.forEach(x -> x.operationOrigin = ORIGIN_FOLDER);
                    first = begin(startup, installs);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Deployment agent: start-up in {} failed: {}", deployment, e.toString());
        } finally {
            startingUp = false;
        }
        Rest rest = first;
        ops.execute(() -> {
            try {
                if (rest != null) {
                    complete(rest);
                } else {
                    finishJournal(); // an operation this component left unfinished in the running framework: undone
                }
            } catch (RuntimeException | IOException e) {
                LOG.error("Deployment agent: cannot finish the journal {}: {}", journal.file(), e.toString());
            } finally {
                current.compareAndSet(startup, null);
                started = true;
            }
        });
        watcher.scheduleWithFixedDelay(this::watchFolder, settings.pollMillis(), settings.pollMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Modified
    void modified(Config config) {
        Settings before = settings;
        settings = Settings.of(config, home, ctx.getProperty("felix.fileinstall.dir"));
        if (!settings.equals(before)) {
            logSettings("configuration changed");
        }
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        watcher.shutdownNow();
        sampler.shutdownNow();
        ops.shutdownNow(); // an operation in its window stops here; its journal makes the next start undo it
        watcher.awaitTermination(10, TimeUnit.SECONDS);
        ops.awaitTermination(10, TimeUnit.SECONDS);
        sampler.awaitTermination(5, TimeUnit.SECONDS);
        reporters.close();
    }

    private void logSettings(String what) {
        Settings s = settings;
        TrustedKeys keys = TrustedKeys.load(s.trustDir());
        LOG.info("Deployment agent {}: watching {}, trusted keys in {}: {}; health window {} s", what, s.deployDir(),
                s.trustDir(), keys.names(), s.windowMillis() / 1000);
        keys.problems().forEach(p -> LOG.warn("Deployment agent: {}", p));
        if (s.allowUnsigned()) {
            LOG.warn("Deployment agent: DEVELOPMENT MODE (allow.unsigned=true): UNSIGNED ARTIFACTS ARE ACCEPTED. "
                    + "Never on a production gateway.");
        }
    }

    // ---- the contract ----------------------------------------------------------------------------------------

    @Override
    public CompletionStage<DeploymentResult> install(Path artifact, Path signature, String location,
                                                     DeploymentRequest request) {
        return single(request, "install", () -> {
            Step s = Step.artifact("install", DeploymentJournal.Action.INSTALL, artifact, signature, location,
                    display(artifact, location), null, "");
            return s;
        });
    }

    @Override
    public CompletionStage<DeploymentResult> update(String target, Path artifact, Path signature,
                                                    DeploymentRequest request) {
        return single(request, "update", () -> {
            Bundle b = resolve(target).orElse(null);
            Step s = Step.artifact("update", DeploymentJournal.Action.UPDATE, artifact, signature,
                    b == null ? null : b.getLocation(), display(artifact, b == null ? null : b.getLocation()), b, "");
            s.target = target;
            return s;
        });
    }

    @Override
    public CompletionStage<DeploymentResult> uninstall(String target, DeploymentRequest request) {
        return single(request, "uninstall", () -> {
            Bundle b = resolve(target).orElse(null);
            Step s = Step.removal("uninstall", b, b == null ? target : display(null, b.getLocation()), "");
            s.target = target;
            return s;
        });
    }

    @Override
    public CompletionStage<DeploymentResult> rollback(String symbolicName, DeploymentRequest request) {
        return single(request, "rollback", () -> rollbackStep(symbolicName));
    }

    @Override
    public CompletionStage<DeploymentResult> restart(String target, DeploymentRequest request) {
        long t0 = System.currentTimeMillis();
        if (!current.compareAndSet(null, request)) {
            return CompletableFuture.completedFuture(busy(request, "restart", t0));
        }
        CompletableFuture<DeploymentResult> f = new CompletableFuture<>();
        ops.execute(() -> {
            try {
                Optional<Bundle> b = resolve(target);
                DeploymentResult r;
                if (b.isEmpty()) {
                    count("rejected", "unknown_target");
                    r = result(request, "restart", "", "", "", Outcome.REJECTED, "no bundle '" + target
                            + "' installed", t0);
                } else {
                    Bundle x = b.get();
                    try {
                        x.stop(Bundle.STOP_TRANSIENT);
                        x.start();
                        r = result(request, "restart", x.getSymbolicName(), x.getVersion().toString(),
                                x.getVersion().toString(), Outcome.COMMITTED, HealthWindow.name(x) + " restarted", t0);
                    } catch (BundleException | RuntimeException e) {
                        counter("failed").incrementAndGet();
                        r = result(request, "restart", x.getSymbolicName(), x.getVersion().toString(),
                                x.getVersion().toString(), Outcome.FAILED, HealthWindow.name(x) + " did not restart: "
                                        + e.getMessage() + " (state " + HealthWindow.state(x.getState()) + ")", t0);
                    }
                }
                history.append(UUID.randomUUID().toString(), r);
                f.complete(r);
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            } finally {
                current.compareAndSet(request, null);
            }
        });
        return f;
    }

    @Override
    public List<DeployedArtifact> artifacts() {
        List<DeployedArtifact> out = new ArrayList<>();
        for (Bundle b : ctx.getBundles()) {
            if (b.getBundleId() == 0) {
                continue;
            }
            Optional<ArtifactStore.Installed> i = store.installed(b.getLocation());
            out.add(new DeployedArtifact(b.getBundleId(), String.valueOf(b.getSymbolicName()), b.getVersion().toString(),
                    HealthWindow.state(b.getState()), b.getLocation(), i.map(ArtifactStore.Installed::sha256).orElse(""),
                    i.map(ArtifactStore.Installed::signedBy).orElse(""), isPlatform(b)));
        }
        return out;
    }

    @Override
    public Optional<DeploymentRequest> inProgress() {
        return Optional.ofNullable(current.get());
    }

    @Override
    public List<DeploymentResult> history(int max) {
        return history.newest(max);
    }

    // ---- health ----------------------------------------------------------------------------------------------

    @Override
    public HealthReport health() {
        Map<String, Number> c = new TreeMap<>();
        counters.forEach((k, v) -> c.put(k, v.get()));
        c.put("bundles", store.all().size());
        c.put("in_progress", current.get() == null ? 0 : 1);
        List<String> lines = problems.newestFirst(); // newest first: the status line is cut at 200 characters
        if (settings.allowUnsigned()) {
            lines.add(0, "DEVELOPMENT MODE: unsigned artifacts accepted (allow.unsigned=true)");
        }
        if (lines.isEmpty()) {
            return new HealthReport(true, "all deployments committed", c);
        }
        int shown = Math.min(lines.size(), MAX_PROBLEMS_SHOWN);
        String detail = String.join("; ", lines.subList(0, shown))
                + (lines.size() > shown ? "; and " + (lines.size() - shown) + " more" : "");
        return new HealthReport(false, detail, c);
    }

    // ---- operations ------------------------------------------------------------------------------------------

    /** One step of an operation: one artifact installed, updated or removed. */
    static final class Step {
        final String operation;
        final DeploymentJournal.Action action;
        final Path artifact;
        final Path signature;
        final String display;
        final String fingerprint;
        String location;
        Bundle bundle;
        String target;
        String noTarget;
        boolean verify = true;
        BundleFacts facts;
        String sha = "";
        String signedBy = "";
        Path stored;
        ArtifactStore.Installed previous;
        DeploymentJournal.Entry entry;
        DeploymentResult result;
        String failure;

        private Step(String operation, DeploymentJournal.Action action, Path artifact, Path signature, String location,
                     String display, Bundle bundle, String fingerprint) {
            this.operation = operation;
            this.action = action;
            this.artifact = artifact;
            this.signature = signature;
            this.location = location;
            this.display = display;
            this.bundle = bundle;
            this.fingerprint = fingerprint;
        }

        static Step artifact(String operation, DeploymentJournal.Action action, Path artifact, Path signature,
                             String location, String display, Bundle bundle, String fingerprint) {
            return new Step(operation, action, artifact, signature, location, display, bundle, fingerprint);
        }

        static Step removal(String operation, Bundle bundle, String display, String fingerprint) {
            return new Step(operation, DeploymentJournal.Action.UNINSTALL, null, null,
                    bundle == null ? null : bundle.getLocation(), display, bundle, fingerprint);
        }

        boolean fromFolder() {
            return !fingerprint.isEmpty() || ORIGIN_FOLDER.equals(operationOrigin);
        }

        String operationOrigin = "";

        boolean live() {
            return result == null;
        }

        String subject() {
            if (fromFolder() && location != null) {
                return location;
            }
            return facts != null ? facts.symbolicName() : bundle != null ? bundle.getSymbolicName() : display;
        }

        String name() {
            return facts != null ? facts.symbolicName() : bundle != null ? bundle.getSymbolicName() : "";
        }

        String fromVersion() {
            return previous != null ? previous.version() : bundle != null && action != DeploymentJournal.Action.INSTALL
                    ? bundle.getVersion().toString() : "";
        }

        String toVersion() {
            return action == DeploymentJournal.Action.UNINSTALL || facts == null ? "" : facts.version();
        }
    }

    private CompletionStage<DeploymentResult> single(DeploymentRequest request, String operation,
                                                     java.util.function.Supplier<Step> step) {
        DeploymentRequest req = request == null ? new DeploymentRequest("", "") : request;
        long t0 = System.currentTimeMillis();
        if (!current.compareAndSet(null, req)) {
            return CompletableFuture.completedFuture(busy(req, operation, t0));
        }
        CompletableFuture<DeploymentResult> f = new CompletableFuture<>();
        try {
            ops.execute(() -> {
                try {
                    Step s = step.get();
                    s.operationOrigin = req.origin();
                    f.complete(execute(req, List.of(s)).get(0));
                } catch (RuntimeException e) {
                    LOG.error("Deployment agent: {} failed unexpectedly", operation, e);
                    f.complete(result(req, operation, "", "", "", Outcome.FAILED, operation + " failed: " + e, t0));
                } finally {
                    current.compareAndSet(req, null);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            current.compareAndSet(req, null);
            f.complete(result(req, operation, "", "", "", Outcome.FAILED, "the deployment agent is stopping", t0));
        }
        return f;
    }

    private DeploymentResult busy(DeploymentRequest req, String operation, long t0) {
        counter("busy").incrementAndGet();
        DeploymentRequest other = current.get();
        return result(req, operation, "", "", "", Outcome.BUSY, "another operation is under way"
                + (other == null ? "" : " (" + (other.origin().isEmpty() ? "" : other.origin())
                + (other.requestId().isEmpty() ? "" : " request " + other.requestId()) + ")"), t0);
    }

    /**
     * Runs one operation: prepare every step (verify, read, stage; a bad one is rejected alone), journal, apply,
     * refresh, start, watch, then commit or roll back each. On the agent's thread.
     */
    private List<DeploymentResult> execute(DeploymentRequest req, List<Step> steps) {
        return complete(begin(req, steps));
    }

    /** What is left of an operation once its bundles are applied and started: the window and the commit. */
    private static final class Rest {
        final DeploymentRequest req;
        final List<Step> steps;
        List<Step> live = List.of();
        List<Step> watched = List.of();
        HealthJudge.Baseline baseline;
        final long t0 = System.currentTimeMillis();
        final long n0 = System.nanoTime();
        boolean interrupted;
        boolean resumed;
        /** How long verifying and staging took, and applying and starting: the log says where a drop's time goes. */
        long prepareMillis;
        long applyMillis;

        Rest(DeploymentRequest req, List<Step> steps) {
            this.req = req;
            this.steps = steps;
        }
    }

    /** Prepares every step (verify, read, stage; a bad one is rejected alone), journals, applies and starts. */
    private Rest begin(DeploymentRequest req, List<Step> steps) {
        Rest r = new Rest(req, steps);
        Settings s = settings;
        TrustedKeys keys = TrustedKeys.load(s.trustDir());
        for (Step step : steps) {
            prepare(req, step, keys, s, r.t0);
        }
        r.prepareMillis = (System.nanoTime() - r.n0) / 1_000_000;
        r.live = steps.stream().filter(Step::live).toList();
        if (!r.live.isEmpty()) {
            try {
                r.watched = apply(r, s);
                r.applyMillis = (System.nanoTime() - r.n0) / 1_000_000 - r.prepareMillis;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                interrupted(r);
            } catch (IOException e) {
                failed(r, e);
            }
        }
        return r;
    }

    /** Watches what {@link #begin} started, commits what stays healthy, records every result. */
    private List<DeploymentResult> complete(Rest r) {
        if (!r.interrupted && !r.watched.isEmpty()) {
            try {
                for (Step step : r.resumed ? List.<Step>of() : r.watched) {
                    LOG.info("Deployment: {} {} {} and started; watching it for {} s (verified and staged in {} ms, "
                            + "applied and started in {} ms)", step.display, step.facts,
                            step.action == DeploymentJournal.Action.INSTALL ? "installed" : "updated (was "
                                    + step.fromVersion() + ")", settings.windowMillis() / 1000, r.prepareMillis,
                            r.applyMillis);
                }
                watch(r.req, r.watched, r.baseline, r.t0, r.n0);
                for (Step step : r.watched) {
                    if (step.live()) {
                        commit(r.req, step, r.t0, r.n0, System.nanoTime());
                    }
                }
                writeJournal(r.live);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                interrupted(r);
            } catch (IOException e) {
                failed(r, e);
            }
        }
        if (r.interrupted) {
            return results(r.steps); // the journal stays: the next start undoes what was under way
        }
        for (Step step : r.steps) {
            finish(step);
        }
        try {
            journal.clear();
        } catch (RuntimeException e) {
            LOG.warn("Deployment agent: {}", e.getMessage());
        }
        return results(r.steps);
    }

    private void interrupted(Rest r) {
        r.interrupted = true;
        // a clean stop in the window: those being watched are watched again at the next start, not undone
        boolean paused = false;
        for (Step step : r.live) {
            if (step.live() && step.entry != null && step.entry.state() == DeploymentJournal.State.WATCHING) {
                step.entry = step.entry.with(DeploymentJournal.State.PAUSED, "");
                paused = true;
            }
        }
        if (paused) {
            boolean flag = Thread.interrupted(); // a file channel refuses to write on an interrupted thread
            try {
                writeJournal(r.live);
                LOG.info("Deployment agent: stopped during the health window; watching again after the next start");
            } catch (IOException e) {
                LOG.warn("Deployment agent: cannot write the journal at stop: {}", e.toString());
            } finally {
                if (flag) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (Step step : r.live) {
            if (step.live()) {
                step.result = result(r.req, step, Outcome.FAILED, step.display + ": interrupted, the gateway is "
                        + "stopping: " + (step.entry == null ? "nothing was changed" : "undone at the next start"), r.t0);
            }
        }
    }

    private void failed(Rest r, IOException e) {
        for (Step step : r.live) {
            if (step.live()) {
                counter("failed").incrementAndGet();
                step.result = result(r.req, step, Outcome.FAILED, step.display + ": cannot write the deployment "
                        + "journal or store (" + e.getMessage() + ")" + (step.entry == null ? ": nothing was changed"
                        : ": undone at the next start"), r.t0);
            }
        }
    }

    private static List<DeploymentResult> results(List<Step> steps) {
        return steps.stream().map(x -> x.result).toList();
    }

    private void prepare(DeploymentRequest req, Step step, TrustedKeys keys, Settings s, long t0) {
        try {
            if (step.action != DeploymentJournal.Action.INSTALL && step.bundle == null) {
                reject(req, step, "unknown_target", step.noTarget != null ? step.noTarget : "no bundle '"
                        + (step.target != null ? step.target : step.display) + "' installed", t0);
                return;
            }
            if (step.bundle != null && isPlatform(step.bundle)) {
                reject(req, step, "platform_bundle", HealthWindow.name(step.bundle) + " is a platform bundle: it is "
                        + "updated with the install package", t0);
                return;
            }
            if (step.action == DeploymentJournal.Action.UNINSTALL) {
                step.previous = previousOf(step.bundle).orElse(null);
                return;
            }
            if (step.artifact == null || !Files.isRegularFile(step.artifact)) {
                reject(req, step, "unreadable", step.display + ": no such file", t0);
                return;
            }
            if (step.verify) {
                Verification v = keys.verify(step.artifact, step.signature);
                step.sha = v.sha256();
                if (v.verified()) {
                    step.signedBy = v.signer();
                } else if (s.allowUnsigned() && v.status() == Verification.Status.UNSIGNED) {
                    counter("accepted_unsigned").incrementAndGet();
                    LOG.warn("Deployment agent: DEVELOPMENT MODE: accepting UNSIGNED {} (allow.unsigned=true)",
                            step.display);
                } else {
                    reject(req, step, v.status().counter(), step.display + ": " + v.reason(), t0);
                    return;
                }
            } else {
                step.sha = ArtifactSignatures.hex(ArtifactSignatures.sha256(step.artifact));
            }
            try {
                step.facts = BundleFacts.read(step.artifact);
            } catch (BundleFacts.NotABundleException e) {
                reject(req, step, "not_a_bundle", step.display + ": " + e.getMessage(), t0);
                return;
            }
            if (step.action == DeploymentJournal.Action.INSTALL) {
                if (step.location == null) {
                    step.location = "deployment:" + step.facts.symbolicName() + "/" + step.facts.version();
                }
                Bundle at = ctx.getBundle(step.location);
                if (at != null) {
                    reject(req, step, "duplicate", step.display + ": location " + step.location + " holds "
                            + HealthWindow.name(at) + " already (update it instead)", t0);
                    return;
                }
            } else {
                if (!step.facts.symbolicName().equals(step.bundle.getSymbolicName())) {
                    reject(req, step, "wrong_bundle", step.display + " is " + step.facts + ", not an update of "
                            + HealthWindow.name(step.bundle), t0);
                    return;
                }
                step.previous = previousOf(step.bundle).orElse(null);
                if (step.previous == null) {
                    reject(req, step, "no_previous_artifact", step.display + ": the running "
                            + HealthWindow.name(step.bundle) + " cannot be kept for a rollback (not in the store, not "
                            + "in the framework's storage)", t0);
                    return;
                }
                if (step.previous.sha256().equals(step.sha)) {
                    step.result = result(req, step, Outcome.COMMITTED, step.display + ": " + step.facts
                            + " is installed already (same sha256): nothing to do", t0);
                    return;
                }
            }
            for (Bundle b : ctx.getBundles()) {
                if (b != step.bundle && step.facts.symbolicName().equals(b.getSymbolicName())
                        && new Version(step.facts.version()).equals(b.getVersion())) {
                    reject(req, step, "duplicate", step.display + ": " + step.facts + " is installed already (bundle "
                            + b.getBundleId() + " from " + b.getLocation() + ")", t0);
                    return;
                }
            }
            step.stored = store.stage(step.artifact, step.signature, step.facts, step.sha);
        } catch (IOException e) {
            reject(req, step, "unreadable", step.display + ": cannot read or stage it: " + e.getMessage(), t0);
        }
    }

    /** Journal, apply, refresh, start; failures rolled back at once. Returns the steps to watch. */
    private List<Step> apply(Rest r, Settings s) throws IOException, InterruptedException {
        DeploymentRequest req = r.req;
        List<Step> live = r.live;
        long t0 = r.t0;
        long n0 = r.n0;
        r.baseline = new HealthJudge.Baseline(reports(), ring.rate(System.nanoTime(), 10),
                s.judge().heapGrowthMaxBytes() > 0 ? HealthWindow.heapAfterGc(true) : -1, startingUp);
        List<DeploymentJournal.Entry> entries = new ArrayList<>();
        for (Step step : live) {
            step.entry = new DeploymentJournal.Entry(UUID.randomUUID().toString(), step.operation, step.action,
                    req.origin(), req.requestId(), step.location, step.name(), step.fromVersion(),
                    step.previous == null ? "" : step.previous.file().toString(), step.toVersion(),
                    step.stored == null ? "" : step.stored.toString(), DeploymentJournal.State.APPLYING, t0, "",
                    step.fingerprint);
            entries.add(step.entry);
        }
        writeJournal(live);
        // apply
        List<Bundle> changed = new ArrayList<>();
        for (Step step : live) {
            try {
                switch (step.action) {
                    case INSTALL -> {
                        try (InputStream in = Files.newInputStream(step.stored)) {
                            step.bundle = ctx.installBundle(step.location, in);
                        }
                    }
                    case UPDATE -> {
                        // stopped first, started once after the refresh (as fileinstall does): an update of an
                        // active bundle would start it and the refresh stop it again at once
                        step.bundle.stop(Bundle.STOP_TRANSIENT);
                        try (InputStream in = Files.newInputStream(step.stored)) {
                            step.bundle.update(in);
                        }
                        changed.add(step.bundle);
                    }
                    case UNINSTALL -> {
                        step.bundle.uninstall();
                        changed.add(step.bundle);
                        store.forget(step.location);
                    }
                    default -> throw new IllegalStateException();
                }
            } catch (BundleException | IOException | RuntimeException e) {
                step.failure = "cannot " + step.action.name().toLowerCase(Locale.ROOT) + " it: " + e.getMessage();
            }
        }
        refresh(changed);
        List<Step> watched = new ArrayList<>();
        for (Step step : live) {
            if (step.failure == null && step.action != DeploymentJournal.Action.UNINSTALL) {
                try {
                    step.bundle.start();
                } catch (BundleException | RuntimeException e) {
                    step.failure = HealthWindow.name(step.bundle) + " did not start: " + e.getMessage();
                }
            }
            if (step.action == DeploymentJournal.Action.UNINSTALL && step.failure == null) {
                commit(req, step, t0, n0, 0);
            } else if (step.failure != null) {
                rollBack(req, step, step.failure, t0, n0);
            } else {
                step.entry = step.entry.with(DeploymentJournal.State.WATCHING, "");
                watched.add(step);
            }
        }
        writeJournal(live);
        return watched;
    }

    /** The health window: looks every {@value #TICK_MS} ms; rolls back what it finds unhealthy at once. */
    private void watch(DeploymentRequest req, List<Step> watched, HealthJudge.Baseline before, long t0, long n0)
            throws InterruptedException, IOException {
        HealthJudge.Baseline baseline = before;
        long w0 = System.nanoTime();
        List<Bundle> bundles = new java.util.concurrent.CopyOnWriteArrayList<>();
        watched.forEach(x -> bundles.add(x.bundle));
        try (HealthWindow window = new HealthWindow(ctx, () -> scr, this::reports, () -> pipeline, bundles)) {
            while (true) {
                if (stopping()) { // bundles stopping with the framework are no verdict: paused, watched again later
                    throw new InterruptedException("the framework is stopping");
                }
                Settings s = settings; // a shorter window configured now applies to this one too
                long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - w0);
                boolean end = elapsed >= s.windowMillis();
                HealthJudge.Observation o = window.observe(elapsed, end, end && s.judge().heapGrowthMaxBytes() > 0);
                Optional<String> verdict = HealthJudge.judge(s.judge(), baseline, o);
                if (verdict.isPresent() && stopping()) {
                    throw new InterruptedException("the framework is stopping");
                }
                if (verdict.isPresent()) {
                    List<Step> culprits = culprits(verdict.get(), watched);
                    for (Step step : culprits) {
                        bundles.remove(step.bundle);
                        rollBack(req, step, verdict.get(), t0, n0);
                    }
                    writeJournal(watched);
                    if (watched.stream().noneMatch(Step::live)) {
                        return;
                    }
                    // what the rolled-back bundle caused is not held against the others
                    baseline = new HealthJudge.Baseline(reports(), baseline.rateBefore(), baseline.heapBytes(),
                            baseline.startUp());
                }
                if (end) {
                    return;
                }
                Thread.sleep(Math.min(TICK_MS, Math.max(1, s.windowMillis() - elapsed)));
            }
        }
    }

    /** The framework or this bundle is being stopped (or already gone). */
    private boolean stopping() {
        try {
            return ctx.getBundle(0).getState() != Bundle.ACTIVE || ctx.getBundle().getState() == Bundle.STOPPING
                    || Thread.currentThread().isInterrupted();
        } catch (IllegalStateException e) {
            return true;
        }
    }

    /** The steps a problem names (symbolic name, or its last segment, with the version); all live ones if none. */
    private static List<Step> culprits(String reason, List<Step> watched) {
        List<Step> live = watched.stream().filter(Step::live).toList();
        List<Step> named = new ArrayList<>();
        for (Step step : live) {
            String bsn = step.facts.symbolicName();
            String shortName = bsn.substring(bsn.lastIndexOf('.') + 1);
            String v = step.facts.version();
            if (reason.contains(bsn + " " + v) || reason.contains(shortName + " " + v)) {
                named.add(step);
            }
        }
        return named.isEmpty() ? live : named;
    }

    private void commit(DeploymentRequest req, Step step, long t0, long n0, long endNanos) throws IOException {
        step.entry = step.entry.with(DeploymentJournal.State.COMMITTED, "");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - n0);
        String what;
        if (step.action == DeploymentJournal.Action.UNINSTALL) {
            what = step.display + ": " + step.bundle.getSymbolicName() + " " + step.fromVersion() + " uninstalled";
        } else {
            store.record(new ArtifactStore.Installed(step.location, step.facts.symbolicName(), step.facts.version(),
                    step.sha, step.stored, step.signedBy, req.origin().isEmpty() ? "remote" : req.origin()));
            what = step.display + ": " + step.facts + (step.action == DeploymentJournal.Action.UPDATE ? " (was "
                    + step.fromVersion() + ")" : "") + " committed after a " + settings.windowMillis() / 1000
                    + " s health window" + (step.signedBy.isEmpty() ? ", UNSIGNED (development mode)" : ", signed by "
                    + step.signedBy);
        }
        new DeploymentJournal(lastCommittedFolder(step.name())).write(step.entry);
        counter("committed").incrementAndGet();
        step.result = result(req, step, Outcome.COMMITTED, what, t0);
        LOG.info("Deployment committed: {} ({} ms from start to commit)", what, ms);
        Set<Path> keep = new HashSet<>();
        if (step.previous != null) {
            keep.add(step.previous.file());
        }
        if (step.stored != null) {
            keep.add(step.stored);
        }
        store.prune(step.name(), keep);
    }

    private void rollBack(DeploymentRequest req, Step step, String reason, long t0, long n0)
            throws IOException, InterruptedException {
        step.entry = step.entry.with(DeploymentJournal.State.ROLLING_BACK, reason);
        journalUpdate(step);
        String text;
        try {
            JournalRecovery.Undo undo = JournalRecovery.undo(ctx, step.entry);
            refresh(undo.changed());
            for (Bundle b : undo.toStart()) {
                b.start();
            }
            step.entry = step.entry.with(DeploymentJournal.State.ROLLED_BACK, reason);
            counter("rolled_back").incrementAndGet();
            text = step.display + " rolled back: " + reason + "; " + undo.description();
            step.result = result(req, step, Outcome.ROLLED_BACK, text, t0);
            LOG.error("Deployment ROLLED BACK {} ({}) {} ms after its start: {}", step.display,
                    JournalRecovery.describe(step.entry), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - n0),
                    reason + "; " + undo.description());
        } catch (BundleException | IOException | RuntimeException e) {
            step.entry = step.entry.with(DeploymentJournal.State.FAILED, reason);
            counter("failed").incrementAndGet();
            text = step.display + ": unhealthy (" + reason + ") and the rollback failed: " + e.getMessage();
            step.result = result(req, step, Outcome.FAILED, text, t0);
            LOG.error("Deployment FAILED {}: {}", step.display, text);
        }
    }

    private void journalUpdate(Step step) throws IOException {
        List<DeploymentJournal.Entry> all = new ArrayList<>(journal.read());
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(step.entry.id())) {
                all.set(i, step.entry);
            }
        }
        journal.write(all);
    }

    private void writeJournal(List<Step> steps) throws IOException {
        List<DeploymentJournal.Entry> entries = new ArrayList<>();
        for (Step step : steps) {
            if (step.entry != null) {
                entries.add(step.entry);
            }
        }
        journal.write(entries);
    }

    /** History, problems and the folder's memory for a finished step. */
    private void finish(Step step) {
        DeploymentResult r = step.result;
        if (r == null) {
            return;
        }
        try {
            history.append(step.entry != null ? step.entry.id() : UUID.randomUUID().toString(), r);
            if (!step.fingerprint.isEmpty() && step.location != null) {
                folder.markHandled(step.location, step.fingerprint);
            }
        } catch (IOException e) {
            LOG.warn("Deployment agent: cannot record the result of {}: {}", step.display, e.getMessage());
        }
        String subject = step.subject();
        if (r.outcome() == Outcome.COMMITTED) {
            problems.remove(subject);
            if (!step.name().isEmpty()) {
                problems.remove(step.name());
            }
        } else if (r.outcome() != Outcome.BUSY) {
            problems.put(subject, r.reason());
        }
    }

    private void reject(DeploymentRequest req, Step step, String reason, String text, long t0) {
        count("rejected", reason);
        step.result = result(req, step, Outcome.REJECTED, text, t0);
        LOG.warn("Deployment REJECTED {}", text);
    }

    private void count(String total, String reason) {
        counter(total).incrementAndGet();
        counter(total + "_" + reason).incrementAndGet();
    }

    private AtomicLong counter(String name) {
        return counters.computeIfAbsent(name, k -> new AtomicLong());
    }

    private DeploymentResult result(DeploymentRequest req, Step step, Outcome outcome, String reason, long t0) {
        return result(req, step.operation, step.name(), step.fromVersion(), step.toVersion(), outcome, reason, t0);
    }

    private static DeploymentResult result(DeploymentRequest req, String operation, String bsn, String from, String to,
                                           Outcome outcome, String reason, long t0) {
        return new DeploymentResult(req.requestId(), req.origin(), operation, bsn, from, to, outcome, reason, t0,
                System.currentTimeMillis());
    }

    private void refresh(Collection<Bundle> bundles) throws InterruptedException {
        if (bundles.isEmpty()) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        ctx.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class)
                .refreshBundles(bundles, e -> done.countDown());
        if (startingUp) {
            return; // on the framework's start-level thread: the refresh runs once the start is through
        }
        if (!done.await(60, TimeUnit.SECONDS)) {
            LOG.warn("Deployment agent: the framework's refresh took more than 60 s");
        }
    }

    /** The stored artifact of what runs now at the bundle's location: from the store, else adopted. */
    private Optional<ArtifactStore.Installed> previousOf(Bundle b) throws IOException {
        Optional<ArtifactStore.Installed> i = store.installed(b.getLocation());
        if (i.isPresent() && i.get().version().equals(b.getVersion().toString()) && Files.isRegularFile(i.get().file())) {
            return i;
        }
        Optional<Path> copy = store.adoptFromFramework(b, frameworkStorage());
        if (copy.isEmpty()) {
            return Optional.empty();
        }
        String sha = ArtifactSignatures.hex(ArtifactSignatures.sha256(copy.get()));
        ArtifactStore.Installed adopted = new ArtifactStore.Installed(b.getLocation(), b.getSymbolicName(),
                b.getVersion().toString(), sha, copy.get(), "", "adopted");
        store.record(adopted);
        return Optional.of(adopted);
    }

    private Path frameworkStorage() {
        String s = ctx.getProperty(Constants.FRAMEWORK_STORAGE);
        return s == null ? null : Path.of(s);
    }

    private boolean isPlatform(Bundle b) {
        return b.getBundleId() == 0 || b.equals(ctx.getBundle())
                || (platformPrefix != null && b.getLocation().startsWith(platformPrefix));
    }

    /** A location ({@code contains ':'}) or {@code name[@version]}: the newest of that name without a version. */
    Optional<Bundle> resolve(String target) {
        if (target == null || target.isBlank()) {
            return Optional.empty();
        }
        if (target.contains(":")) {
            return Optional.ofNullable(ctx.getBundle(target));
        }
        int at = target.indexOf('@');
        String name = at < 0 ? target : target.substring(0, at);
        Version v;
        try {
            v = at < 0 ? null : Version.parseVersion(target.substring(at + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return java.util.Arrays.stream(ctx.getBundles()).filter(b -> name.equals(b.getSymbolicName()))
                .filter(b -> v == null || v.equals(b.getVersion())).max(Comparator.comparing(Bundle::getVersion));
    }

    private Map<String, HealthReport> reports() {
        Map<String, HealthReport> out = new TreeMap<>();
        ServiceReference<HealthReporter>[] refs = reporters.getServiceReferences();
        if (refs == null) {
            return out;
        }
        for (ServiceReference<HealthReporter> ref : refs) {
            Object n = ref.getProperty(HealthReporter.NAME);
            String name = n == null ? "service." + ref.getProperty(Constants.SERVICE_ID) : n.toString();
            if (NAME.equals(name)) {
                continue;
            }
            HealthReporter r = reporters.getService(ref);
            if (r == null) {
                continue;
            }
            try {
                HealthReport h = r.health();
                out.put(name, h == null ? HealthReport.failed("health() returned null") : h);
            } catch (RuntimeException e) {
                out.put(name, HealthReport.failed("health() failed: " + e));
            }
        }
        return out;
    }

    private void sample() {
        PipelineMetrics m = pipeline;
        if (m != null) {
            try {
                ring.add(System.nanoTime(), m.snapshot().evaluated());
            } catch (RuntimeException e) {
                // the core is going away
            }
        }
    }

    private Path lastCommittedFolder(String bsn) {
        return DeploymentJournal.folder(home).resolve("committed").resolve(ArtifactStore.safe(bsn));
    }

    /** Undo of the last committed operation on a name, as a step. */
    private Step rollbackStep(String bsn) {
        List<DeploymentJournal.Entry> last;
        try {
            last = new DeploymentJournal(lastCommittedFolder(bsn)).read();
        } catch (IOException e) {
            last = List.of();
        }
        if (last.isEmpty()) {
            Step s = Step.removal("rollback", null, bsn, "");
            s.noTarget = "nothing committed for " + bsn + " to roll back";
            return s;
        }
        DeploymentJournal.Entry e = last.get(0);
        Bundle at = ctx.getBundle(e.location());
        Step s;
        switch (e.action()) {
            case INSTALL -> s = Step.removal("rollback", at, display(null, e.location()), "");
            case UPDATE -> {
                s = Step.artifact("rollback", DeploymentJournal.Action.UPDATE, Path.of(e.fromFile()),
                        ArtifactSignatures.signatureFile(Path.of(e.fromFile())), e.location(),
                        display(null, e.location()), at, "");
                s.verify = false; // the store's own copy, verified when it came
            }
            default -> {
                s = Step.artifact("rollback", DeploymentJournal.Action.INSTALL, Path.of(e.fromFile()),
                        ArtifactSignatures.signatureFile(Path.of(e.fromFile())), e.location(),
                        display(null, e.location()), null, "");
                s.verify = false;
            }
        }
        s.target = e.location();
        return s;
    }

    // ---- start-up: the journal -------------------------------------------------------------------------------

    /**
     * The journal at activation: recovered by the launcher (reported as rolled back), left unfinished by an earlier
     * activation of this component in the same framework (undone now), or finished but not yet in the history.
     */
    private void finishJournal() throws IOException {
        List<DeploymentJournal.Entry> entries = journal.read();
        if (entries.isEmpty()) {
            return;
        }
        if (!DeploymentJournal.nothingToUndo(entries)) {
            try {
                Optional<JournalRecovery.Recovered> r = JournalRecovery.recover(ctx, journal.file().getParent());
                if (r.isPresent()) {
                    refresh(r.get().changed());
                    for (Bundle b : r.get().changed()) {
                        if (b.getState() != Bundle.UNINSTALLED && b.getState() != Bundle.ACTIVE) {
                            b.start();
                        }
                    }
                }
            } catch (BundleException | InterruptedException e) {
                LOG.error("Deployment agent: could not undo the unfinished operation in {}: {}", journal.file(),
                        e.toString());
            }
            entries = journal.read();
        }
        List<DeploymentJournal.Entry> paused = new ArrayList<>();
        for (DeploymentJournal.Entry e : entries) {
            if (e.state() == DeploymentJournal.State.PAUSED) {
                paused.add(e);
                continue;
            }
            if (history.contains(e.id())) {
                continue;
            }
            Outcome outcome = switch (e.state()) {
                case COMMITTED -> Outcome.COMMITTED;
                case FAILED -> Outcome.FAILED;
                default -> Outcome.ROLLED_BACK;
            };
            String shown = display(null, e.location());
            String reason = e.state() == DeploymentJournal.State.RECOVERED ? shown + " rolled back after a restart: "
                    + e.reason() : e.reason();
            DeploymentResult r = new DeploymentResult(e.requestId(), e.origin(), e.operation(), e.symbolicName(),
                    e.fromVersion(), e.toVersion(), outcome, reason, e.startedMs(), System.currentTimeMillis());
            history.append(e.id(), r);
            if (e.state() == DeploymentJournal.State.RECOVERED) {
                counter("recovered").incrementAndGet();
                counter("rolled_back").incrementAndGet();
                LOG.error("Deployment ROLLED BACK {} after a restart: {}", shown, e.reason());
            }
            String subject = e.fingerprint().isEmpty() ? e.symbolicName() : e.location();
            if (outcome != Outcome.COMMITTED) {
                problems.put(subject, reason);
            }
            if (!e.fingerprint().isEmpty()) {
                folder.markHandled(e.location(), e.fingerprint());
            }
        }
        journal.clear();
        if (!paused.isEmpty()) {
            resume(paused);
        }
    }

    /** Watches again, for a whole window, what a clean stop interrupted in its window. */
    private void resume(List<DeploymentJournal.Entry> paused) throws IOException {
        TrustedKeys keys = TrustedKeys.load(settings.trustDir());
        DeploymentJournal.Entry first = paused.get(0);
        Rest r = new Rest(new DeploymentRequest(first.requestId(), first.origin()), new ArrayList<>());
        for (DeploymentJournal.Entry e : paused) {
            Bundle b = ctx.getBundle(e.location());
            Path stored = Path.of(e.toFile());
            Step st = Step.artifact(e.operation(), e.action(), stored, ArtifactSignatures.signatureFile(stored),
                    e.location(), display(null, e.location()), b, e.fingerprint());
            st.operationOrigin = e.origin();
            st.facts = new BundleFacts(e.symbolicName(), e.toVersion());
            st.stored = stored;
            st.sha = stored.getFileName().toString().replace(".jar", "");
            st.previous = e.fromFile().isEmpty() ? null : new ArtifactStore.Installed(e.location(), e.symbolicName(),
                    e.fromVersion(), "", Path.of(e.fromFile()), "", "");
            // the marker of an install kept after a kill stays: a second kill in this window undoes it
            st.entry = e.with(DeploymentJournal.State.WATCHING, JournalRecovery.INTERRUPTED_ONCE.equals(e.reason())
                    ? e.reason() : "");
            if (Files.isRegularFile(stored)) {
                Verification v = keys.verify(stored, st.signature);
                st.signedBy = v.verified() ? v.signer() : "";
            }
            r.steps.add(st);
            if (b == null) {
                st.result = result(r.req, st, Outcome.FAILED, st.display + ": gone after a restart in its health "
                        + "window", r.t0);
            } else {
                LOG.info("Deployment: {} {} was in its health window when the gateway stopped: watching it again",
                        st.display, st.facts);
            }
        }
        r.live = r.steps.stream().filter(Step::live).toList();
        r.watched = r.live;
        r.resumed = true;
        r.baseline = new HealthJudge.Baseline(reports(), Double.NaN, settings.judge().heapGrowthMaxBytes() > 0
                ? HealthWindow.heapAfterGc(true) : -1, true);
        writeJournal(r.steps);
        complete(r);
    }

    // ---- the deploy/ folder ----------------------------------------------------------------------------------

    private void watchFolder() {
        if (!started) {
            return;
        }
        try {
            List<Step> steps = folderSteps(2 * settings.pollMillis());
            if (steps.isEmpty()) {
                return;
            }
            DeploymentRequest req = new DeploymentRequest("", ORIGIN_FOLDER);
            while (!current.compareAndSet(null, req)) {
                Thread.sleep(100); // another operation: the folder waits its turn (never BUSY)
            }
            CompletableFuture<List<DeploymentResult>> f = new CompletableFuture<>();
            try {
                ops.execute(() -> {
                    try {
                        steps.forEach(x -> x.operationOrigin = ORIGIN_FOLDER);
                        f.complete(execute(req, steps));
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    } finally {
                        current.compareAndSet(req, null);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                current.compareAndSet(req, null);
                return;
            }
            f.get();
            for (Step step : steps) {
                if (step.action == DeploymentJournal.Action.UNINSTALL && step.location != null) {
                    folder.forget(step.location);
                    if (step.result != null && step.result.outcome() == Outcome.COMMITTED) {
                        problems.remove(step.location);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Deployment agent: looking at the deploy folder failed: {}", e.toString());
        }
    }

    /**
     * What the folder asks for now: installs, updates, removals (adopting what an older home left). A file seen for
     * the first time counts as stable when untouched for {@code quietMillis} (0 at start-up: what is there when
     * the gateway starts is taken; a jar still being written then fails its signature and is tried again once it
     * changes).
     */
    private List<Step> folderSteps(long quietMillis) throws IOException {
        {
            Settings s = settings;
            Path dir = s.deployDir();
            String prefix = DeployFolder.prefix(dir);
            List<Step> steps = new ArrayList<>();
            Set<String> present = new HashSet<>();
            for (DeployFolder.Seen seen : folder.stableJars(dir, quietMillis)) {
                present.add(seen.location());
                if (seen.fingerprint().equals(folder.handled(seen.location()).orElse(null))) {
                    continue;
                }
                Bundle at = ctx.getBundle(seen.location());
                Path sig = ArtifactSignatures.signatureFile(seen.file());
                String shown = display(seen.file(), seen.location());
                if (at == null) {
                    steps.add(Step.artifact("install", DeploymentJournal.Action.INSTALL, seen.file(), sig,
                            seen.location(), shown, null, seen.fingerprint()));
                    continue;
                }
                Optional<ArtifactStore.Installed> rec = store.installed(seen.location());
                if (rec.isPresent() && rec.get().sha256().equals(seen.jarSha256())) {
                    folder.markHandled(seen.location(), seen.fingerprint()); // only the signature changed
                    continue;
                }
                if (rec.isEmpty() && adopt(at, seen)) {
                    continue;
                }
                steps.add(Step.artifact("update", DeploymentJournal.Action.UPDATE, seen.file(), sig, seen.location(),
                        shown, at, seen.fingerprint()));
            }
            // files gone: their bundles go too (also bundles fileinstall installed from this folder)
            for (Bundle b : ctx.getBundles()) {
                String loc = b.getLocation();
                if (loc.startsWith(prefix) && !present.contains(loc) && !Files.exists(fileOf(loc))) {
                    steps.add(Step.removal("uninstall", b, display(null, loc), "-"));
                }
            }
            for (String loc : folder.handledLocations().keySet()) {
                if (!present.contains(loc) && ctx.getBundle(loc) == null && !Files.exists(fileOf(loc))) {
                    folder.forget(loc);
                    problems.remove(loc);
                }
            }
            return steps;
        }
    }

    /**
     * A bundle at a deploy/ location that the agent has no record of (installed by fileinstall in an older home):
     * kept as it is when the file is what runs; true when adopted, false when the file is newer (an update).
     */
    private boolean adopt(Bundle at, DeployFolder.Seen seen) throws IOException {
        Optional<ArtifactStore.Installed> running = previousOf(at);
        if (running.isPresent() && !running.get().sha256().equals(seen.jarSha256())) {
            return false;
        }
        String shown = display(seen.file(), seen.location());
        Verification v = TrustedKeys.load(settings.trustDir()).verify(seen.file(),
                ArtifactSignatures.signatureFile(seen.file()));
        if (running.isPresent()) {
            ArtifactStore.Installed r = running.get();
            store.record(new ArtifactStore.Installed(r.location(), r.symbolicName(), r.version(), r.sha256(), r.file(),
                    v.verified() ? v.signer() : "", "adopted"));
        }
        folder.markHandled(seen.location(), seen.fingerprint());
        if (v.verified()) {
            LOG.info("Deployment agent: adopted {} ({}, installed before the agent kept records), {}", shown,
                    HealthWindow.name(at), v.reason());
        } else {
            String text = shown + " (" + HealthWindow.name(at) + ") was installed before signatures were enforced and "
                    + "is not signed by a trusted key (" + v.status().counter() + "): left running; sign it or remove it";
            problems.put(seen.location(), text);
            LOG.warn("Deployment agent: {}", text);
        }
        return true;
    }

    private static Path fileOf(String location) {
        try {
            return Path.of(URI.create(location));
        } catch (RuntimeException e) {
            return Path.of("/nonexistent");
        }
    }

    /** {@code deploy/x.jar} for a folder file, else the file name or the location. */
    private String display(Path file, String location) {
        Path dir = settings.deployDir();
        Path f = file;
        if (f == null && location != null && location.startsWith("file:")) {
            f = fileOf(location);
        }
        if (f != null) {
            Path abs = f.toAbsolutePath().normalize();
            if (abs.startsWith(dir)) {
                return dir.getFileName() + "/" + dir.relativize(abs);
            }
            return f.getFileName().toString();
        }
        return location == null ? "artifact" : location;
    }

    /** Evaluated counts, one a second: the rate before an operation. */
    static final class MetricsRing {
        private final long[] nanos;
        private final long[] values;
        private int size;
        private int head;

        MetricsRing(int capacity) {
            nanos = new long[capacity];
            values = new long[capacity];
        }

        synchronized void add(long t, long v) {
            nanos[head] = t;
            values[head] = v;
            head = (head + 1) % nanos.length;
            size = Math.min(size + 1, nanos.length);
        }

        /** Per second over the last {@code seconds} (at least 4 s of samples), NaN when there are too few. */
        synchronized double rate(long now, int seconds) {
            if (size < 2) {
                return Double.NaN;
            }
            int last = (head - 1 + nanos.length) % nanos.length;
            int first = last;
            for (int i = 1; i < size; i++) {
                int k = (last - i + nanos.length) % nanos.length;
                if (now - nanos[k] > TimeUnit.SECONDS.toNanos(seconds)) {
                    break;
                }
                first = k;
            }
            double dt = (nanos[last] - nanos[first]) / 1e9;
            return dt < 4 ? Double.NaN : (values[last] - values[first]) / dt;
        }
    }
}

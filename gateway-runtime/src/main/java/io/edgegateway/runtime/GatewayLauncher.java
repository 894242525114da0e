package io.edgegateway.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.edgegateway.deploy.support.DeploymentJournal;
import io.edgegateway.deploy.support.JournalRecovery;
import org.apache.felix.framework.Felix;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.FrameworkWiring;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds Apache Felix: reads {@code conf/framework.properties}, keeps framework state in {@code data/}, installs or
 * updates the platform bundles of the distribution's {@code bundle/} folder, undoes a deployment the previous run
 * left unfinished, and starts them. The deployment agent (gateway-management) then takes care of the bundles in
 * {@code deploy/}, fileinstall of the configurations there.
 */
final class GatewayLauncher {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");
    static final String FILEINSTALL_FILTER = "felix.fileinstall.filter";
    static final String CONFIGURATIONS_ONLY = ".*\\.(cfg|config)";

    private final GatewayHome home;
    private final Map<String, String> overrides;
    private final boolean clean;
    private final Logger log;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Framework framework;

    GatewayLauncher(GatewayHome home, Map<String, String> overrides, boolean clean) {
        this.home = home;
        this.overrides = overrides;
        this.clean = clean;
        Path logback = home.conf().resolve("logback.xml");
        if (System.getProperty("logback.configurationFile") == null && Files.isRegularFile(logback)) {
            System.setProperty("logback.configurationFile", logback.toString());
        }
        System.setProperty("gateway.home", home.home().toString());
        this.log = LoggerFactory.getLogger(GatewayLauncher.class); // after logback knows its configuration
    }

    void start() throws BundleException, IOException {
        long t0 = System.nanoTime();
        Map<String, Object> config = new HashMap<>(frameworkProperties());
        config.put(Constants.FRAMEWORK_STORAGE, home.data().resolve("felix-cache").toString());
        if (clean) {
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            deleteTree(home.data().resolve("config"));
            log.info("Clean start: framework state and stored configuration discarded");
        }
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, join(join(
                (String) config.get(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA), slf4jExports()), djlExports()));
        configureDjl(config);
        // the deployment agent (gateway-management) handles the bundles of deploy/: verified, staged, watched;
        // fileinstall reads only the configurations there
        config.putIfAbsent(FILEINSTALL_FILTER, CONFIGURATIONS_ONLY);
        config.put("felix.log.logger", new FelixLogBridge());

        Felix felix = new Felix(config);
        felix.init();
        framework = felix;
        List<Bundle> changed = reconcilePlatformBundles(felix.getBundleContext());
        changed.addAll(recoverDeployment(felix.getBundleContext()));
        if (!changed.isEmpty()) {
            CountDownLatch refreshed = new CountDownLatch(1);
            felix.adapt(FrameworkWiring.class).refreshBundles(changed, e -> refreshed.countDown());
            awaitQuietly(refreshed, 30);
        }
        felix.start();
        List<String> failed = startAll(felix.getBundleContext());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        log.info("Gateway '{}' started in {} ms (home {}, {} bundles{})", config.get("gateway.id"), ms,
                home.home(), felix.getBundleContext().getBundles().length,
                failed.isEmpty() ? "" : ", NOT started: " + failed);
        Thread watcher = new Thread(() -> {
            try {
                FrameworkEvent event = felix.waitForStop(0);
                log.info("Framework stopped ({})", event.getType() == FrameworkEvent.STOPPED ? "normal"
                        : "event " + event.getType());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                stopped.countDown();
            }
        }, "gateway-framework-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops every bundle in order (their components deactivate, connections close) and the framework. */
    void stop() {
        Framework f = framework;
        if (f == null || f.getState() != Bundle.ACTIVE) {
            return;
        }
        try {
            log.info("Stopping gateway");
            f.stop();
            f.waitForStop(TimeUnit.SECONDS.toMillis(30));
        } catch (BundleException | InterruptedException e) {
            log.warn("Gateway did not stop cleanly: {}", e.toString());
        }
    }

    /**
     * Installs bundles new in {@code bundle/}, updates those whose file changed since they were installed and
     * uninstalls those that disappeared. Bundles that fileinstall manages ({@code deploy/}) are left to it.
     */
    private List<Bundle> reconcilePlatformBundles(BundleContext ctx) throws IOException {
        List<Bundle> changed = new ArrayList<>();
        Map<String, Path> wanted = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(home.bundles())) {
            files.filter(p -> p.toString().endsWith(".jar")).sorted(Comparator.naturalOrder())
                    .forEach(p -> wanted.put(p.toUri().toString(), p));
        }
        String platformPrefix = home.bundles().toUri().toString();
        for (Bundle b : ctx.getBundles()) {
            if (b.getLocation().startsWith(platformPrefix) && !wanted.containsKey(b.getLocation())) {
                uninstall(b);
                changed.add(b);
            }
        }
        for (Map.Entry<String, Path> e : wanted.entrySet()) {
            Bundle existing = ctx.getBundle(e.getKey());
            try {
                if (existing == null) {
                    ctx.installBundle(e.getKey());
                } else if (Files.getLastModifiedTime(e.getValue()).toMillis() > existing.getLastModified()) {
                    existing.update();
                    changed.add(existing);
                    log.info("Updated {} from {}", existing.getSymbolicName(), e.getValue().getFileName());
                }
            } catch (BundleException ex) {
                log.error("Cannot install {}: {}", e.getValue(), ex.getMessage());
            }
        }
        return changed;
    }

    /**
     * An update the deployment agent had not finished when the gateway stopped (killed in the health window, power
     * lost) is undone here, before anything runs: the previous version is in place when the framework starts, and
     * the agent reports the operation as rolled back.
     */
    private List<Bundle> recoverDeployment(BundleContext ctx) {
        Path folder = DeploymentJournal.folder(home.home());
        try {
            Optional<JournalRecovery.Recovered> r = JournalRecovery.recover(ctx, folder);
            if (r.isPresent()) {
                log.warn("Deployment journal: {}", r.get().summary());
                return r.get().changed();
            }
        } catch (IOException | BundleException | RuntimeException e) {
            log.error("Deployment journal {}: could not undo the unfinished operation: {}",
                    folder.resolve(DeploymentJournal.FILE), e.getMessage());
        }
        return List.of();
    }

    private void uninstall(Bundle b) {
        try {
            log.info("Uninstalling {} (its file is gone from bundle/)", b.getSymbolicName());
            b.uninstall();
        } catch (BundleException ex) {
            log.warn("Cannot uninstall {}: {}", b.getSymbolicName(), ex.getMessage());
        }
    }

    private List<String> startAll(BundleContext ctx) {
        List<String> failed = new ArrayList<>();
        for (Bundle b : ctx.getBundles()) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (b.getBundleId() == 0 || fragment || b.getState() == Bundle.ACTIVE) {
                continue;
            }
            if (!b.getLocation().startsWith(home.bundles().toUri().toString())) {
                continue; // deploy/ bundles are started by the framework as persisted, and by the deployment agent
            }
            try {
                b.start();
            } catch (BundleException e) {
                failed.add(b.getSymbolicName());
                log.error("Bundle {} {} did not start: {}", b.getSymbolicName(), b.getVersion(), e.getMessage());
            }
        }
        return failed;
    }

    /** conf/framework.properties with ${...} resolved against itself, system properties and the overrides. */
    private Map<String, String> frameworkProperties() {
        Properties raw = new Properties();
        Path file = home.conf().resolve("framework.properties");
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                raw.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        } else {
            log.warn("{} not found: using built-in defaults", file);
        }
        Map<String, String> props = new LinkedHashMap<>();
        raw.stringPropertyNames().forEach(k -> props.put(k, raw.getProperty(k)));
        // a -Dgateway.x=... on the JVM wins over the file, a command-line option over both
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("gateway.") || k.startsWith("felix.") || k.startsWith("org.osgi."))
                .forEach(k -> props.put(k, System.getProperty(k)));
        props.putAll(overrides);
        props.put("gateway.home", home.home().toString());
        props.put("gateway.dist", home.distribution().toString());
        props.replaceAll((k, v) -> resolve(v, props, 0));
        return props;
    }

    private static String resolve(String value, Map<String, String> props, int depth) {
        if (value == null || depth > 10 || !value.contains("${")) {
            return value;
        }
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = props.getOrDefault(m.group(1), System.getProperty(m.group(1), ""));
            m.appendReplacement(out, Matcher.quoteReplacement(resolve(v, props, depth + 1)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The framework exports the launcher's slf4j so that every bundle logs through one backend (logback). */
    private static String slf4jExports() throws IOException {
        String version = "2.0.0";
        URL jar = LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation();
        try (InputStream in = new URL("jar:" + jar + "!/META-INF/MANIFEST.MF").openStream()) {
            String v = new Manifest(in).getMainAttributes().getValue("Bundle-Version");
            if (v != null) {
                version = v;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String pkg : List.of("org.slf4j", "org.slf4j.spi", "org.slf4j.event", "org.slf4j.helpers")) {
            sb.append(sb.length() == 0 ? "" : ",").append(pkg).append(";version=").append(version);
        }
        return sb.toString();
    }

    /**
     * DJL runs fully offline from the jars in lib/ (also stops its usage-tracking call) and unpacks libtorch into a
     * folder of the gateway's own ({@code gateway.djl.cache}, default {@code ${gateway.home}/data/djl-cache}), once.
     * System properties: DJL reads them, and the engine starts later, in a bundle, on first need.
     */
    private void configureDjl(Map<String, Object> config) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            Object dir = config.get("gateway.djl.cache");
            System.setProperty("DJL_CACHE_DIR", dir == null || dir.toString().isBlank()
                    ? home.data().resolve("djl-cache").toString() : dir.toString());
        }
    }

    /**
     * The packages of DJL's API and PyTorch engine jars on the launcher class path, exported with the jars'
     * version so that bundles import {@code ai.djl.*}: DJL (and libtorch's JNI library, which can be loaded by one
     * class loader per JVM) stays in one place for the JVM's life. Empty when DJL is not on the class path.
     */
    static String djlExports() throws IOException {
        java.util.TreeSet<String> packages = new java.util.TreeSet<>();
        String version = null;
        ClassLoader cl = GatewayLauncher.class.getClassLoader();
        for (String probe : List.of("ai/djl/engine/Engine.class", "ai/djl/pytorch/engine/PtEngine.class")) {
            URL u = cl.getResource(probe);
            if (u == null || !"jar".equals(u.getProtocol())) {
                continue;
            }
            java.net.JarURLConnection c = (java.net.JarURLConnection) u.openConnection();
            c.setUseCaches(false);
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(
                    Path.of(java.net.URI.create(c.getJarFileURL().toString())).toFile())) {
                if (version == null && jar.getManifest() != null) {
                    version = jar.getManifest().getMainAttributes().getValue("Specification-Version");
                }
                jar.stream().map(java.util.jar.JarEntry::getName)
                        .filter(n -> n.startsWith("ai/djl/") && n.endsWith(".class"))
                        .forEach(n -> packages.add(n.substring(0, n.lastIndexOf('/')).replace('/', '.')));
            }
        }
        String v = version == null ? "0.0.0" : version;
        StringBuilder sb = new StringBuilder();
        for (String p : packages) {
            sb.append(sb.length() == 0 ? "" : ",").append(p).append(";version=").append(v);
        }
        return sb.toString();
    }

    private static String join(String a, String b) {
        if (b == null || b.isBlank()) {
            return a;
        }
        return a == null || a.isBlank() ? b : a + "," + b;
    }

    private static void awaitQuietly(CountDownLatch latch, int seconds) {
        try {
            latch.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

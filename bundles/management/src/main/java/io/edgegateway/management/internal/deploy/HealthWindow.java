package io.edgegateway.management.internal.deploy;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import io.edgegateway.api.HealthReport;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;

/**
 * Collects what {@link HealthJudge} judges while an operation's bundles are watched: their state, their DS
 * components (ServiceComponentRuntime DTOs, FAILED_ACTIVATION), the framework's ERROR events from them, every health
 * reporter, the pipeline's counters and the heap. Lives for one window.
 */
final class HealthWindow implements FrameworkListener, AutoCloseable {

    private final BundleContext ctx;
    private final Supplier<ServiceComponentRuntime> scr;
    private final Supplier<Map<String, HealthReport>> reporters;
    private final Supplier<PipelineMetrics> metrics;
    private final Collection<Bundle> watched;
    private final Map<Bundle, Queue<String>> errors = new java.util.concurrent.ConcurrentHashMap<>();
    private final long evaluatedAtStart;

    HealthWindow(BundleContext ctx, Supplier<ServiceComponentRuntime> scr, Supplier<Map<String, HealthReport>> reporters,
                 Supplier<PipelineMetrics> metrics, Collection<Bundle> watched) {
        this.ctx = ctx;
        this.scr = scr;
        this.reporters = reporters;
        this.metrics = metrics;
        this.watched = watched;
        MetricsSnapshot s = snapshot();
        this.evaluatedAtStart = s == null ? -1 : s.evaluated();
        ctx.addFrameworkListener(this);
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.ERROR && event.getBundle() != null && watched.contains(event.getBundle())) {
            Throwable t = event.getThrowable();
            errors.computeIfAbsent(event.getBundle(), b -> new ConcurrentLinkedQueue<>())
                    .add(name(event.getBundle()) + ": " + (t == null ? "error" : t.toString()));
        }
    }

    /** One look; {@code collectHeap} forces a garbage collection first (the last look of a window). */
    HealthJudge.Observation observe(long elapsedMillis, boolean windowEnded, boolean collectHeap) {
        List<String> notActive = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        List<String> errorLines = new ArrayList<>();
        errors.forEach((b, q) -> {
            if (watched.contains(b)) {
                errorLines.addAll(q);
            }
        });
        ServiceComponentRuntime runtime = scr.get();
        for (Bundle b : watched) {
            boolean fragment = b.getHeaders().get(Constants.FRAGMENT_HOST) != null;
            if (!fragment && b.getState() != Bundle.ACTIVE && b.getState() != Bundle.STARTING) {
                notActive.add(name(b) + " is " + state(b.getState()));
            }
            if (runtime != null && b.getState() != Bundle.UNINSTALLED) {
                try {
                    for (ComponentDescriptionDTO d : runtime.getComponentDescriptionDTOs(b)) {
                        for (ComponentConfigurationDTO c : runtime.getComponentConfigurationDTOs(d)) {
                            if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                                failed.add(name(b) + ": " + d.name + " failed to activate: " + rootCause(c.failure));
                            }
                        }
                    }
                } catch (RuntimeException e) {
                    // the bundle went away while we looked: the state check reports it
                }
            }
        }
        MetricsSnapshot s = snapshot();
        long delta = s == null || evaluatedAtStart < 0 ? -1 : s.evaluated() - evaluatedAtStart;
        return new HealthJudge.Observation(elapsedMillis, windowEnded, notActive, failed, errorLines,
                reporters.get(), delta, s == null ? -1 : s.queueDepth(), heapAfterGc(collectHeap));
    }

    @Override
    public void close() {
        ctx.removeFrameworkListener(this);
    }

    private MetricsSnapshot snapshot() {
        PipelineMetrics m = metrics.get();
        try {
            return m == null ? null : m.snapshot();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Heap in use after the latest collection (sum over the heap pools' collection usage); with {@code collect} a
     * collection is requested first. Negative when the JVM does not tell.
     */
    static long heapAfterGc(boolean collect) {
        if (collect) {
            System.gc();
        }
        long sum = 0;
        boolean any = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                MemoryUsage u = pool.getCollectionUsage();
                if (u != null) {
                    sum += u.getUsed();
                    any = true;
                }
            }
        }
        return any ? sum : -1;
    }

    static String name(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion();
    }

    static String state(int s) {
        return switch (s) {
            case Bundle.INSTALLED -> "INSTALLED (not resolved)";
            case Bundle.RESOLVED -> "RESOLVED (not started)";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.UNINSTALLED -> "UNINSTALLED";
            default -> "state " + s;
        };
    }

    /**
     * The root cause of a DS failure (a stack trace as text): SCR wraps what the activate method threw in an
     * {@code InvocationTargetException} (and sometimes a {@code ComponentException}), whose first line says nothing.
     */
    static String rootCause(String trace) {
        if (trace == null) {
            return "(no detail)";
        }
        String root = null;
        for (String line : trace.lines().toList()) {
            String l = line.strip();
            if (l.startsWith("Caused by: ")) {
                root = l.substring("Caused by: ".length());
            }
        }
        return firstLine(root != null ? root : trace);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no detail)";
        }
        String line = s.lines().findFirst().orElse(s).strip();
        return line.length() <= 160 ? line : line.substring(0, 157) + "...";
    }
}

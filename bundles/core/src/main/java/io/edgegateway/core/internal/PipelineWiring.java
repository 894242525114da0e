package io.edgegateway.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.edgegateway.api.AlertSink;
import io.edgegateway.api.Explainer;
import io.edgegateway.api.ExplanationSink;

/**
 * The services the pipeline currently talks to. Changed by service events on one thread, read by every pipeline
 * worker: detectors are published as an immutable {@link Routing} with a generation number, so a worker notices a
 * change with one volatile read per sample.
 */
final class PipelineWiring {

    /** Immutable list of detectors; {@code generation} grows by one on every change. */
    record Routing(long generation, List<DetectorBinding> detectors) {
    }

    private volatile Routing routing = new Routing(0, List.of());
    final List<AlertSink> alertSinks = new CopyOnWriteArrayList<>();
    final List<ExplanationSink> explanationSinks = new CopyOnWriteArrayList<>();
    private volatile Explainer explainer;

    Routing routing() {
        return routing;
    }

    synchronized void addDetector(DetectorBinding binding) {
        List<DetectorBinding> next = new ArrayList<>(routing.detectors());
        next.add(binding);
        routing = new Routing(routing.generation() + 1, List.copyOf(next));
    }

    synchronized void replaceDetector(DetectorBinding old, DetectorBinding replacement) {
        List<DetectorBinding> next = new ArrayList<>(routing.detectors());
        int at = next.indexOf(old);
        if (at >= 0) {
            next.set(at, replacement);
        } else {
            next.add(replacement);
        }
        routing = new Routing(routing.generation() + 1, List.copyOf(next));
    }

    synchronized void removeDetector(DetectorBinding binding) {
        List<DetectorBinding> next = new ArrayList<>(routing.detectors());
        if (next.remove(binding)) {
            routing = new Routing(routing.generation() + 1, List.copyOf(next));
        }
    }

    Explainer explainer() {
        return explainer;
    }

    void setExplainer(Explainer explainer) {
        this.explainer = explainer;
    }
}

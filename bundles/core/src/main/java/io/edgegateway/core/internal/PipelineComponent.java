package io.edgegateway.core.internal;

import java.util.Map;
import java.util.TreeMap;

import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.AlertSink;
import io.edgegateway.api.Detector;
import io.edgegateway.api.Explainer;
import io.edgegateway.api.ExplanationSink;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.TelemetryIngest;
import io.edgegateway.api.TelemetrySample;

/**
 * Publishes the pipeline as {@link TelemetryIngest} and {@link PipelineMetrics} and keeps its wiring in step with
 * the whiteboard: detectors, alert sinks, explanation sinks and explainers are picked up and dropped as their
 * bundles come and go, without stopping the pipeline.
 */
@Component(configurationPid = PipelineComponent.PID, service = {TelemetryIngest.class, PipelineMetrics.class},
        immediate = true)
@Designate(ocd = PipelineComponent.Config.class)
public class PipelineComponent implements TelemetryIngest, PipelineMetrics {

    static final String PID = "io.edgegateway.core.pipeline";
    private static final Logger LOG = LoggerFactory.getLogger(PipelineComponent.class);

    @ObjectClassDefinition(name = "Gateway pipeline",
            description = "Queues and threads between the connectors and the anomaly rules.")
    public @interface Config {
        @AttributeDefinition(description = "Samples that may wait for evaluation, over all workers.")
        int queue_capacity() default 16384;

        @AttributeDefinition(description = "Worker threads; all signals of one asset go to the same worker.")
        int workers() default 2;

        @AttributeDefinition(description = "When a queue is full: block (sources wait, nothing dropped), "
                + "drop_newest or drop_oldest (counted as queue_full).")
        String backpressure() default "block";

        @AttributeDefinition(description = "At most one log line per reject reason per this many milliseconds.")
        long reject_log_interval_ms() default 10_000;

        @AttributeDefinition(description = "Explanation requests the explainer may have unanswered; beyond it an "
                + "alert still goes out, unexplained, and explanations_shed counts it.")
        int explain_max_pending() default 1000;

        @AttributeDefinition(description = "On stop, how long to keep evaluating samples already accepted.")
        long drain_timeout_ms() default 5_000;
    }

    private final PipelineWiring wiring = new PipelineWiring();
    private final Map<ServiceReference<Detector>, DetectorBinding> detectorBindings = new TreeMap<>();
    private final TreeMap<ServiceReference<Explainer>, Explainer> explainers = new TreeMap<>();
    private volatile Pipeline pipeline;
    private long drainTimeoutMillis;

    @Activate
    void activate(Config config) {
        Pipeline.Settings settings = new Pipeline.Settings(config.queue_capacity(), config.workers(),
                Pipeline.Backpressure.parse("backpressure", config.backpressure()), config.reject_log_interval_ms(),
                config.explain_max_pending());
        drainTimeoutMillis = config.drain_timeout_ms();
        Pipeline p = new Pipeline(settings, wiring);
        p.start();
        pipeline = p;
    }

    @Deactivate
    void deactivate() {
        Pipeline p = pipeline;
        if (p != null) {
            p.stop(drainTimeoutMillis);
        }
    }

    @Override
    public boolean offer(TelemetrySample sample) {
        return pipeline.offer(sample);
    }

    @Override
    public void reject(String sourceId, RejectReason reason, String detail) {
        pipeline.reject(sourceId, reason, detail);
    }

    @Override
    public MetricsSnapshot snapshot() {
        return pipeline.snapshot();
    }

    // ---- detectors ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    synchronized void bindDetector(Detector detector, ServiceReference<Detector> ref) {
        DetectorBinding binding = binding(detector, ref);
        detectorBindings.put(ref, binding);
        wiring.addDetector(binding);
        LOG.info("Detector {} (bundle {} {}) bound", binding, ref.getBundle().getSymbolicName(), binding.version);
    }

    synchronized void updatedDetector(Detector detector, ServiceReference<Detector> ref) {
        DetectorBinding replacement = binding(detector, ref);
        DetectorBinding old = detectorBindings.put(ref, replacement);
        wiring.replaceDetector(old, replacement);
        LOG.info("Detector {} reconfigured", replacement);
    }

    synchronized void unbindDetector(Detector detector, ServiceReference<Detector> ref) {
        DetectorBinding old = detectorBindings.remove(ref);
        if (old != null) {
            wiring.removeDetector(old);
            LOG.info("Detector {} unbound", old);
        }
    }

    private static DetectorBinding binding(Detector detector, ServiceReference<Detector> ref) {
        Object name = ref.getProperty(Detector.NAME);
        if (name == null) {
            name = detector.getClass().getSimpleName();
            LOG.warn("Detector service {} has no '{}' property; using its class name", ref, Detector.NAME);
        }
        return new DetectorBinding(detector, String.valueOf(name), ref.getBundle().getVersion().toString(),
                Glob.of(ref.getProperty(Detector.ASSET)), Glob.of(ref.getProperty(Detector.SIGNAL)));
    }

    // ---- sinks ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindAlertSink(AlertSink sink) {
        wiring.alertSinks.add(sink);
    }

    void unbindAlertSink(AlertSink sink) {
        wiring.alertSinks.remove(sink);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindExplanationSink(ExplanationSink sink) {
        wiring.explanationSinks.add(sink);
    }

    void unbindExplanationSink(ExplanationSink sink) {
        wiring.explanationSinks.remove(sink);
    }

    // ---- explainers: the highest-ranked one is used ----

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    synchronized void bindExplainer(Explainer explainer, ServiceReference<Explainer> ref) {
        explainers.put(ref, explainer);
        wiring.setExplainer(explainers.lastEntry().getValue());
    }

    synchronized void unbindExplainer(Explainer explainer, ServiceReference<Explainer> ref) {
        explainers.remove(ref);
        wiring.setExplainer(explainers.isEmpty() ? null : explainers.lastEntry().getValue());
    }
}

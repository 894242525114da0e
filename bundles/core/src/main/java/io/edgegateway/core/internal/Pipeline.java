package io.edgegateway.core.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertSink;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.AssetContext;
import io.edgegateway.api.Detection;
import io.edgegateway.api.Explainer;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.ExplanationSink;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.PipelineMetrics;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.SignalKey;
import io.edgegateway.api.TelemetryIngest;
import io.edgegateway.api.TelemetrySample;

/**
 * The bounded pipeline: samples are partitioned by asset over a few worker threads, each with its own bounded
 * queue, so all signals of one asset are evaluated in arrival order by one thread and per-signal detector state
 * needs no locks. Plain Java (no OSGi) so it can be tested and benchmarked on its own; {@link PipelineComponent}
 * wires it to the service registry.
 */
final class Pipeline implements TelemetryIngest, PipelineMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    /** What {@link #offer} does when the sample's queue is full. */
    enum Backpressure {
        /** Wait for room: the source slows down (MQTT QoS 1: the broker keeps the messages). Nothing is dropped. */
        BLOCK,
        /** Refuse the new sample, count it as {@code queue_full}. */
        DROP_NEWEST,
        /** Drop the oldest waiting sample of that queue to make room, count it as {@code queue_full}. */
        DROP_OLDEST;

        static Backpressure parse(String setting, String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PipelineComponent.PID + ": setting '" + setting + "' = '" + value
                        + "' is not one of block, drop_newest, drop_oldest");
            }
        }
    }

    record Settings(int queueCapacity, int workers, Backpressure backpressure, long rejectLogIntervalMillis,
                    int maxPendingExplanations) {
        Settings(int queueCapacity, int workers, Backpressure backpressure, long rejectLogIntervalMillis) {
            this(queueCapacity, workers, backpressure, rejectLogIntervalMillis, 1000);
        }

        Settings {
            if (maxPendingExplanations < 1) {
                throw new IllegalArgumentException(PipelineComponent.PID + ": setting 'explain.max.pending' = "
                        + maxPendingExplanations + " must be >= 1");
            }
            if (workers < 1 || workers > 64) {
                throw new IllegalArgumentException(PipelineComponent.PID + ": setting 'workers' = " + workers
                        + " must be between 1 and 64");
            }
            if (queueCapacity < workers) {
                throw new IllegalArgumentException(PipelineComponent.PID + ": setting 'queue.capacity' = "
                        + queueCapacity + " must be at least the number of workers (" + workers + ")");
            }
        }
    }

    private record Envelope(TelemetrySample sample, long acceptedNanos) {
    }

    private final Settings settings;
    private final PipelineWiring wiring;
    private final Worker[] workers;
    private volatile boolean running;

    private final LongAdder received = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder evaluated = new LongAdder();
    private final LongAdder alerts = new LongAdder();
    private final LongAdder explanations = new LongAdder();
    private final LongAdder detectorErrors = new LongAdder();
    private final LongAdder sinkErrors = new LongAdder();
    private final LongAdder explainerFailures = new LongAdder();
    /** Requests the explainer has not answered: bounded, so a slow or stuck explainer cannot pile up alerts. */
    private final java.util.concurrent.atomic.AtomicInteger explanationsPending = new java.util.concurrent.atomic.AtomicInteger();
    private final LongAdder explanationsShed = new LongAdder();
    private final LongAdder[] rejects = new LongAdder[RejectReason.values().length];
    private final RateLimitedLog[] rejectLogs = new RateLimitedLog[RejectReason.values().length];
    private final RateLimitedLog errorLog;
    private final RateLimitedLog shedLog;
    private final LatencyHistogram latency = new LatencyHistogram();

    Pipeline(Settings settings, PipelineWiring wiring) {
        this.settings = settings;
        this.wiring = wiring;
        for (RejectReason r : RejectReason.values()) {
            rejects[r.ordinal()] = new LongAdder();
            rejectLogs[r.ordinal()] = new RateLimitedLog(settings.rejectLogIntervalMillis());
        }
        errorLog = new RateLimitedLog(settings.rejectLogIntervalMillis());
        shedLog = new RateLimitedLog(settings.rejectLogIntervalMillis());
        int perWorker = Math.max(1, settings.queueCapacity() / settings.workers());
        workers = new Worker[settings.workers()];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i, new ArrayBlockingQueue<>(perWorker));
        }
    }

    void start() {
        running = true;
        for (Worker w : workers) {
            w.thread.start();
        }
        LOG.info("Pipeline started: {} workers, queue capacity {}, backpressure {}", workers.length,
                settings.queueCapacity(), settings.backpressure().name().toLowerCase(Locale.ROOT));
    }

    /** Stops taking samples, evaluates what was already accepted (up to the timeout), then stops the workers. */
    void stop(long drainTimeoutMillis) {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainTimeoutMillis);
        for (Worker w : workers) {
            try {
                w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (w.thread.isAlive()) {
                w.thread.interrupt();
                LOG.warn("Pipeline worker {} did not drain in {} ms; {} samples not evaluated", w.index,
                        drainTimeoutMillis, w.queue.size());
            }
        }
    }

    @Override
    public boolean offer(TelemetrySample sample) {
        received.increment();
        if (!running) {
            countReject(sample.sourceId(), RejectReason.SHUTTING_DOWN, "pipeline is stopping");
            return false;
        }
        Worker worker = workers[Math.floorMod(sample.assetId().hashCode(), workers.length)];
        Envelope envelope = new Envelope(sample, System.nanoTime());
        BlockingQueue<Envelope> queue = worker.queue;
        switch (settings.backpressure()) {
            case BLOCK -> {
                try {
                    while (!queue.offer(envelope, 50, TimeUnit.MILLISECONDS)) {
                        if (!running) {
                            countReject(sample.sourceId(), RejectReason.SHUTTING_DOWN, "pipeline is stopping");
                            return false;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    countReject(sample.sourceId(), RejectReason.SHUTTING_DOWN, "interrupted while waiting for room");
                    return false;
                }
            }
            case DROP_NEWEST -> {
                if (!queue.offer(envelope)) {
                    countReject(sample.sourceId(), RejectReason.QUEUE_FULL, "queue of worker " + worker.index
                            + " full, dropped new sample of " + sample.key());
                    return false;
                }
            }
            case DROP_OLDEST -> {
                while (!queue.offer(envelope)) {
                    Envelope oldest = queue.poll();
                    if (oldest != null) {
                        countReject(oldest.sample().sourceId(), RejectReason.QUEUE_FULL, "queue of worker "
                                + worker.index + " full, dropped oldest sample of " + oldest.sample().key());
                    }
                }
            }
        }
        accepted.increment();
        return true;
    }

    @Override
    public void reject(String sourceId, RejectReason reason, String detail) {
        received.increment();
        countReject(sourceId, reason, detail);
    }

    private void countReject(String sourceId, RejectReason reason, String detail) {
        rejects[reason.ordinal()].increment();
        rejectLogs[reason.ordinal()].log(suppressed -> LOG.warn("Rejected input from {}: {}: {}{}", sourceId,
                reason.metricName(), detail, suppressed > 0 ? " (" + suppressed + " more since the last report)" : ""));
    }

    @Override
    public MetricsSnapshot snapshot() {
        Map<String, Long> rejected = new LinkedHashMap<>();
        for (RejectReason r : RejectReason.values()) {
            long n = rejects[r.ordinal()].sum();
            if (n > 0) {
                rejected.put(r.metricName(), n);
            }
        }
        int depth = 0;
        int signals = 0;
        for (Worker w : workers) {
            depth += w.queue.size();
            signals += w.signalCount;
        }
        return new MetricsSnapshot(Instant.now(), received.sum(), accepted.sum(), evaluated.sum(), rejected,
                alerts.sum(), explanations.sum(), depth, settings.queueCapacity(), latency.percentile(0.5),
                latency.percentile(0.99), latency.max(), signals, explanationsPending.get(), explanationsShed.sum());
    }

    long detectorErrors() {
        return detectorErrors.sum();
    }

    long sinkErrors() {
        return sinkErrors.sum();
    }

    /** Per-signal state, owned by one worker thread. */
    private static final class SignalState {
        TelemetrySample latest;
        long generation = -1;
        DetectorBinding[] bindings = new DetectorBinding[0];
        SignalDetector[] detectors = new SignalDetector[0];
    }

    private final class Worker implements Runnable {
        final int index;
        final BlockingQueue<Envelope> queue;
        final Thread thread;
        /** asset id -> signal -> state; nested maps avoid allocating a key per sample. */
        final Map<String, Map<String, SignalState>> states = new HashMap<>();
        volatile int signalCount;

        Worker(int index, BlockingQueue<Envelope> queue) {
            this.index = index;
            this.queue = queue;
            this.thread = new Thread(this, "gateway-pipeline-" + index);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            while (running || !queue.isEmpty()) {
                Envelope e;
                try {
                    e = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    return;
                }
                if (e != null) {
                    evaluate(e);
                }
            }
        }

        private void evaluate(Envelope envelope) {
            TelemetrySample sample = envelope.sample();
            Map<String, SignalState> assetStates = states.computeIfAbsent(sample.assetId(), a -> new HashMap<>());
            SignalState state = assetStates.get(sample.signal());
            if (state == null) {
                state = new SignalState();
                assetStates.put(sample.signal(), state);
                signalCount++;
            }
            state.latest = sample;
            PipelineWiring.Routing routing = wiring.routing();
            if (state.generation != routing.generation()) {
                reroute(state, routing, sample);
            }
            DetectorBinding[] bindings = state.bindings;
            SignalDetector[] detectors = state.detectors;
            for (int i = 0; i < detectors.length; i++) {
                Detection detection;
                try {
                    detection = detectors[i].update(sample);
                } catch (RuntimeException ex) {
                    detectorErrors.increment();
                    DetectorBinding b = bindings[i];
                    errorLog.log(n -> LOG.error("Detector {} failed on {}", b, sample.key(), ex));
                    continue;
                }
                if (detection != null) {
                    raise(bindings[i], sample, detection, assetStates);
                }
            }
            evaluated.increment();
            latency.record((System.nanoTime() - envelope.acceptedNanos()) / 1000);
        }

        /** Matches the signal against the current detectors, keeping the state of detectors that stayed. */
        private void reroute(SignalState state, PipelineWiring.Routing routing, TelemetrySample sample) {
            List<DetectorBinding> bindings = new ArrayList<>();
            List<SignalDetector> detectors = new ArrayList<>();
            SignalKey key = null;
            for (DetectorBinding binding : routing.detectors()) {
                if (!binding.matches(sample.assetId(), sample.signal())) {
                    continue;
                }
                SignalDetector existing = null;
                for (int i = 0; i < state.bindings.length; i++) {
                    if (state.bindings[i] == binding) {
                        existing = state.detectors[i];
                    }
                }
                if (existing == null) {
                    try {
                        key = key == null ? sample.key() : key;
                        existing = binding.detector.create(key);
                    } catch (RuntimeException ex) {
                        detectorErrors.increment();
                        errorLog.log(n -> LOG.error("Detector {} could not start for {}", binding, sample.key(), ex));
                        continue;
                    }
                }
                bindings.add(binding);
                detectors.add(existing);
            }
            state.bindings = bindings.toArray(new DetectorBinding[0]);
            state.detectors = detectors.toArray(new SignalDetector[0]);
            state.generation = routing.generation();
        }

        private void raise(DetectorBinding binding, TelemetrySample sample, Detection detection,
                           Map<String, SignalState> assetStates) {
            Instant detected = Instant.now();
            // an asset-level detection may name another signal of the asset: its latest value and unit go out
            TelemetrySample named = sample;
            if (detection.signal() != null && !detection.signal().equals(sample.signal())) {
                SignalState other = assetStates.get(detection.signal());
                named = other != null && other.latest != null ? other.latest : null;
            }
            String signal = detection.signal() != null ? detection.signal() : sample.signal();
            Alert alert = new Alert(UUID.randomUUID().toString(), sample.assetId(), signal, binding.name,
                    binding.version, detection.severity(), detection.score(), detection.baseline(),
                    named != null ? named.value() : Double.NaN, named != null ? named.unit() : "",
                    sample.sourceTime(), detected, detection.message(), detection.state(), detection.activeSince(),
                    detection.contributions());
            alerts.increment();
            for (AlertSink sink : wiring.alertSinks) {
                try {
                    sink.onAlert(alert);
                } catch (RuntimeException ex) {
                    sinkErrors.increment();
                    errorLog.log(n -> LOG.error("Alert sink {} failed", sink.getClass().getName(), ex));
                }
            }
            Explainer explainer = wiring.explainer();
            if (explainer != null && alert.state() != AlertState.CLEARED) { // "back to normal" needs no explaining
                Map<String, TelemetrySample> latest = new HashMap<>();
                assetStates.forEach((name, s) -> latest.put(name, s.latest));
                requestExplanation(explainer, alert, new AssetContext(sample.assetId(), latest));
            }
        }
    }

    /** Asks the explainer after the alert went out; the explanation follows whenever it is ready. */
    private void requestExplanation(Explainer explainer, Alert alert, AssetContext context) {
        if (explanationsPending.incrementAndGet() > settings.maxPendingExplanations()) {
            explanationsPending.decrementAndGet();
            explanationsShed.increment();
            shedLog.log(n -> LOG.warn("Explainer has {} requests pending (explain.max.pending): alert {} is not "
                    + "explained ({} shed so far)", settings.maxPendingExplanations(), alert.alertId(),
                    explanationsShed.sum()));
            return;
        }
        try {
            explainer.explain(alert, context).whenComplete((explanation, failure) -> {
                explanationsPending.decrementAndGet();
                if (failure != null || explanation == null) {
                    explainerFailures.increment();
                    errorLog.log(n -> LOG.warn("No explanation for alert {}: {}", alert.alertId(),
                            failure == null ? "explainer returned nothing" : failure.toString()));
                    return;
                }
                explanations.increment();
                deliver(explanation);
            });
        } catch (RuntimeException ex) {
            explanationsPending.decrementAndGet();
            explainerFailures.increment();
            errorLog.log(n -> LOG.error("Explainer failed for alert {}", alert.alertId(), ex));
        }
    }

    private void deliver(Explanation explanation) {
        for (ExplanationSink sink : wiring.explanationSinks) {
            try {
                sink.onExplanation(explanation);
            } catch (RuntimeException ex) {
                sinkErrors.increment();
                errorLog.log(n -> LOG.error("Explanation sink {} failed", sink.getClass().getName(), ex));
            }
        }
    }
}

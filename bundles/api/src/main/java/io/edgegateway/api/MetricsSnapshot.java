package io.edgegateway.api;

import java.time.Instant;
import java.util.Map;

/**
 * A consistent-enough copy of the pipeline's counters (each counter is exact; they are read one after another).
 *
 * @param time             when taken
 * @param received         samples offered to the pipeline plus inputs rejected by sources
 * @param accepted         samples accepted into the pipeline
 * @param evaluated        samples that went through the detectors
 * @param rejected         rejects by {@link RejectReason#metricName()}
 * @param alerts           alerts raised
 * @param explanations     explanations produced
 * @param queueDepth       samples waiting now
 * @param queueCapacity    total queue capacity
 * @param latencyP50Micros median time from acceptance to detection done, microseconds
 * @param latencyP99Micros 99th percentile of the same
 * @param latencyMaxMicros maximum of the same
 * @param signals          number of distinct signals seen
 * @param explanationsPending explanation requests the explainer has not answered yet (bounded by the pipeline)
 * @param explanationsShed    alerts not sent to the explainer because too many requests were pending
 */
public record MetricsSnapshot(Instant time, long received, long accepted, long evaluated,
                              Map<String, Long> rejected, long alerts, long explanations, int queueDepth,
                              int queueCapacity, long latencyP50Micros, long latencyP99Micros,
                              long latencyMaxMicros, int signals, int explanationsPending,
                              long explanationsShed) {

    public MetricsSnapshot {
        rejected = Map.copyOf(rejected);
    }

    /** The 1.0 form, without the explanation counters (both 0). */
    public MetricsSnapshot(Instant time, long received, long accepted, long evaluated, Map<String, Long> rejected,
                           long alerts, long explanations, int queueDepth, int queueCapacity, long latencyP50Micros,
                           long latencyP99Micros, long latencyMaxMicros, int signals) {
        this(time, received, accepted, evaluated, rejected, alerts, explanations, queueDepth, queueCapacity,
                latencyP50Micros, latencyP99Micros, latencyMaxMicros, signals, 0, 0);
    }

    public long rejectedTotal() {
        return rejected.values().stream().mapToLong(Long::longValue).sum();
    }
}

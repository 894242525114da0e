package io.edgegateway.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The pipeline's entrance, provided by the core as an OSGi service. Sources call it; they never implement it.
 *
 * <p>Backpressure is the pipeline's policy (configuration {@code io.edgegateway.core.pipeline}, setting
 * {@code backpressure}): {@code block} makes {@link #offer} wait for room (an MQTT source then withholds its QoS 1
 * acknowledgements, so the broker keeps the data), {@code drop_newest} / {@code drop_oldest} never wait and count
 * what they drop as {@link RejectReason#QUEUE_FULL}.
 */
@ProviderType
public interface TelemetryIngest {

    /**
     * Offers one sample to the pipeline.
     *
     * @return true when the pipeline accepted it (it will be evaluated, not lost while the gateway runs);
     *         false when it was refused (queue full under a dropping policy, or shutting down), already counted
     */
    boolean offer(TelemetrySample sample);

    /**
     * Reports an input the source could not turn into a sample. Counted per reason; logged at a limited rate.
     *
     * @param sourceId the source, as in {@link TelemetrySample#sourceId()}
     * @param reason   why
     * @param detail   specific, for the log: which topic, which field, what was found
     */
    void reject(String sourceId, RejectReason reason, String detail);
}

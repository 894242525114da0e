package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A component that reports its own health (a model runtime, an explainer, a connector beyond
 * {@link TelemetrySource}). Registered as a whiteboard service with the {@link #NAME} property; the MQTT uplink
 * collects every reporter, puts each report in the metrics message ({@code health}) and lists the ones that are not
 * {@link HealthReport#ok() ok} in the retained status message ({@code problems}, {@code "health":"degraded"}).
 * Registering, modifying and unregistering the service may happen at any time.
 *
 * <p>{@link #health()} is called from the uplink's own thread, once per metrics interval and on each (re)connect:
 * it must be cheap (return state the component already keeps; no I/O, no waiting for locks held during slow work)
 * and thread-safe. An exception or a {@code null} counts as a report that is not ok.
 *
 * @since 1.1
 */
@ConsumerType
public interface HealthReporter {

    /**
     * Service property: the reporter's name, unique in the gateway, e.g. {@code llm-runtime}; the key of its report
     * in the metrics message. Required; without it the uplink falls back to {@code component.name}, then to
     * {@code service.<id>}.
     */
    String NAME = "gateway.health.name";

    /** The current health; cheap to call, thread-safe. */
    HealthReport health();
}

package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives every alert (MQTT publisher, demo console, durable outbox...). Registered as a whiteboard service.
 * Called on the pipeline's dispatch thread: hand off to your own queue, never block.
 */
@ConsumerType
public interface AlertSink {

    void onAlert(Alert alert);
}

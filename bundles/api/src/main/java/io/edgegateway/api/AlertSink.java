package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives every alert (MQTT publisher, demo console, durable outbox...). Registered as a whiteboard service.
 * Called on the pipeline's dispatch thread: return quickly and hand off to your own queue. A durable sink may wait
 * until the alert is on disk (an fsync, about a millisecond); never wait for the network.
 */
@ConsumerType
public interface AlertSink {

    void onAlert(Alert alert);
}

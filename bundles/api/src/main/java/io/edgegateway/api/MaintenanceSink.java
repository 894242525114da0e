package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives every maintenance (remaining-useful-life) estimate (the MQTT uplink's durable outbox, a CMMS bridge...).
 * Registered as a whiteboard service; the estimators deliver to every bound sink. Same threading rule as
 * {@link AlertSink}: return quickly; a durable sink may wait until the estimate is on disk, never for the network.
 *
 * @since 1.1
 */
@ConsumerType
public interface MaintenanceSink {

    void onMaintenance(MaintenanceEstimate estimate);
}

package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A connector that delivers telemetry (an MQTT subscription, an OPC UA server session, ...). Registered as a
 * whiteboard service so the gateway can list sources and their health; samples flow through the
 * {@link TelemetryIngest} service the source references.
 */
@ConsumerType
public interface TelemetrySource {

    /** Service property: the source's id, e.g. {@code mqtt:plant-broker}. */
    String SOURCE_ID = "gateway.source.id";

    /** The same id as the {@link #SOURCE_ID} property. */
    String sourceId();

    /** Current health, cheap to call. */
    SourceHealth health();
}

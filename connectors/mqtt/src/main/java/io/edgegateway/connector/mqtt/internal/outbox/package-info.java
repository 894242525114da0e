/** The MQTT uplink's durable outbox (a segmented, checksummed append-only log); private to the MQTT bundle. */
package io.edgegateway.connector.mqtt.internal.outbox;

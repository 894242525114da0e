/**
 * Remote management over MQTT: requests on {@code gateway/<gatewayId>/cmd/<verb>}, responses on
 * {@code gateway/<gatewayId>/cmd/<verb>/response}; artifacts arrive in chunks and go to the deployment agent.
 * Private to this bundle.
 */
package io.edgegateway.management.internal.remote;

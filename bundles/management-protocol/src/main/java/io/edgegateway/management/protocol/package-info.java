/**
 * What the gateway's remote management and the operator CLI share: {@link io.edgegateway.management.protocol.Protocol}
 * (topics, verbs), {@link io.edgegateway.management.protocol.Json}, checksums and a reconnecting Paho link. Copied
 * into the management bundle by bnd ({@code -conditionalpackage}); never exported.
 */
package io.edgegateway.management.protocol;

/**
 * The deployment agent: every bundle or model bundle that reaches the gateway (dropped into {@code deploy/} or sent
 * over MQTT) is verified against the trusted keys, staged, started and watched for a health window, then committed
 * or rolled back. Private to this bundle.
 */
package io.edgegateway.management.internal.deploy;

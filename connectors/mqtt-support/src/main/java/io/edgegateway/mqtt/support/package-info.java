/**
 * Small helpers for the bundles that keep their own Paho clients (the MQTT connector). Not
 * exported: bnd copies this package into each bundle that uses it ({@code -conditionalpackage} in the parent pom).
 */
package io.edgegateway.mqtt.support;

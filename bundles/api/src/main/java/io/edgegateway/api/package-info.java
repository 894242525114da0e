/**
 * The Edge Gateway API: the only package the gateway exports to third-party bundles.
 *
 * <p>Data: {@link io.edgegateway.api.TelemetrySample} (one normalized measurement), {@link io.edgegateway.api.Alert}
 * (a detector fired), {@link io.edgegateway.api.Explanation} (why, in words),
 * {@link io.edgegateway.api.MaintenanceEstimate} (remaining useful life of an asset, since 1.1).
 *
 * <p>Whiteboard SPIs, implemented by bundles and registered as OSGi services; the core pipeline reacts to them
 * arriving and leaving: {@link io.edgegateway.api.TelemetrySource}, {@link io.edgegateway.api.Detector},
 * {@link io.edgegateway.api.AlertSink}, {@link io.edgegateway.api.Explainer},
 * {@link io.edgegateway.api.ExplanationSink}; {@link io.edgegateway.api.MaintenanceSink} (since 1.1), which the
 * remaining-useful-life estimator delivers to; {@link io.edgegateway.api.HealthReporter} (since 1.1), whose
 * {@link io.edgegateway.api.HealthReport}s the MQTT uplink publishes in its metrics and status messages;
 * {@link io.edgegateway.api.OffloadExplainer} (since 1.2), an explainer that also answers other gateways' requests.
 *
 * <p>Inference offload (since 1.2): {@link io.edgegateway.api.ExplanationOffload}, provided by the MQTT connector,
 * carries an {@link io.edgegateway.api.OffloadRequest} to the gateways that have a model (an MQTT shared
 * subscription) and brings the answer back; {@link io.edgegateway.api.Explanation#servedBy()} says which gateway
 * produced an explanation.
 *
 * <p>Alarm states (since 1.3): a detector may hold an alarm and report its raise and clear
 * ({@link io.edgegateway.api.AlertState}), name the signal the alert is about and the signals that drive an
 * asset-level detection ({@link io.edgegateway.api.Contribution}), through the new components of
 * {@link io.edgegateway.api.Detection} and {@link io.edgegateway.api.Alert}.
 *
 * <p>Provided by the core (consumers only call them): {@link io.edgegateway.api.TelemetryIngest},
 * {@link io.edgegateway.api.PipelineMetrics}; by a connector: {@link io.edgegateway.api.ExplanationOffload}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package io.edgegateway.api;

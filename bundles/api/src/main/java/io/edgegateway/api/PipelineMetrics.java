package io.edgegateway.api;

import org.osgi.annotation.versioning.ProviderType;

/** The core's counters, as a service. Publishers and the CLI read snapshots of it. */
@ProviderType
public interface PipelineMetrics {

    MetricsSnapshot snapshot();
}

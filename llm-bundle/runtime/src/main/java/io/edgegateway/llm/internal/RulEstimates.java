package io.edgegateway.llm.internal;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import io.edgegateway.api.MaintenanceEstimate;

/**
 * The latest remaining-useful-life estimate of each asset, as the {@link RulEstimator}s made them since this bundle
 * started (whether or not a {@link io.edgegateway.api.MaintenanceSink} was there to publish it), for other
 * components of this bundle, e.g. an explainer that mentions the RUL. Thread-safe; {@code time()} says how old an
 * estimate is.
 */
@Component(service = RulEstimates.class)
public class RulEstimates {

    private final Map<String, MaintenanceEstimate> latest = new ConcurrentHashMap<>();

    /** The latest estimate of an asset, if one was made. */
    public Optional<MaintenanceEstimate> latest(String assetId) {
        return Optional.ofNullable(latest.get(assetId));
    }

    /** Records an estimate; it replaces the asset's previous one. */
    void record(MaintenanceEstimate estimate) {
        latest.put(Objects.requireNonNull(estimate, "estimate").assetId(), estimate);
    }
}

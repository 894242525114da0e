package io.edgegateway.api;

import java.time.Instant;
import java.util.Objects;

/**
 * A remaining-useful-life estimate for one asset. Published on {@code gateway/<gatewayId>/maintenance/<assetId>};
 * its JSON form is documented in the README ("What the gateway publishes"): {@code assetId, rulCycles, healthIndex,
 * modelId, modelVersion, windowLength, samplesInWindow, time, latencyMs}.
 *
 * @param assetId         the asset
 * @param rulCycles       estimated remaining useful life, in the model's cycles
 * @param healthIndex     rulCycles over the model's RUL cap: about 1 healthy, 0 at the end of life
 * @param modelId         the model that produced it
 * @param modelVersion    that model's version
 * @param windowLength    cycles the model looks at
 * @param samplesInWindow cycles of this asset actually in the window (fewer: the oldest is repeated)
 * @param time            when the estimate was made
 * @param latencyMillis   inference time
 * @since 1.1
 */
public record MaintenanceEstimate(String assetId, double rulCycles, double healthIndex, String modelId,
                                  String modelVersion, int windowLength, int samplesInWindow, Instant time,
                                  double latencyMillis) {

    public MaintenanceEstimate {
        Objects.requireNonNull(assetId, "assetId");
        Objects.requireNonNull(time, "time");
        modelId = modelId == null ? "" : modelId;
        modelVersion = modelVersion == null ? "" : modelVersion;
    }
}

package io.edgegateway.api;

import java.util.Map;

/**
 * What the gateway knows about an asset when one of its signals alerts: the latest sample of each of its signals.
 *
 * @param assetId       the asset
 * @param latestSamples signal name to its latest sample (an unmodifiable snapshot)
 */
public record AssetContext(String assetId, Map<String, TelemetrySample> latestSamples) {

    public AssetContext {
        latestSamples = Map.copyOf(latestSamples);
    }
}

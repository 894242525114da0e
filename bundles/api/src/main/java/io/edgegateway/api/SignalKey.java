package io.edgegateway.api;

import java.util.Objects;

/** Identifies one signal of one asset, e.g. {@code pump-1 / bearing_temperature}. */
public record SignalKey(String assetId, String signal) {

    public SignalKey {
        Objects.requireNonNull(assetId, "assetId");
        Objects.requireNonNull(signal, "signal");
    }

    @Override
    public String toString() {
        return assetId + "/" + signal;
    }
}

package io.edgegateway.core.internal;

import io.edgegateway.api.Detector;

/**
 * One registered detector service as the pipeline routes to it. A new binding object is made whenever the service
 * appears or its properties change; per-signal state is kept per binding object (identity, not equality), so
 * changing a rule's configuration starts that rule afresh while every other rule keeps its state.
 */
final class DetectorBinding {

    final Detector detector;
    final String name;
    final String version;
    final Glob asset;
    final Glob signal;

    DetectorBinding(Detector detector, String name, String version, Glob asset, Glob signal) {
        this.detector = detector;
        this.name = name;
        this.version = version;
        this.asset = asset;
        this.signal = signal;
    }

    boolean matches(String assetId, String signalName) {
        return asset.matches(assetId) && signal.matches(signalName);
    }

    @Override
    public String toString() {
        return name + "[" + asset + "/" + signal + "]";
    }
}

package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An anomaly rule, registered as a whiteboard service (usually one service per factory configuration).
 *
 * <p>The core routes each sample to every detector whose {@link #ASSET} and {@link #SIGNAL} patterns match it,
 * and keeps one {@link SignalDetector} per matching signal (per-signal state, created on the signal's first
 * sample). When the detector service is modified, replaced or removed, the core drops its per-signal state and
 * starts afresh with the new service; samples keep flowing meanwhile.
 */
@ConsumerType
public interface Detector {

    /** Service property: short detector name shown in alerts, e.g. {@code threshold}. Required. */
    String NAME = "detector.name";
    /** Service property: glob over asset ids ({@code *} any run of characters, {@code ?} one); default {@code *}. */
    String ASSET = "detector.asset";
    /** Service property: glob over signal names; default {@code *}. */
    String SIGNAL = "detector.signal";

    /** Creates the state that evaluates one signal. Called once per matching signal, from a pipeline thread. */
    SignalDetector create(SignalKey key);
}

package io.edgegateway.api;

import java.util.Locale;

/**
 * Why an input did not become an accepted sample. Each reason has its own counter
 * ({@code rejected.<metricName>}) so an operator can see at a glance what is wrong with the data.
 */
public enum RejectReason {
    /** Payload is not valid JSON / not the expected structure. */
    MALFORMED_PAYLOAD,
    /** A value field holds text, an object or something else that is not a number. */
    NON_NUMERIC_VALUE,
    /** NaN or Infinity where a good-quality value was expected. */
    NON_FINITE_VALUE,
    /** A required field (asset, signal or value) is missing and no default is configured. */
    MISSING_FIELD,
    /** A message arrived on a topic no decoder mapping covers. */
    UNKNOWN_TOPIC,
    /** Payload larger than the configured maximum. */
    OVERSIZED_PAYLOAD,
    /** The pipeline queue was full and the backpressure policy dropped the sample. */
    QUEUE_FULL,
    /** The pipeline is stopping and takes no more samples. */
    SHUTTING_DOWN;

    /** Lower-case name used in metrics and logs, e.g. {@code malformed_payload}. */
    public String metricName() {
        return name().toLowerCase(Locale.ROOT);
    }
}

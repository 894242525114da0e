package io.edgegateway.api;

import java.time.Duration;
import java.util.Objects;

/**
 * An explanation request that one gateway hands to another's explainer (see {@link ExplanationOffload}): the alert,
 * and the context its explainer builds the prompt from, so the gateway that answers needs neither this gateway's
 * sample history nor its configuration.
 *
 * @param alert    the alert to explain
 * @param context  the requesting explainer's context of the alert as one JSON object, e.g. the LLM explainer's
 *                 {@code {"assetType":"pump","assetId":"pump-1","signal":"bearing_temperature",...}}; a transport
 *                 carries it verbatim, only explainers read it
 * @param deadline how long the requester waits for the answer; past it, it explains by itself (a template). The
 *                 answering explainer may drop a request whose deadline has passed.
 * @since 1.2
 */
public record OffloadRequest(Alert alert, String context, Duration deadline) {

    public OffloadRequest {
        Objects.requireNonNull(alert, "alert");
        Objects.requireNonNull(deadline, "deadline");
        if (context == null || context.isBlank()) {
            throw new IllegalArgumentException("context must be a JSON object, not empty");
        }
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive: " + deadline);
        }
    }
}

package io.edgegateway.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An explainer that also answers other gateways' offloaded requests (since 1.2; see {@link ExplanationOffload}).
 * Registered as a whiteboard service; the MQTT offload uses the one with the highest service ranking, and consumes
 * the shared request stream only while it is {@link #serving()}: a gateway without a model in service takes no
 * requests from others. One that is busy with its own alerts refuses them quickly
 * ({@link #explainOffloaded}), so the request is tried at another gateway or its requester falls back at once.
 *
 * @since 1.2
 */
@ConsumerType
public interface OffloadExplainer {

    /**
     * True while it serves other gateways: a model in service (and serving not switched off). Called often (every
     * few hundred milliseconds, and on each request): cheap, thread-safe, no waiting.
     */
    boolean serving();

    /**
     * Explains another gateway's request with the local model. Returns at once (queue the work).
     *
     * <p>The stage completes with the explanation produced here ({@link Explanation#servedBy()} may be empty: the
     * offload stamps it with this gateway's id), or exceptionally with
     * {@link java.util.concurrent.RejectedExecutionException} when it cannot take the request now (no model, too
     * many explanations waiting, or the model did not run for it): a busy gateway says so at once rather than
     * answer late, and the request is tried elsewhere or its requester falls back; or with
     * {@link IllegalArgumentException} when the request's context is not one it can read.
     *
     * @param request the other gateway's request
     */
    CompletionStage<Explanation> explainOffloaded(OffloadRequest request);
}

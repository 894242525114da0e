package io.edgegateway.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An explainer that also answers other gateways' offloaded requests (since 1.2; see {@link ExplanationOffload}).
 * Registered as a whiteboard service; the MQTT offload uses the one with the highest service ranking, and consumes
 * the shared request stream only while it is {@link #accepting()}: a gateway without a model in service, or one
 * already busy with its own alerts, takes no requests from others.
 *
 * @since 1.2
 */
@ConsumerType
public interface OffloadExplainer {

    /**
     * True while it can take requests from other gateways: a model in service and room in its queue. Called often
     * (every few hundred milliseconds, and on each request): cheap, thread-safe, no waiting.
     */
    boolean accepting();

    /**
     * Explains another gateway's request with the local model. Returns at once (queue the work).
     *
     * <p>The stage completes with the explanation produced here ({@link Explanation#servedBy()} may be empty: the
     * offload stamps it with this gateway's id), or exceptionally with
     * {@link java.util.concurrent.RejectedExecutionException} when it cannot take the request (no model, queue
     * full, past the deadline: the requester then falls back at once, so a busy gateway answers that quickly
     * rather than late), or with {@link IllegalArgumentException} when the request's context is not one it can
     * read.
     *
     * @param request the other gateway's request
     */
    CompletionStage<Explanation> explainOffloaded(OffloadRequest request);
}

package io.edgegateway.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Explains alerts (a local language model, a template engine). Registered as a whiteboard service; the core asks
 * the explainer with the highest service ranking, after the alert has gone to the sinks, so an alert never waits
 * for its explanation.
 */
@ConsumerType
public interface Explainer {

    /** Service property: name of the explainer, e.g. {@code llm}. */
    String NAME = "explainer.name";

    /**
     * Starts explaining. Must return quickly (queue the work); the stage completes with the explanation or
     * exceptionally when the explainer gave up.
     *
     * @param alert   the alert
     * @param context what the gateway knows about the asset at alert time
     */
    CompletionStage<Explanation> explain(Alert alert, AssetContext context);
}

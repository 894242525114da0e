package io.edgegateway.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Carries explanation requests to other gateways and their answers back (since 1.2). The MQTT connector provides
 * it (configuration {@code io.edgegateway.mqtt.offload}): requests go to a topic that the gateways with a model in
 * service consume through an MQTT shared subscription, so the site's broker spreads them over those gateways.
 *
 * <p>An explainer that cannot explain an alert by itself (no model in service, its queue full) may hand the alert
 * to the offload with the highest service ranking, and must explain it by itself (a template) when the stage
 * fails: an offload never loses a request, it only fails it in time.
 *
 * <p>Provided by the gateway's connectors: explainers only call it (hence {@link ProviderType}).
 *
 * @since 1.2
 */
@ProviderType
public interface ExplanationOffload {

    /**
     * Sends the request. Returns at once; never blocks on the network.
     *
     * <p>The stage completes, on a thread of the offload's own (never a network client's callback thread; the
     * caller may do blocking work there such as handing the explanation to the sinks; a request refused at once is
     * already complete when this method returns), with the answering
     * gateway's explanation, its {@link Explanation#servedBy()} naming that gateway and
     * {@link Explanation#latencyMillis()} measured here from the alert's detection time; or exceptionally, within
     * the request's deadline (plus a scheduling delay), with
     * <ul>
     * <li>{@link java.util.concurrent.TimeoutException}: no answer within the deadline (no gateway serves, or none
     * answered in time);</li>
     * <li>{@link java.util.concurrent.RejectedExecutionException}: the gateway that got it was busy, or this
     * offload has too many requests pending;</li>
     * <li>{@link IllegalStateException}: not connected (then it fails at once), or the answering gateway reported
     * an error.</li>
     * </ul>
     *
     * @param request the alert, its context and the deadline
     */
    CompletionStage<Explanation> offload(OffloadRequest request);
}

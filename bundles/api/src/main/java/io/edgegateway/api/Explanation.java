package io.edgegateway.api;

import java.time.Instant;
import java.util.Objects;

/**
 * Why an alert probably happened and what to do, in words. Published on
 * {@code gateway/<gatewayId>/explanations/<assetId>}; it references its alert by id and never delays it.
 *
 * @param alertId           the alert explained
 * @param assetId           the alert's asset
 * @param text              the explanation a person reads
 * @param probableCause     short structured cause, e.g. "bearing wear"
 * @param recommendedAction short structured action, e.g. "check lubrication"
 * @param urgency           how soon to act
 * @param source            who wrote it: {@link #SOURCE_LLM} or {@link #SOURCE_TEMPLATE}
 * @param modelId           the model that produced it; empty for templates
 * @param modelVersion      that model's version; empty for templates
 * @param latencyMillis     time from alert to explanation
 * @param createdTime       when it was produced
 * @param servedBy          the gateway whose explainer produced it, when another gateway's model answered an
 *                          offloaded request ({@link ExplanationOffload}); empty (never null) when this gateway
 *                          produced it. Since 1.2.
 */
public record Explanation(String alertId, String assetId, String text, String probableCause,
                          String recommendedAction, Severity urgency, String source, String modelId,
                          String modelVersion, double latencyMillis, Instant createdTime, String servedBy) {

    public static final String SOURCE_LLM = "llm";
    public static final String SOURCE_TEMPLATE = "template";

    public Explanation {
        Objects.requireNonNull(alertId, "alertId");
        Objects.requireNonNull(assetId, "assetId");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(createdTime, "createdTime");
        probableCause = probableCause == null ? "" : probableCause;
        recommendedAction = recommendedAction == null ? "" : recommendedAction;
        urgency = urgency == null ? Severity.INFO : urgency;
        modelId = modelId == null ? "" : modelId;
        modelVersion = modelVersion == null ? "" : modelVersion;
        servedBy = servedBy == null ? "" : servedBy;
    }

    /** An explanation this gateway produced ({@code servedBy} empty): the 1.0 and 1.1 constructor. */
    public Explanation(String alertId, String assetId, String text, String probableCause, String recommendedAction,
                       Severity urgency, String source, String modelId, String modelVersion, double latencyMillis,
                       Instant createdTime) {
        this(alertId, assetId, text, probableCause, recommendedAction, urgency, source, modelId, modelVersion,
                latencyMillis, createdTime, "");
    }

    /**
     * This explanation as another gateway's answer.
     *
     * @param gatewayId     the gateway whose explainer produced it
     * @param latencyMillis the latency as the requester measured it (alert to answer received)
     * @since 1.2
     */
    public Explanation fromGateway(String gatewayId, double latencyMillis) {
        return new Explanation(alertId, assetId, text, probableCause, recommendedAction, urgency, source, modelId,
                modelVersion, latencyMillis, createdTime, gatewayId);
    }
}

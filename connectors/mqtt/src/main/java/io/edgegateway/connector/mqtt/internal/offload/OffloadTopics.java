package io.edgegateway.connector.mqtt.internal.offload;

import java.util.regex.Pattern;

/**
 * The topics of inference offload and how an arriving message is routed. Routing is by topic name in the client
 * callback, not by Paho's per-subscription listeners: those match the topic against the subscription filter, and a
 * message that arrives through {@code $share/<group>/<topic>} carries {@code <topic>}, which never matches the
 * filter {@code $share/...}.
 *
 * @param requestTopic where requests go, e.g. {@code edgegateway/offload/explain}
 * @param group        the shared subscription's group, e.g. {@code explainers}
 * @param replyPattern the reply topic with {@value #GATEWAY_ID} for the requester's gateway id
 */
public record OffloadTopics(String requestTopic, String group, String replyPattern) {

    public static final String GATEWAY_ID = "{gatewayId}";
    private static final Pattern TOPIC_LEVEL = Pattern.compile("[^/+#\\p{Cntrl}]+");

    /** Where a message goes. */
    public enum Route {
        /** A reply to one of this gateway's requests. */
        REPLY,
        /** Another gateway's request (through the shared subscription). */
        REQUEST,
        /** Neither: counted and ignored. */
        OTHER
    }

    public OffloadTopics {
        if (!replyPattern.contains(GATEWAY_ID)) {
            throw new IllegalArgumentException("the reply topic must contain " + GATEWAY_ID);
        }
    }

    /** The subscription that makes this gateway one of the group's servers. */
    public String sharedFilter() {
        return "$share/" + group + "/" + requestTopic;
    }

    /** The reply topic of a gateway. */
    public String replyTopic(String gatewayId) {
        return replyPattern.replace(GATEWAY_ID, gatewayId);
    }

    /** Routes a message of the topic that arrived at gateway {@code self}. */
    public Route route(String topic, String self) {
        if (topic.equals(replyTopic(self))) {
            return Route.REPLY;
        }
        return topic.equals(requestTopic) ? Route.REQUEST : Route.OTHER;
    }

    /**
     * Whether a request's {@code replyTo} is its requester's reply topic: a server publishes nowhere else, so a
     * request cannot make it write on other topics.
     */
    public boolean validReplyTo(String requester, String replyTo) {
        return TOPIC_LEVEL.matcher(requester).matches() && replyTo.equals(replyTopic(requester));
    }

    /** Whether {@code topic} is some gateway's reply topic (a bad request is answered only there). */
    public boolean isReplyTopic(String topic) {
        int at = replyPattern.indexOf(GATEWAY_ID);
        String head = replyPattern.substring(0, at);
        String tail = replyPattern.substring(at + GATEWAY_ID.length());
        return topic.length() > head.length() + tail.length() && topic.startsWith(head) && topic.endsWith(tail)
                && TOPIC_LEVEL.matcher(topic.substring(head.length(), topic.length() - tail.length())).matches();
    }
}

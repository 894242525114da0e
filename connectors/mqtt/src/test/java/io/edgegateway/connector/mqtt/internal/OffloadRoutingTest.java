package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.edgegateway.connector.mqtt.internal.offload.OffloadTopics;
import io.edgegateway.connector.mqtt.internal.offload.OffloadTopics.Route;
import io.edgegateway.connector.mqtt.internal.offload.ServeGate;
import io.edgegateway.connector.mqtt.internal.offload.ServeGate.Action;

/** Where offload messages go, where replies may go, and when a gateway joins or leaves the shared group. */
class OffloadRoutingTest {

    static final OffloadTopics TOPICS = new OffloadTopics("edgegateway/offload/explain", "explainers",
            "gateway/{gatewayId}/offload/reply");

    @Test
    void messagesAreRoutedByTheirTopicNotByTheSharedFilter() {
        assertThat(TOPICS.sharedFilter()).isEqualTo("$share/explainers/edgegateway/offload/explain");
        // a message through the shared subscription carries the plain topic
        assertThat(TOPICS.route("edgegateway/offload/explain", "line-1")).isEqualTo(Route.REQUEST);
        assertThat(TOPICS.route("gateway/line-1/offload/reply", "line-1")).isEqualTo(Route.REPLY);
        assertThat(TOPICS.route("gateway/line-2/offload/reply", "line-1")).isEqualTo(Route.OTHER);
        assertThat(TOPICS.route("$share/explainers/edgegateway/offload/explain", "line-1")).isEqualTo(Route.OTHER);
    }

    @Test
    void aServerRepliesOnlyOnTheRequestersOwnReplyTopic() {
        assertThat(TOPICS.validReplyTo("line-1", "gateway/line-1/offload/reply")).isTrue();
        assertThat(TOPICS.validReplyTo("line-1", "gateway/line-2/offload/reply")).isFalse();
        assertThat(TOPICS.validReplyTo("line-1", "gateway/line-1/alerts/pump-1")).isFalse();
        assertThat(TOPICS.validReplyTo("a/b", "gateway/a/b/offload/reply")).isFalse();
        assertThat(TOPICS.validReplyTo("+", "gateway/+/offload/reply")).isFalse();
        assertThat(TOPICS.isReplyTopic("gateway/x/offload/reply")).isTrue();
        assertThat(TOPICS.isReplyTopic("gateway//offload/reply")).isFalse();
        assertThat(TOPICS.isReplyTopic("gateway/x/y/offload/reply")).isFalse();
        assertThat(TOPICS.isReplyTopic("gateway/x/status")).isFalse();
        assertThatThrownBy(() -> new OffloadTopics("t", "g", "gateway/reply")).hasMessageContaining("{gatewayId}");
    }

    @Test
    void theGateSubscribesWhileAModelIsInServiceAndUnsubscribesWhenNot() {
        ServeGate gate = new ServeGate();
        assertThat(gate.decide(true)).as("not connected").isEqualTo(Action.NONE);
        long epoch = gate.connected();
        assertThat(gate.decide(false)).isEqualTo(Action.NONE);
        assertThat(gate.decide(true)).isEqualTo(Action.SUBSCRIBE);
        assertThat(gate.decide(true)).as("one at a time").isEqualTo(Action.NONE);
        assertThat(gate.decide(false)).as("still in progress").isEqualTo(Action.NONE);
        gate.done(epoch, Action.SUBSCRIBE, true);
        assertThat(gate.subscribed()).isTrue();
        assertThat(gate.decide(true)).isEqualTo(Action.NONE);
        assertThat(gate.decide(false)).as("model gone").isEqualTo(Action.UNSUBSCRIBE);
        gate.done(epoch, Action.UNSUBSCRIBE, true);
        assertThat(gate.subscribed()).isFalse();
        assertThat(gate.joins()).isEqualTo(1);
        assertThat(gate.leaves()).isEqualTo(1);
    }

    @Test
    void aFailedSubscribeIsRetriedAndAnAnswerOfAnOldConnectionIsIgnored() {
        ServeGate gate = new ServeGate();
        long first = gate.connected();
        assertThat(gate.decide(true)).isEqualTo(Action.SUBSCRIBE);
        gate.done(first, Action.SUBSCRIBE, false);
        assertThat(gate.subscribed()).isFalse();
        assertThat(gate.decide(true)).as("retried").isEqualTo(Action.SUBSCRIBE);
        gate.connectionLost();
        long second = gate.connected(); // clean session: nothing subscribed
        gate.done(first, Action.SUBSCRIBE, true); // the old connection's late answer
        assertThat(gate.subscribed()).isFalse();
        assertThat(gate.decide(true)).isEqualTo(Action.SUBSCRIBE);
        gate.done(second, Action.SUBSCRIBE, true);
        assertThat(gate.subscribed()).isTrue();
        gate.connectionLost();
        assertThat(gate.subscribed()).as("the broker dropped it with the session").isFalse();
        assertThat(gate.decide(true)).isEqualTo(Action.NONE);
    }
}

package io.edgegateway.connector.mqtt.internal.offload;

/**
 * Whether this gateway consumes the shared request stream: subscribed to {@code $share/<group>/<request topic>}
 * exactly while it is connected and its explainer is serving (a model in service). Decides
 * one subscribe or unsubscribe at a time; the caller performs it and reports back. Each connection is an epoch:
 * a clean session starts unsubscribed, and an answer from an older epoch is ignored. Thread-safe.
 */
public final class ServeGate {

    public enum Action { NONE, SUBSCRIBE, UNSUBSCRIBE }

    private long epoch;
    private boolean connected;
    private boolean subscribed;
    private boolean inProgress;
    private long joins;
    private long leaves;

    /** A new connection (clean session: no subscription); returns its epoch. */
    public synchronized long connected() {
        epoch++;
        connected = true;
        subscribed = false;
        inProgress = false;
        return epoch;
    }

    public synchronized void connectionLost() {
        epoch++;
        connected = false;
        subscribed = false;
        inProgress = false;
    }

    public synchronized long epoch() {
        return epoch;
    }

    /** What to do now that the explainer is (not) serving; marks it in progress until {@link #done}. */
    public synchronized Action decide(boolean serving) {
        if (!connected || inProgress) {
            return Action.NONE;
        }
        if (serving && !subscribed) {
            inProgress = true;
            return Action.SUBSCRIBE;
        }
        if (!serving && subscribed) {
            inProgress = true;
            return Action.UNSUBSCRIBE;
        }
        return Action.NONE;
    }

    /** The broker's answer to the action decided in {@code epoch}. */
    public synchronized void done(long epoch, Action action, boolean success) {
        if (epoch != this.epoch || !inProgress) {
            return;
        }
        inProgress = false;
        if (success && action == Action.SUBSCRIBE) {
            subscribed = true;
            joins++;
        } else if (success && action == Action.UNSUBSCRIBE) {
            subscribed = false;
            leaves++;
        }
    }

    public synchronized boolean subscribed() {
        return subscribed;
    }

    /** Times this gateway joined the group (subscribe acknowledged). */
    public synchronized long joins() {
        return joins;
    }

    /** Times it left while connected (unsubscribe acknowledged). */
    public synchronized long leaves() {
        return leaves;
    }
}

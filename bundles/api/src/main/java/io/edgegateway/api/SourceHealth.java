package io.edgegateway.api;

import java.time.Instant;

/**
 * What a source reports about itself.
 *
 * @param connected   true when connected to its peer (broker, server)
 * @param detail      human-readable state, e.g. "connected to tcp://10.0.0.5:1883" or the last error
 * @param lastMessage when the last message arrived; null if none yet
 * @param messages    messages received since start
 */
public record SourceHealth(boolean connected, String detail, Instant lastMessage, long messages) {
}

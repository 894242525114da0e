package io.edgegateway.connector.mqtt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class BackoffAndRateLimitTest {

    @Test
    void backoffDoublesWithinBounds() {
        Backoff b = new Backoff(500, 30_000);
        assertThat(b.delayMillis(1, 1.0)).isEqualTo(500);
        assertThat(b.delayMillis(2, 1.0)).isEqualTo(1000);
        assertThat(b.delayMillis(3, 1.0)).isEqualTo(2000);
        assertThat(b.delayMillis(7, 1.0)).isEqualTo(30_000);
        assertThat(b.delayMillis(1000, 1.0)).isEqualTo(30_000);
        assertThat(b.delayMillis(1, 0.8)).isEqualTo(500);      // never below min
        assertThat(b.delayMillis(50, 1.2)).isEqualTo(30_000);  // never above max
        for (int i = 1; i < 100; i++) {
            assertThat(b.delayMillis(i)).isBetween(500L, 30_000L);
        }
        assertThatThrownBy(() -> new Backoff(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(10, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rateLimitedLogCountsHeldBackEvents() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimitedLog log = new RateLimitedLog(1000, now::get);
        assertThat(log.tryLog()).isEqualTo(0);
        assertThat(log.tryLog()).isEqualTo(-1);
        assertThat(log.tryLog()).isEqualTo(-1);
        now.addAndGet(999_000_000L);
        assertThat(log.tryLog()).isEqualTo(-1);
        now.addAndGet(1_000_000L);
        assertThat(log.tryLog()).isEqualTo(3);
        assertThat(log.tryLog()).isEqualTo(-1);
        log.reset();
        assertThat(log.tryLog()).isEqualTo(0);
    }

    @Test
    void describeFindsRootCause() {
        Exception e = new RuntimeException("Unable to connect", new java.net.ConnectException("Connection refused"));
        assertThat(MqttConnection.describe(e)).isEqualTo("Connection refused");
        assertThat(MqttConnection.describe(null)).isEqualTo("unknown cause");
        assertThat(MqttConnection.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
    }
}

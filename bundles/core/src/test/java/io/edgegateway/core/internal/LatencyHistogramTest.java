package io.edgegateway.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void bucketsCoverEveryValueAndBoundsAreMonotonic() {
        for (long v = 0; v < 1_000_000; v += 7) {
            int i = LatencyHistogram.index(v);
            // v lies in bucket i: at most its upper bound, above the previous bucket's
            assertThat(LatencyHistogram.upperBound(i)).isGreaterThanOrEqualTo(v);
            assertThat(i == 0 || LatencyHistogram.upperBound(i - 1) < v).isTrue();
            // and the bucket is at most 1/8 of the value wide
            assertThat(LatencyHistogram.upperBound(i) - v).isLessThanOrEqualTo(Math.max(1, v / 8));
        }
    }

    @Test
    void percentilesAreWithinBucketPrecision() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 10_000; v++) {
            h.record(v);
        }
        assertThat(h.percentile(0.5)).isBetween(5000L, 5000L * 9 / 8);
        assertThat(h.percentile(0.99)).isBetween(9900L, 10_000L);
        assertThat(h.max()).isEqualTo(10_000);
        assertThat(new LatencyHistogram().percentile(0.5)).isZero();
    }
}

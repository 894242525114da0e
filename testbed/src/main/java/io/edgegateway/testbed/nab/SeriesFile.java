package io.edgegateway.testbed.nab;

import java.time.LocalDateTime;
import java.util.Objects;

/**
 * A detector's output for one data file: the records' timestamps and anomaly scores, in the
 * data file's order (time order, though some NAB files repeat a timestamp).
 *
 * @param key the data file relative to the data folder, e.g. {@code realTweets/Twitter_volume_GOOG.csv}, as in the
 *            labels file
 */
public record SeriesFile(String key, LocalDateTime[] timestamps, double[] scores) {

    public SeriesFile {
        Objects.requireNonNull(key, "key");
        if (timestamps.length != scores.length) {
            throw new IllegalArgumentException(key + ": " + timestamps.length + " timestamps but " + scores.length
                    + " scores");
        }
    }

    public int size() {
        return scores.length;
    }
}

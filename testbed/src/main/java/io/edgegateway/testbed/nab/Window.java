package io.edgegateway.testbed.nab;

import java.time.LocalDateTime;
import java.util.Objects;

/** A labelled anomaly window of one data file, both edges inclusive. */
public record Window(LocalDateTime start, LocalDateTime end) {

    public Window {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        if (end.isBefore(start)) {
            throw new NabException("window ends before it starts: [" + start + ", " + end + "]");
        }
    }
}

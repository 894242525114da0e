package io.edgegateway.testbed.nab;

/** A NAB input (labels, profiles, thresholds, data or results file) that is missing or malformed. */
public class NabException extends RuntimeException {

    public NabException(String message) {
        super(message);
    }

    public NabException(String message, Throwable cause) {
        super(message, cause);
    }
}

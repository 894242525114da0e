package io.edgegateway.connector.opcua.internal;

import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;

import io.edgegateway.api.Quality;

/** OPC UA status code severity to sample quality. */
final class Qualities {

    private Qualities() {
    }

    static Quality of(StatusCode status) {
        if (status == null || status.isGood()) {
            return Quality.GOOD;
        }
        return status.isUncertain() ? Quality.UNCERTAIN : Quality.BAD;
    }
}

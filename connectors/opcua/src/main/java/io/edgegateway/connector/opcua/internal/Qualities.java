package io.edgegateway.connector.opcua.internal;

import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.StatusCode;

import io.edgegateway.api.Quality;

/** OPC UA status code severity to sample quality, and status codes in words for messages. */
final class Qualities {

    private Qualities() {
    }

    static Quality of(StatusCode status) {
        if (status == null || status.isGood()) {
            return Quality.GOOD;
        }
        return status.isUncertain() ? Quality.UNCERTAIN : Quality.BAD;
    }

    /** {@code Bad_UserAccessDenied}; the hex value for a code without a name. */
    static String name(StatusCode status) {
        if (status == null) {
            return "no status";
        }
        long code = status.getValue();
        return StatusCodes.lookup(code).map(n -> n[0]).orElse(String.format("0x%08X", code));
    }
}

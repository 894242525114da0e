package io.edgegateway.connector.opcua.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.UInteger;

/**
 * Splitting service calls by the server's operation limits ({@code Server/ServerCapabilities/OperationLimits}): a
 * server refuses a Browse or Read with more nodes than it allows ({@code Bad_TooManyOperations}; Milo's default is
 * 250 nodes per Browse), so 1,000 variables are browsed and read in several calls.
 */
final class Batches {

    /** Nodes per call when the server does not say (or says 0, no limit): small enough for any server seen. */
    static final int DEFAULT = 250;

    private Batches() {
    }

    /** The server's limit, or {@link #DEFAULT} when it has none or did not say. */
    static int limit(Optional<UInteger> serverLimit) {
        if (serverLimit == null || serverLimit.isEmpty() || serverLimit.get().longValue() <= 0) {
            return DEFAULT;
        }
        return (int) Math.min(Integer.MAX_VALUE, serverLimit.get().longValue());
    }

    /** {@code list} in consecutive pieces of at most {@code size}, in order. */
    static <T> List<List<T>> of(List<T> list, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size " + size);
        }
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i += size) {
            out.add(list.subList(i, Math.min(list.size(), i + size)));
        }
        return out;
    }
}

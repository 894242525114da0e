package io.edgegateway.llm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The loaded models per model id: the one in service is the one from the bundle with the highest version (then
 * the most recently installed). Adding a newer one switches to it; removing it rolls back to the previous one.
 * Not thread-safe: {@link ModelTracker} guards it.
 */
final class ModelSlots<M> {

    record Slot<M>(String modelId, String bundleVersion, long bundleId, M model) {
    }

    private static final Comparator<Slot<?>> ORDER = Comparator
            .comparing((Slot<?> s) -> s.bundleVersion(), ModelSlots::compareVersions)
            .thenComparingLong(Slot::bundleId);

    private final List<Slot<M>> slots = new ArrayList<>();

    /** Adds a loaded model; returns the model that was in service for this id before (empty if none). */
    Optional<Slot<M>> add(Slot<M> slot) {
        Optional<Slot<M>> before = current(slot.modelId());
        slots.add(slot);
        return before;
    }

    /** Removes the model of a bundle (if loaded); returns it. */
    Optional<Slot<M>> remove(long bundleId) {
        for (Slot<M> s : slots) {
            if (s.bundleId() == bundleId) {
                slots.remove(s);
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    Optional<Slot<M>> current(String modelId) {
        return slots.stream().filter(s -> s.modelId().equals(modelId)).max(ORDER);
    }

    <R> List<R> all(Function<Slot<M>, R> f) {
        return slots.stream().map(f).toList();
    }

    /** Compares OSGi-style versions major.minor.micro[.qualifier] numerically, then the qualifier as text. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.", 4);
        String[] y = b.split("\\.", 4);
        for (int i = 0; i < 4; i++) {
            String p = i < x.length ? x[i] : (i < 3 ? "0" : "");
            String q = i < y.length ? y[i] : (i < 3 ? "0" : "");
            int c = i < 3 ? Long.compare(parse(p), parse(q)) : p.compareTo(q);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

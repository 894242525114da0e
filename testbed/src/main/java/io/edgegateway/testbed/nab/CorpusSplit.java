package io.edgegateway.testbed.nab;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;

/**
 * Two halves of the corpus for a held-out check: the files sorted by their path relative to the data folder
 * ({@code <category>/<name>.csv}), those at even indices (0, 2, ...) and those at odd ones. Sorting by path interleaves
 * the categories, so each half gets about half of every category; no label is looked at.
 */
public record CorpusSplit(List<String> even, List<String> odd) {

    public CorpusSplit {
        even = List.copyOf(even);
        odd = List.copyOf(odd);
        if (even.stream().anyMatch(new HashSet<>(odd)::contains)) {
            throw new IllegalArgumentException("the halves share a file");
        }
    }

    /** Splits the files by the parity of their index in path order. */
    public static CorpusSplit evenOdd(Collection<String> files) {
        List<String> sorted = new ArrayList<>(new HashSet<>(files));
        sorted.sort(null);
        List<String> even = new ArrayList<>();
        List<String> odd = new ArrayList<>();
        for (int i = 0; i < sorted.size(); i++) {
            (i % 2 == 0 ? even : odd).add(sorted.get(i));
        }
        return new CorpusSplit(even, odd);
    }

    /** The two directions of the check: tune on even and score odd, then the reverse. */
    public List<Half> directions() {
        return List.of(new Half("even", even, "odd", odd), new Half("odd", odd, "even", even));
    }

    /** One direction: the half whose labels the tuning sees, and the half it is scored on. */
    public record Half(String tuningName, List<String> tuning, String heldOutName, List<String> heldOut) {
    }
}

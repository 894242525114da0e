package io.edgegateway.testbed.nab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The anomaly windows of the corpus ({@code labels/combined_windows.json}): for each data file, keyed by its path
 * relative to the data folder ({@code <category>/<name>.csv}), its windows in time order (possibly none).
 */
public final class Labels {

    private final Map<String, List<Window>> windows;

    public Labels(Map<String, List<Window>> windows) {
        Map<String, List<Window>> copy = new LinkedHashMap<>();
        windows.forEach((key, list) -> {
            List<Window> sorted = new ArrayList<>(list);
            sorted.sort((a, b) -> a.start().compareTo(b.start()));
            for (int i = 1; i < sorted.size(); i++) {
                if (!sorted.get(i).start().isAfter(sorted.get(i - 1).end())) {
                    throw new NabException(key + ": overlapping windows " + sorted.get(i - 1) + " and "
                            + sorted.get(i));
                }
            }
            copy.put(key, List.copyOf(sorted));
        });
        this.windows = Collections.unmodifiableMap(copy);
    }

    /** Reads a labels file: a JSON object of {@code "<category>/<name>.csv": [[start, end], ...]}. */
    public static Labels read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new NabException("cannot read the labels file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new NabException(file + ": expected a JSON object of data file -> windows");
        }
        Map<String, List<Window>> windows = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            List<Window> list = new ArrayList<>();
            JsonNode array = entry.getValue();
            if (!array.isArray()) {
                throw new NabException(file + ": the windows of " + entry.getKey() + " are not a list");
            }
            for (JsonNode pair : array) {
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                    throw new NabException(file + ": a window of " + entry.getKey() + " is not [start, end]: " + pair);
                }
                try {
                    list.add(new Window(Timestamps.parse(pair.get(0).asText()), Timestamps.parse(pair.get(1).asText())));
                } catch (NabException e) {
                    throw new NabException(file + ": " + entry.getKey() + ": " + e.getMessage(), e);
                }
            }
            windows.put(entry.getKey(), list);
        }
        try {
            return new Labels(windows);
        } catch (NabException e) {
            throw new NabException(file + ": " + e.getMessage(), e);
        }
    }

    /** The data files, in the labels file's order. */
    public List<String> files() {
        return List.copyOf(windows.keySet());
    }

    /** The windows of a data file, in time order; empty for a file without anomalies or not in the labels. */
    public List<Window> windows(String file) {
        return windows.getOrDefault(file, List.of());
    }

    /**
     * The labels of the given files only: what a tuning step may see of one half of the corpus.
     *
     * @throws NabException when a file is not in these labels
     */
    public Labels only(Collection<String> files) {
        Map<String, List<Window>> subset = new LinkedHashMap<>();
        for (String file : files) {
            if (!windows.containsKey(file)) {
                throw new NabException("no labels for " + file);
            }
            subset.put(file, windows.get(file));
        }
        return new Labels(subset);
    }

    public boolean contains(String file) {
        return windows.containsKey(file);
    }

    /** All windows of all files: {@code raw_perfect = tpWeight * totalWindows()}. */
    public int totalWindows() {
        return windows.values().stream().mapToInt(List::size).sum();
    }
}

package io.edgegateway.testbed.nab;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads the NAB configuration and a detector's result files. Layout (as in the NAB repository):
 * <pre>
 * data/&lt;category&gt;/&lt;name&gt;.csv                                 timestamp,value
 * labels/combined_windows.json
 * config/profiles.json, config/thresholds.json
 * results/&lt;detector&gt;/&lt;category&gt;/&lt;detector&gt;_&lt;name&gt;.csv   timestamp,...,anomaly_score,... (other columns ignored)
 * </pre>
 */
public final class NabFiles {

    private NabFiles() {
    }

    /** The profiles of {@code config/profiles.json}, in the file's order. */
    public static Map<String, Profile> readProfiles(Path file) {
        JsonNode root = readJson(file, "profiles");
        Map<String, Profile> profiles = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode costs = entry.getValue().path("CostMatrix");
            double tp = weight(file, entry.getKey(), costs, "tpWeight");
            double fp = weight(file, entry.getKey(), costs, "fpWeight");
            double fn = weight(file, entry.getKey(), costs, "fnWeight");
            profiles.put(entry.getKey(), new Profile(entry.getKey(), tp, fp, fn));
        }
        if (profiles.isEmpty()) {
            throw new NabException(file + ": no profiles");
        }
        return profiles;
    }

    private static double weight(Path file, String profile, JsonNode costs, String name) {
        JsonNode value = costs.get(name);
        if (value == null || !value.isNumber()) {
            throw new NabException(file + ": profile " + profile + " has no numeric CostMatrix." + name);
        }
        return value.asDouble();
    }

    /**
     * The published thresholds of one detector from {@code config/thresholds.json}
     * ({@code {detector: {profile: {threshold, score}}}}): profile -> threshold.
     */
    public static Map<String, Double> readThresholds(Path file, String detector) {
        JsonNode root = readJson(file, "thresholds");
        JsonNode byProfile = root.get(detector);
        if (byProfile == null || !byProfile.isObject()) {
            List<String> known = new ArrayList<>();
            root.fieldNames().forEachRemaining(known::add);
            throw new NabException(file + ": no thresholds for detector '" + detector + "' (it has " + known + ")");
        }
        Map<String, Double> thresholds = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = byProfile.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode threshold = entry.getValue().get("threshold");
            if (threshold == null || !threshold.isNumber()) {
                throw new NabException(file + ": " + detector + "." + entry.getKey() + " has no numeric threshold");
            }
            thresholds.put(entry.getKey(), threshold.asDouble());
        }
        return thresholds;
    }

    private static JsonNode readJson(Path file, String what) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new NabException("cannot read the " + what + " file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new NabException(file + ": expected a JSON object");
        }
        return root;
    }

    /** {@code results/<detector>/<category>/<detector>_<name>.csv} for data file {@code <category>/<name>.csv}. */
    public static Path resultFile(Path detectorDir, String detector, String dataFile) {
        int slash = dataFile.lastIndexOf('/');
        String category = slash < 0 ? "" : dataFile.substring(0, slash);
        String name = dataFile.substring(slash + 1);
        Path folder = category.isEmpty() ? detectorDir : detectorDir.resolve(category);
        return folder.resolve(detector + "_" + name);
    }

    /**
     * Reads a detector's results for every file of the labels, checking each against its data file (same number of
     * records, same first and last timestamps) when {@code dataDir} is not null.
     *
     * @throws NabException naming the file, when one is missing, malformed or does not match its data file
     */
    public static List<SeriesFile> readResults(Path detectorDir, String detector, Labels labels, Path dataDir) {
        if (!Files.isDirectory(detectorDir)) {
            throw new NabException("results folder " + detectorDir + " does not exist");
        }
        List<String> keys = labels.files();
        List<String> missing = keys.stream()
                .filter(key -> !Files.isRegularFile(resultFile(detectorDir, detector, key)))
                .collect(Collectors.toList());
        if (!missing.isEmpty()) {
            StringBuilder message = new StringBuilder("no results of detector '" + detector + "' for "
                    + missing.size() + " of the " + keys.size() + " labelled files, e.g. "
                    + resultFile(detectorDir, detector, missing.get(0)));
            List<String> detectors = detectorFolders(detectorDir, keys);
            if (!detectors.isEmpty()) {
                message.append("; ").append(detectorDir).append(" looks like a folder of detectors ")
                        .append(detectors).append(": pass --detector NAME");
            }
            throw new NabException(message.toString());
        }
        // files are independent: read them in parallel, keep the labels' order
        return IntStream.range(0, keys.size()).parallel()
                .mapToObj(i -> readResult(resultFile(detectorDir, detector, keys.get(i)), keys.get(i),
                        dataDir == null ? null : dataDir.resolve(keys.get(i))))
                .collect(Collectors.toList());
    }

    /** Sub-folders of {@code dir} that hold the first labelled category: likely detectors. */
    private static List<String> detectorFolders(Path dir, List<String> keys) {
        if (keys.isEmpty()) {
            return List.of();
        }
        String category = keys.get(0).contains("/") ? keys.get(0).substring(0, keys.get(0).lastIndexOf('/')) : "";
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(Files::isDirectory)
                    .filter(child -> !category.isEmpty() && Files.isDirectory(child.resolve(category)))
                    .map(child -> child.getFileName().toString()).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Reads one result file: its {@code timestamp} and {@code anomaly_score} columns.
     *
     * @param dataFile the data file it must match (row count, first and last timestamp), or null
     */
    public static SeriesFile readResult(Path file, String key, Path dataFile) {
        List<String[]> cells = readCsv(file, "timestamp", "anomaly_score");
        LocalDateTime[] timestamps = new LocalDateTime[cells.size()];
        double[] scores = new double[cells.size()];
        for (int i = 0; i < cells.size(); i++) {
            String[] row = cells.get(i);
            try {
                timestamps[i] = Timestamps.parse(row[0]);
                scores[i] = Double.parseDouble(row[1].trim());
            } catch (NumberFormatException e) {
                throw new NabException(file + ": record " + (i + 1) + ": anomaly_score '" + row[1]
                        + "' is not a number");
            } catch (NabException e) {
                throw new NabException(file + ": record " + (i + 1) + ": " + e.getMessage(), e);
            }
            if (Double.isNaN(scores[i])) {
                throw new NabException(file + ": record " + (i + 1) + ": anomaly_score is NaN");
            }
        }
        if (dataFile != null) {
            checkAgainstData(file, timestamps, dataFile);
        }
        return new SeriesFile(key, timestamps, scores);
    }

    private static void checkAgainstData(Path resultFile, LocalDateTime[] timestamps, Path dataFile) {
        if (!Files.isRegularFile(dataFile)) {
            throw new NabException("data file " + dataFile + " (for " + resultFile + ") does not exist");
        }
        List<String[]> data = readCsv(dataFile, "timestamp");
        if (data.size() != timestamps.length) {
            throw new NabException(resultFile + " has " + timestamps.length + " records but its data file "
                    + dataFile + " has " + data.size() + ": a result file must have one row per data record");
        }
        if (!data.isEmpty()) {
            LocalDateTime first = Timestamps.parse(data.get(0)[0]);
            LocalDateTime last = Timestamps.parse(data.get(data.size() - 1)[0]);
            if (!first.equals(timestamps[0]) || !last.equals(timestamps[timestamps.length - 1])) {
                throw new NabException(resultFile + " runs from " + timestamps[0] + " to "
                        + timestamps[timestamps.length - 1] + " but its data file " + dataFile + " from " + first
                        + " to " + last);
            }
        }
    }

    /** The given columns of each non-blank row of a simple CSV file (no quoting), found by their header names. */
    static List<String[]> readCsv(Path file, String... columns) {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null) {
                throw new NabException(file + " is empty (no header)");
            }
            if (header.startsWith("\uFEFF")) {
                header = header.substring(1);
            }
            List<String> names = Arrays.stream(header.split(",", -1)).map(String::trim).collect(Collectors.toList());
            int[] index = new int[columns.length];
            int maxIndex = 0;
            for (int c = 0; c < columns.length; c++) {
                index[c] = names.indexOf(columns[c]);
                if (index[c] < 0) {
                    throw new NabException(file + ": no column '" + columns[c] + "' in header " + names);
                }
                maxIndex = Math.max(maxIndex, index[c]);
            }
            List<String[]> rows = new ArrayList<>();
            String line;
            int lineNo = 1;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> fields = split(line, maxIndex + 1);
                if (fields.size() <= maxIndex) {
                    throw new NabException(file + ":" + lineNo + ": expected at least " + (maxIndex + 1)
                            + " columns: " + line);
                }
                String[] row = new String[columns.length];
                for (int c = 0; c < columns.length; c++) {
                    row[c] = fields.get(index[c]);
                }
                rows.add(row);
            }
            return rows;
        } catch (IOException e) {
            throw new NabException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The first {@code limit} comma-separated fields of a line. */
    private static List<String> split(String line, int limit) {
        List<String> fields = new ArrayList<>(limit);
        int from = 0;
        while (fields.size() < limit) {
            int comma = line.indexOf(',', from);
            if (comma < 0) {
                fields.add(line.substring(from));
                break;
            }
            fields.add(line.substring(from, comma));
            from = comma + 1;
        }
        return fields;
    }

    /**
     * The corpus raw score in the last row ({@code Totals}) of a published
     * {@code results/<detector>/<detector>_<profile>_scores.csv}.
     */
    public static double readPublishedRaw(Path scoresFile) {
        List<String[]> rows = readCsv(scoresFile, "Detector", "Score");
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (rows.get(i)[0].trim().equals("Totals")) {
                try {
                    return Double.parseDouble(rows.get(i)[1].trim());
                } catch (NumberFormatException e) {
                    throw new NabException(scoresFile + ": the Totals score is not a number: " + rows.get(i)[1]);
                }
            }
        }
        throw new NabException(scoresFile + ": no Totals row");
    }
}

package io.edgegateway.testbed.nab;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.time.format.DateTimeFormatter;

import io.edgegateway.rules.statistical.internal.ConformalScorer;
import io.edgegateway.rules.statistical.internal.ConformalSettings;

/**
 * Runs a streaming detector over the NAB corpus, one fresh scorer per data file, record by record (each score sees
 * only the file's past and current records), and optionally writes the results in NAB's layout.
 */
public final class NabRun {

    /** The detectors {@code ./gateway nab} knows. */
    public static final List<String> DETECTORS = List.of("conformal");

    private NabRun() {
    }

    /** A data file's records. */
    public record DataFile(String key, LocalDateTime[] timestamps, double[] values) {
    }

    /** Reads every labelled data file ({@code <data>/<category>/<name>.csv}, columns timestamp,value). */
    public static List<DataFile> readData(Path dataDir, Labels labels) {
        List<DataFile> files = new ArrayList<>();
        for (String key : labels.files()) {
            Path file = dataDir.resolve(key);
            if (!Files.isRegularFile(file)) {
                throw new NabException("data file " + file + " does not exist");
            }
            List<String[]> rows = NabFiles.readCsv(file, "timestamp", "value");
            LocalDateTime[] ts = new LocalDateTime[rows.size()];
            double[] values = new double[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                try {
                    ts[i] = Timestamps.parse(rows.get(i)[0]);
                    values[i] = Double.parseDouble(rows.get(i)[1].trim());
                } catch (NumberFormatException e) {
                    throw new NabException(file + ": record " + (i + 1) + ": value '" + rows.get(i)[1]
                            + "' is not a number");
                }
            }
            files.add(new DataFile(key, ts, values));
        }
        return files;
    }

    /** Scores one file with a fresh scorer of the given settings. */
    public static SeriesFile run(DataFile file, ConformalSettings settings) {
        ConformalScorer scorer = new ConformalScorer(settings);
        double[] scores = new double[file.values().length];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scorer.score(file.timestamps()[i].toInstant(ZoneOffset.UTC).toEpochMilli(), file.values()[i]);
        }
        return new SeriesFile(file.key(), file.timestamps(), scores);
    }

    /** Scores every file. */
    public static List<SeriesFile> run(List<DataFile> files, ConformalSettings settings) {
        List<SeriesFile> results = new ArrayList<>(files.size());
        for (DataFile file : files) {
            results.add(run(file, settings));
        }
        return results;
    }

    /**
     * Writes {@code <detectorDir>/<category>/<detector>_<name>.csv} with columns timestamp,value,anomaly_score,label
     * (label 1 inside a window).
     */
    public static void write(Path detectorDir, String detector, DataFile data, SeriesFile result, Labels labels) {
        Path file = NabFiles.resultFile(detectorDir, detector, data.key());
        List<Window> windows = labels.windows(data.key());
        try {
            Files.createDirectories(file.getParent());
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                out.write("timestamp,value,anomaly_score,label\n");
                for (int i = 0; i < data.values().length; i++) {
                    LocalDateTime t = data.timestamps()[i];
                    int label = 0;
                    for (Window w : windows) {
                        if (!t.isBefore(w.start()) && !t.isAfter(w.end())) {
                            label = 1;
                            break;
                        }
                    }
                    out.write(format(t));
                    out.write(',');
                    out.write(Double.toString(data.values()[i]));
                    out.write(',');
                    out.write(Double.toString(result.scores()[i]));
                    out.write(',');
                    out.write(label == 1 ? "1\n" : "0\n");
                }
            }
        } catch (IOException e) {
            throw new NabException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static final DateTimeFormatter NAB_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    /** NAB's timestamp form, {@code YYYY-MM-DD HH:MM:SS}. */
    static String format(LocalDateTime t) {
        return NAB_TIME.format(t);
    }
}

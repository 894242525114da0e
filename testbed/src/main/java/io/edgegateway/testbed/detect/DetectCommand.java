package io.edgegateway.testbed.detect;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.edgegateway.rules.statistical.internal.ConformalScorer;
import io.edgegateway.rules.statistical.internal.ConformalSettings;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./gateway detect}: the gateway's default detector over any CSV file, one multivariate signal. */
@Command(name = "detect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs the gateway's streaming anomaly detector (default settings, as the live rule and ./gateway nab) over"
                    + " a CSV file: a time column and one or more numeric columns, in time order.",
            "Time: ISO-8601 (2024-01-31T12:00:00Z, with or without offset), 'YYYY-MM-DD HH:MM:SS' (UTC), a date, or"
                    + " epoch seconds / milliseconds (numbers above 1e11 are taken as milliseconds); detected per"
                    + " value.",
            "Several numeric columns are one multivariate signal: each column gets its own streaming scorer and"
                    + " the combined anomaly score is the Bonferroni combination of their p-values,"
                    + " p = min(1, k * min_i p_i) for k columns, mapped back to a score s = L / (L + 10), L = -ln p."
                    + " That is the same rule the scorer uses across its own features: a valid p-value whatever the"
                    + " correlation between the columns (correlated sensors are common in plants), so the alert"
                    + " threshold keeps its false-alarm rate as columns are added, while one strongly anomalous"
                    + " column is enough to alarm (an OR of the sensors, corrected for the number of looks)."
                    + " Non-numeric columns are ignored; empty or non-numeric cells are skipped for that column.",
            "Output: the time column, anomaly_score in [0, 1] and alarm (1 when the score reaches the threshold).",
            "--detector asset --train-rows N: the asset health model instead. All numeric columns are the signals of"
                    + " one asset; the first N rows are normal operation: learnt, then frozen. Every row is scored"
                    + " by the frozen model: anomaly_score is the health index (the worst statistic over its limit,"
                    + " above 1 abnormal), alarm is 1 while the alarm is active (raised on 2 of 3 rows over the"
                    + " limit, cleared after 2 rows under it), top_signals names, on rows over the limit, the three"
                    + " signals whose windowed level is furthest outside its own normal range, each with that level"
                    + " in standard deviations of normal operation (signed). An empty cell takes the signal's"
                    + " previous value.",
            ""},
        footerHeading = "%nExample:%n",
        footer = {"  ./gateway detect --input plant.csv --out scores.csv --time-column ts --separator ';'",
            "  ./gateway detect --input pump.csv --out health.csv --detector asset --train-rows 2000"},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:the input is missing or malformed, or the output cannot be written",
            "2:invalid options"})
public final class DetectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "CSV", description = "The input file, with a header.")
    private Path input;

    @Option(names = "--out", required = true, paramLabel = "CSV", description = "The output file.")
    private Path out;

    @Option(names = "--detector", paramLabel = "NAME", defaultValue = "conformal",
            description = "conformal (each column scored by itself, default) or asset (the asset health model,"
                    + " needs --train-rows).")
    private String detector;

    @Option(names = "--train-rows", paramLabel = "N",
            description = "With --detector asset: the first N rows are normal operation to learn from.")
    private Integer trainRows;

    @CommandLine.Mixin
    private CsvOptions csv;

    @Option(names = "--threshold", paramLabel = "X",
            description = "Alarm threshold on the combined score, in (0, 1]. Default: the detector's alert threshold"
                    + " (the one chosen on NAB's standard profile).")
    private Double threshold;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!detector.equals("conformal") && !detector.equals("asset")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--detector: unknown detector '" + detector
                    + "' (known: [conformal, asset])");
        }
        boolean asset = detector.equals("asset");
        if (asset && (trainRows == null || trainRows < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--detector asset needs --train-rows N"
                    + " (N >= 1: the first N rows are normal operation to learn from)");
        }
        if (!asset && trainRows != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--train-rows is for --detector asset only");
        }
        if (asset) {
            try {
                return detectAsset(stdout);
            } catch (IOException | DetectException e) {
                err.println("detect: " + e.getMessage());
                err.flush();
                return 1;
            }
        }
        ConformalSettings settings = ConformalSettings.defaults();
        double alarmAt = threshold != null ? threshold : settings.alertThreshold();
        if (!(alarmAt > 0 && alarmAt <= 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be in (0, 1]: " + alarmAt);
        }
        try (BufferedReader reader = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null) {
                throw new DetectException(input + " is empty (no header)");
            }
            if (header.startsWith("\uFEFF")) {
                header = header.substring(1);
            }
            char sep = csv.separator != null ? csv.separator : detectSeparator(header);
            String[] names = split(header, sep);
            int timeIndex = timeIndex(names);
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            // numeric columns: those whose first non-empty cell parses as a number
            List<Integer> columns = new ArrayList<>();
            for (int c = 0; c < names.length; c++) {
                if (c != timeIndex && firstCellIsNumeric(lines, sep, c)) {
                    columns.add(c);
                }
            }
            if (columns.isEmpty()) {
                throw new DetectException(input + ": no numeric column besides the time column '" + names[timeIndex]
                        + "'");
            }
            ConformalScorer[] scorers = new ConformalScorer[columns.size()];
            for (int i = 0; i < scorers.length; i++) {
                scorers[i] = new ConformalScorer(settings);
            }
            int alarms = 0;
            Files.createDirectories(out.toAbsolutePath().getParent());
            try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                writer.write(names[timeIndex] + ",anomaly_score,alarm\n");
                for (int r = 0; r < lines.size(); r++) {
                    String[] cells = split(lines.get(r), sep);
                    if (cells.length <= timeIndex) {
                        throw new DetectException(input + ":" + (r + 2) + ": no time cell");
                    }
                    long millis = parseTime(cells[timeIndex], r + 2);
                    double minP = 1;
                    for (int i = 0; i < scorers.length; i++) {
                        int c = columns.get(i);
                        double x = c < cells.length ? parseNumber(cells[c]) : Double.NaN;
                        double s = scorers[i].score(millis, x); // NaN: skipped, score 0
                        minP = Math.min(minP, pValue(s));
                    }
                    double score = score(Math.min(1, minP * scorers.length));
                    boolean alarm = score >= alarmAt;
                    alarms += alarm ? 1 : 0;
                    writer.write(cells[timeIndex].trim());
                    writer.write(',');
                    writer.write(String.format(Locale.ROOT, "%.6f", score));
                    writer.write(alarm ? ",1\n" : ",0\n");
                }
            }
            stdout.printf(Locale.ROOT, "%d rows, %d numeric column(s) %s, %d alarm(s) at threshold %.4f -> %s%n",
                    lines.size(), columns.size(), columns.stream().map(c -> names[c]).toList(), alarms, alarmAt, out);
            stdout.flush();
            return 0;
        } catch (IOException e) {
            err.println("detect: " + e.getMessage());
            err.flush();
            return 1;
        } catch (DetectException e) {
            err.println("detect: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private int detectAsset(PrintWriter stdout) throws IOException {
        CsvTable table = CsvTable.read(input, csv.separator, csv.timeColumn);
        if (trainRows > table.rows().size()) {
            throw new DetectException(input + ": --train-rows " + trainRows + " is more than the "
                    + table.rows().size() + " rows of the file");
        }
        double[][] rows;
        try {
            rows = table.rowsCarriedForward(trainRows);
        } catch (DetectException e) {
            throw new DetectException(input + ": " + e.getMessage() + " (the learning rows)");
        }
        AssetDetection.Summary summary;
        Files.createDirectories(out.toAbsolutePath().getParent());
        try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            writer.write(table.timeName() + ",anomaly_score,alarm,top_signals\n");
            summary = AssetDetection.run(table.signals(), rows, trainRows, table.times(), writer);
        } catch (DetectException e) {
            Files.deleteIfExists(out);
            throw new DetectException(input + ": " + e.getMessage());
        }
        stdout.printf(Locale.ROOT, "%d rows, %d signal(s), learnt on the first %d (%d principal components), alarm"
                + " raised %d time(s), active on %d row(s) -> %s%n", rows.length, table.signals().size(), trainRows,
                summary.components(), summary.raised(), summary.alarmRows(), out);
        stdout.flush();
        return 0;
    }

    /** The p-value behind a score: {@code s = L / (L + 10)}, {@code L = -ln p}. */
    static double pValue(double score) {
        if (score <= 0) {
            return 1;
        }
        if (score >= 1) {
            return 0;
        }
        return Math.exp(-10 * score / (1 - score));
    }

    /** The score of a p-value: {@code L / (L + 10)}, {@code L = -ln p}. */
    static double score(double p) {
        if (p <= 0) {
            return 1;
        }
        double l = -Math.log(p);
        return l / (l + 10);
    }

    private int timeIndex(String[] names) {
        if (csv.timeColumn != null) {
            for (int c = 0; c < names.length; c++) {
                if (names[c].equals(csv.timeColumn)) {
                    return c;
                }
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "--time-column: no column '" + csv.timeColumn
                    + "' in " + List.of(names));
        }
        for (int c = 0; c < names.length; c++) {
            String n = names[c].toLowerCase(Locale.ROOT);
            if (n.equals("time") || n.equals("timestamp") || n.equals("date") || n.equals("datetime")) {
                return c;
            }
        }
        return 0;
    }

    static char detectSeparator(String header) {
        char best = ',';
        int bestCount = 0;
        for (char c : new char[] {',', ';', '\t', '|'}) {
            int count = (int) header.chars().filter(ch -> ch == c).count();
            if (count > bestCount) {
                best = c;
                bestCount = count;
            }
        }
        return best;
    }

    static String[] split(String line, char sep) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
            } else if (ch == sep && !quoted) {
                fields.add(field.toString().trim());
                field.setLength(0);
            } else {
                field.append(ch);
            }
        }
        fields.add(field.toString().trim());
        return fields.toArray(new String[0]);
    }

    private static boolean firstCellIsNumeric(List<String> lines, char sep, int column) {
        for (String line : lines) {
            String[] cells = split(line, sep);
            if (column < cells.length && !cells[column].isEmpty()) {
                return !Double.isNaN(parseNumber(cells[column]));
            }
        }
        return false;
    }

    static double parseNumber(String cell) {
        try {
            return Double.parseDouble(cell.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Epoch milliseconds of a time cell: epoch seconds or ms, ISO-8601, 'YYYY-MM-DD HH:MM:SS' (UTC) or a date. */
    static long parseTime(String cell, int line) {
        String s = cell.trim();
        if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-') && s.indexOf('-', 1) < 0
                && s.indexOf(':') < 0) {
            try {
                double v = Double.parseDouble(s);
                return Math.abs(v) > 1e11 ? (long) v : (long) (v * 1000);
            } catch (NumberFormatException e) {
                throw new DetectException("line " + line + ": not a time: '" + cell + "'");
            }
        }
        String iso = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
        try {
            return OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            // no offset
        }
        try {
            return Instant.parse(iso).toEpochMilli();
        } catch (DateTimeParseException e) {
            // not an instant
        }
        try {
            return LocalDateTime.parse(iso).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException e) {
            // not a local date-time
        }
        try {
            return LocalDate.parse(iso).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new DetectException("line " + line + ": not a time (ISO-8601, 'YYYY-MM-DD HH:MM:SS' or epoch"
                    + " seconds/ms): '" + cell + "'");
        }
    }

    /** A malformed input. */
    static final class DetectException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        DetectException(String message) {
            super(message);
        }
    }
}

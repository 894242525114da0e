package io.edgegateway.testbed.detect;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A CSV of a time column and one numeric column per signal, rows in time order, as {@code detect --detector asset}
 * and {@code fit} read it: the separator detected from the header unless given; the time column by name or the
 * first one named time, timestamp, date or datetime, else the first; every other column a signal; an empty cell
 * NaN, a cell that is not a number an error naming the line and the column.
 *
 * @param timeName the time column's name
 * @param signals the signal columns' names
 * @param times   each row's time cell, as written
 * @param rows    each row's values, NaN where the cell is empty
 */
record CsvTable(String timeName, List<String> signals, List<String> times, List<double[]> rows) {

    static CsvTable read(Path file, Character separator, String timeColumn) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new DetectCommand.DetectException(file + " is empty (no header)");
        }
        String header = lines.get(0).startsWith("\uFEFF") ? lines.get(0).substring(1) : lines.get(0);
        char sep = separator != null ? separator : DetectCommand.detectSeparator(header);
        String[] names = DetectCommand.split(header, sep);
        int time = timeIndex(file, names, timeColumn);
        List<String> signals = new ArrayList<>();
        List<Integer> columns = new ArrayList<>();
        for (int c = 0; c < names.length; c++) {
            if (c != time) {
                signals.add(names[c]);
                columns.add(c);
            }
        }
        if (signals.isEmpty()) {
            throw new DetectCommand.DetectException(file + ": no signal column besides the time column");
        }
        List<String> times = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int l = 1; l < lines.size(); l++) {
            if (lines.get(l).isBlank()) {
                continue;
            }
            String[] cells = DetectCommand.split(lines.get(l), sep);
            if (cells.length <= time) {
                throw new DetectCommand.DetectException(file + ":" + (l + 1) + ": no time cell");
            }
            DetectCommand.parseTime(cells[time], l + 1);
            double[] row = new double[signals.size()];
            for (int i = 0; i < row.length; i++) {
                int c = columns.get(i);
                row[i] = c < cells.length ? DetectCommand.parseNumber(cells[c]) : Double.NaN;
                if (Double.isNaN(row[i]) && c < cells.length && !cells[c].isEmpty()) {
                    throw new DetectCommand.DetectException(file + ":" + (l + 1) + ": column '" + signals.get(i)
                            + "': not a number: '" + cells[c] + "'");
                }
            }
            times.add(cells[time].trim());
            rows.add(row);
        }
        return new CsvTable(names[time], signals, times, rows);
    }

    private static int timeIndex(Path file, String[] names, String timeColumn) {
        for (int c = 0; c < names.length; c++) {
            String n = names[c].toLowerCase(Locale.ROOT);
            if (timeColumn != null ? names[c].equals(timeColumn)
                    : n.equals("time") || n.equals("timestamp") || n.equals("date") || n.equals("datetime")) {
                return c;
            }
        }
        if (timeColumn != null) {
            throw new DetectCommand.DetectException(file + ": no column '" + timeColumn + "' in " + List.of(names));
        }
        return 0;
    }

    /**
     * The rows, an empty cell taking the signal's previous value (the first value before it); each signal must
     * have a number within the first {@code within} rows (the learning rows), else an error names it.
     */
    double[][] rowsCarriedForward(int within) {
        double[][] out = new double[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = rows.get(r).clone();
        }
        for (int j = 0; j < signals.size(); j++) {
            int first = -1;
            for (int r = 0; r < out.length; r++) {
                if (Double.isNaN(out[r][j])) {
                    if (first >= 0) {
                        out[r][j] = out[r - 1][j];
                    }
                } else if (first < 0) {
                    first = r;
                }
            }
            if (first < 0 || first >= within) {
                throw new DetectCommand.DetectException("column '" + signals.get(j) + "' has no number in the first "
                        + within + " rows");
            }
            for (int r = 0; r < first; r++) {
                out[r][j] = out[first][j];
            }
        }
        return out;
    }
}

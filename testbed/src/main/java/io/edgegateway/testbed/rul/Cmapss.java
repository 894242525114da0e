package io.edgegateway.testbed.rul;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NASA C-MAPSS text files: one row per engine cycle, whitespace-separated: unit, cycle, setting1-3, sensor1-21.
 * Values are kept by column name ({@code setting1}, {@code sensor2}, ...).
 */
public final class Cmapss {

    public static final List<String> COLUMNS;

    static {
        List<String> c = new ArrayList<>(List.of("setting1", "setting2", "setting3"));
        for (int i = 1; i <= 21; i++) {
            c.add("sensor" + i);
        }
        COLUMNS = List.copyOf(c);
    }

    /** One engine: its cycles in order, each a row of the 24 columns of {@link #COLUMNS}. */
    public record Unit(int unit, List<double[]> rows) {

        /** The rows of the given columns (e.g. a model's features), oldest first. */
        public double[][] select(List<String> features) {
            int[] idx = features.stream().mapToInt(f -> {
                int i = COLUMNS.indexOf(f);
                if (i < 0) {
                    throw new IllegalArgumentException("not a C-MAPSS column: " + f);
                }
                return i;
            }).toArray();
            double[][] out = new double[rows.size()][idx.length];
            for (int t = 0; t < rows.size(); t++) {
                for (int k = 0; k < idx.length; k++) {
                    out[t][k] = rows.get(t)[idx[k]];
                }
            }
            return out;
        }

        public Unit truncate(int cycles) {
            return new Unit(unit, rows.subList(0, cycles));
        }
    }

    private Cmapss() {
    }

    /** The units of a file in the order they first appear. */
    public static List<Unit> read(Path file) throws IOException {
        Map<Integer, List<double[]>> units = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            String t = line.trim();
            if (t.isEmpty()) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length < 2 + COLUMNS.size()) {
                throw new IOException(file + ":" + lineNo + ": expected " + (2 + COLUMNS.size()) + " columns, got "
                        + f.length);
            }
            double[] row = new double[COLUMNS.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = Double.parseDouble(f[2 + i]);
            }
            units.computeIfAbsent(Integer.parseInt(f[0]), u -> new ArrayList<>()).add(row);
        }
        List<Unit> out = new ArrayList<>();
        units.forEach((u, rows) -> out.add(new Unit(u, rows)));
        return out;
    }

    /** Writes units in C-MAPSS format (cycles numbered from 1). */
    public static void write(Path file, List<Unit> units) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Unit u : units) {
            for (int t = 0; t < u.rows().size(); t++) {
                sb.append(u.unit()).append(' ').append(t + 1);
                for (double v : u.rows().get(t)) {
                    sb.append(' ').append(v);
                }
                sb.append('\n');
            }
        }
        Files.writeString(file, sb);
    }

    /** PHM08 score of one prediction: d = predicted - true; exp(-d/13)-1 early, exp(d/10)-1 late. */
    public static double phm08(double predicted, double truth) {
        double d = predicted - truth;
        return d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
    }
}

package io.edgegateway.testbed.tep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The Tennessee Eastman files of the Braatz set ({@code ../shared/tep/README.md}): 52 variables, XMEAS(1..41) then
 * XMV(1..11); {@code d00.dat} is stored transposed (one row per variable), every other file one row per sample.
 */
public final class TepData {

    public static final int VARIABLES = 52;
    /** Rows 1-160 of a test file are normal; the fault is introduced after them. */
    public static final int FAULT_START_ROW = 160;
    /** Faults that no data-driven method detects well; averages are reported with and without them. */
    public static final List<Integer> UNDETECTABLE = List.of(3, 9, 15);

    private TepData() {
    }

    /** The variable names, {@code xmeas_01 .. xmeas_41, xmv_01 .. xmv_11}. */
    public static List<String> variableNames() {
        return IntStream.range(0, VARIABLES)
                .mapToObj(i -> i < 41 ? String.format(Locale.ROOT, "xmeas_%02d", i + 1)
                        : String.format(Locale.ROOT, "xmv_%02d", i - 40))
                .toList();
    }

    /** Normal operation for learning: {@code d00.dat}, 500 samples. */
    public static double[][] training(Path dir) throws IOException {
        return transpose(read(dir.resolve("d00.dat")), dir.resolve("d00.dat"));
    }

    /** Training file of fault {@code k}: 480 faulty samples (for tuning, never for scoring). */
    public static double[][] faultTraining(Path dir, int fault) throws IOException {
        return read(dir.resolve(String.format(Locale.ROOT, "d%02d.dat", fault)));
    }

    /** Test file {@code dNN_te.dat}: 960 samples; fault 0 is normal throughout, others after row 160. */
    public static double[][] test(Path dir, int fault) throws IOException {
        return read(dir.resolve(String.format(Locale.ROOT, "d%02d_te.dat", fault)));
    }

    static double[][] read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + " (the Tennessee Eastman folder needs d00.dat, d00_te.dat ..."
                    + " d21_te.dat; see ../shared/tep/README.md)");
        }
        List<double[]> rows = new ArrayList<>();
        for (int l = 0; l < lines.size(); l++) {
            String line = lines.get(l).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            double[] row = new double[fields.length];
            for (int i = 0; i < fields.length; i++) {
                try {
                    row[i] = Double.parseDouble(fields[i]);
                } catch (NumberFormatException e) {
                    throw new IOException(file + ":" + (l + 1) + ": field " + (i + 1) + " is not a number: '"
                            + fields[i] + "'");
                }
            }
            if (!rows.isEmpty() && row.length != rows.get(0).length) {
                throw new IOException(file + ":" + (l + 1) + ": " + row.length + " fields, the first row has "
                        + rows.get(0).length);
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IOException(file + " is empty");
        }
        return rows.toArray(new double[0][]);
    }

    private static double[][] transpose(double[][] m, Path file) throws IOException {
        if (m.length != VARIABLES) {
            throw new IOException(file + ": expected " + VARIABLES + " rows (one per variable, transposed), got "
                    + m.length);
        }
        double[][] t = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }
}

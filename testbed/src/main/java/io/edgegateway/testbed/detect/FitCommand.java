package io.edgegateway.testbed.detect;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.edgegateway.rules.health.internal.model.AlarmState;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelJson;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;
import io.edgegateway.rules.health.internal.model.HealthMonitor;
import io.edgegateway.rules.health.internal.model.ModelBundle;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./gateway fit}: an asset type's health model from a historian export, as a model bundle. */
@Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Learns the normal behaviour of an asset type from a CSV of normal operation (a historian export: a time"
                    + " column, one numeric column per signal, rows in time order, one row per tick) and writes"
                    + " the frozen model as a model bundle: health-model-<type>-<version>.jar, with the model"
                    + " (health/model.json) and a validation report (health/report.json).",
            "Column names must be the gateway's signal names. An empty cell takes the signal's previous value.",
            "Sign it (./gateway sign --key KEY.pem JAR) and install it through deploy/ or ./gateway remote ..."
                    + " install; a health-model rule with asset.type=<type> then uses it instead of learning, and"
                    + " switches to a newer version of the bundle while running.",
            ""},
        footerHeading = "%nExample:%n",
        footer = {"  ./gateway fit --input pump-normal.csv --asset-type pump --out models/ --version 1.0.0"},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:the input is missing or malformed, or the model cannot be learnt or written",
            "2:invalid options"})
public final class FitCommand implements Callable<Integer> {

    private static final Pattern TYPE = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+");

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "CSV", description = "Normal operation, with a header.")
    private Path input;

    @Option(names = "--asset-type", required = true, paramLabel = "TYPE",
            description = "The asset type, lower case (e.g. pump): the rule's asset.type.")
    private String assetType;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the bundle is written.")
    private Path out;

    @Option(names = "--version", paramLabel = "X.Y.Z", defaultValue = "1.0.0",
            description = "The bundle's version; a higher one replaces a lower one (default: ${DEFAULT-VALUE}).")
    private String version;

    @Option(names = "--time-column", paramLabel = "NAME",
            description = "The time column. Default: the first column named time, timestamp, date or datetime"
                    + " (any case), else the first column.")
    private String timeColumn;

    @Option(names = "--separator", paramLabel = "CHAR",
            description = "The field separator. Default: detected from the header (',', ';', tab or '|').")
    private Character separator;

    @Option(names = "--json", description = "Print the validation report as one JSON object on stdout.")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        if (!TYPE.matcher(assetType).matches()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--asset-type '" + assetType
                    + "': lower-case letters, digits, '-' and '_'");
        }
        if (!VERSION.matcher(version).matches()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--version '" + version + "': X.Y.Z");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            CsvTable table = CsvTable.read(input, separator, timeColumn);
            double[][] rows = table.rowsCarriedForward();
            HealthModel model;
            long t0 = System.nanoTime();
            try {
                model = HealthModelLearner.learn(table.signals(), rows, HealthModelSettings.defaults());
            } catch (IllegalArgumentException e) {
                throw new DetectCommand.DetectException(input + ": cannot learn: " + e.getMessage());
            }
            long fitMillis = (System.nanoTime() - t0) / 1_000_000;
            Map<String, Object> report = report(model, rows, fitMillis);
            Path jar = writeBundle(model, report);
            if (json) {
                stdout.println(new ObjectMapper().writeValueAsString(report));
            } else {
                stdout.printf(Locale.ROOT, "%d rows, %d signals %s: %d principal components, learnt in %d ms%n",
                        rows.length, table.signals().size(), table.signals(), model.levelComponents(), fitMillis);
                stdout.printf(Locale.ROOT, "In-sample alarm rate on the learning rows: %.4f (alarm state active);"
                        + " the limits were set on held-out folds of these rows%n", report.get("in_sample_alarm_rate"));
                stdout.println("Wrote " + jar);
                stdout.println("Next: ./gateway sign --key KEY.pem " + jar + " and copy both files into deploy/"
                        + " (or ./gateway remote ... install); a rule with asset.type=" + assetType + " uses it.");
            }
            stdout.flush();
            return 0;
        } catch (IOException | DetectCommand.DetectException e) {
            err.println("fit: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private Map<String, Object> report(HealthModel model, double[][] rows, long fitMillis) {
        HealthMonitor monitor = model.newMonitor();
        AlarmState alarm = AlarmState.defaults();
        int active = 0;
        for (double[] row : rows) {
            alarm.update(monitor.update(row));
            active += alarm.active() ? 1 : 0;
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("asset_type", assetType);
        report.put("version", version);
        report.put("input", input.getFileName().toString());
        report.put("rows", rows.length);
        report.put("signals", model.signals());
        report.put("level_components", model.levelComponents());
        report.put("settings", model.settings().toString());
        Map<String, Double> limits = new LinkedHashMap<>();
        for (int i = 0; i < model.statistics(); i++) {
            limits.put(model.statisticName(i), model.limit(i));
        }
        report.put("limits", limits);
        report.put("in_sample_alarm_rate", Math.round(active * 1e6 / rows.length) / 1e6);
        report.put("fit_ms", fitMillis);
        report.put("fitted_at", Instant.now().toString());
        return report;
    }

    private Path writeBundle(HealthModel model, Map<String, Object> report) throws IOException {
        Manifest manifest = new Manifest();
        Attributes a = manifest.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", ModelBundle.symbolicName(assetType));
        a.putValue("Bundle-Version", version);
        a.putValue("Bundle-Name", "Health model of asset type " + assetType);
        a.putValue(ModelBundle.HEADER, ModelBundle.MODEL_PATH);
        a.putValue(ModelBundle.ASSET_TYPE, assetType);
        ByteArrayOutputStream modelJson = new ByteArrayOutputStream();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("assetType", assetType);
        meta.put("version", version);
        meta.put("input", input.getFileName().toString());
        meta.put("fittedAt", report.get("fitted_at").toString());
        HealthModelJson.write(model, meta, modelJson);
        Files.createDirectories(out);
        Path jar = out.resolve("health-model-" + assetType + "-" + version + ".jar");
        Path tmp = out.resolve(jar.getFileName() + ".tmp");
        try (OutputStream file = Files.newOutputStream(tmp); JarOutputStream j = new JarOutputStream(file, manifest)) {
            entry(j, ModelBundle.MODEL_PATH, modelJson.toByteArray());
            entry(j, ModelBundle.REPORT_PATH, new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(report));
        }
        Files.move(tmp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return jar;
    }

    private static void entry(JarOutputStream j, String name, byte[] bytes) throws IOException {
        JarEntry e = new JarEntry(name);
        e.setTime(0);
        j.putNextEntry(e);
        j.write(bytes);
        j.closeEntry();
    }

    /** A CSV of a time column and numeric signal columns, read with the same rules as {@code detect}. */
    record CsvTable(List<String> signals, List<double[]> rows) {

        static CsvTable read(Path file, Character separator, String timeColumn) throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                throw new DetectCommand.DetectException(file + " is empty (no header)");
            }
            String header = lines.get(0).startsWith("\uFEFF") ? lines.get(0).substring(1) : lines.get(0);
            char sep = separator != null ? separator : DetectCommand.detectSeparator(header);
            String[] names = DetectCommand.split(header, sep);
            int time = -1;
            for (int c = 0; c < names.length && time < 0; c++) {
                String n = names[c].toLowerCase(Locale.ROOT);
                if (timeColumn != null ? names[c].equals(timeColumn)
                        : n.equals("time") || n.equals("timestamp") || n.equals("date") || n.equals("datetime")) {
                    time = c;
                }
            }
            if (time < 0) {
                if (timeColumn != null) {
                    throw new DetectCommand.DetectException(file + ": no column '" + timeColumn + "' in "
                            + List.of(names));
                }
                time = 0;
            }
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
            List<double[]> rows = new ArrayList<>();
            for (int l = 1; l < lines.size(); l++) {
                if (lines.get(l).isBlank()) {
                    continue;
                }
                String[] cells = DetectCommand.split(lines.get(l), sep);
                double[] row = new double[signals.size()];
                for (int i = 0; i < row.length; i++) {
                    int c = columns.get(i);
                    row[i] = c < cells.length ? DetectCommand.parseNumber(cells[c]) : Double.NaN;
                    if (Double.isNaN(row[i]) && c < cells.length && !cells[c].isEmpty()) {
                        throw new DetectCommand.DetectException(file + ":" + (l + 1) + ": column '" + signals.get(i)
                                + "': not a number: '" + cells[c] + "'");
                    }
                }
                rows.add(row);
            }
            return new CsvTable(signals, rows);
        }

        /** The rows, an empty cell taking the signal's previous value (the first value before it). */
        double[][] rowsCarriedForward() {
            double[][] out = rows.toArray(new double[0][]);
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
                if (first < 0) {
                    throw new DetectCommand.DetectException("column '" + signals.get(j) + "' has no number");
                }
                for (int r = 0; r < first; r++) {
                    out[r][j] = out[first][j];
                }
            }
            return out;
        }
    }
}

package io.edgegateway.testbed.detect;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
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

    @CommandLine.Mixin
    private CsvOptions csv;

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
            CsvTable table = CsvTable.read(input, csv.separator, csv.timeColumn);
            double[][] rows = table.rowsCarriedForward(table.rows().size());
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
}

package io.edgegateway.rules.health.internal.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * A frozen {@link HealthModel} as a JSON file, so it survives restarts and bundle updates and can be shipped in a
 * model bundle. Format {@value #FORMAT}: {@code {"format","signals":[..],"learntRows","settings":{..},
 * "limits":[..],"level":{pca},"dynamics":{pca},"meta":{..}}}, each pca {@code {"mean","scale","eigenvalues",
 * "retained","loadings":[[..]..]}}. Every error names the file and the field.
 */
public final class HealthModelJson {

    public static final String FORMAT = "edge-gateway-health-model/1";
    private static final JsonFactory JSON = new JsonFactory();

    private HealthModelJson() {
    }

    /** Writes the model with free-form {@code meta} (asset, generation, learnt time...). */
    public static void write(HealthModel model, Map<String, String> meta, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeArrayFieldStart("signals");
            for (String s : model.signals()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeNumberField("learntRows", model.learntRows());
            HealthModelSettings s = model.settings();
            g.writeObjectFieldStart("settings");
            g.writeNumberField("varianceShare", s.varianceShare());
            g.writeNumberField("dynamicsVarianceShare", s.dynamicsVarianceShare());
            g.writeNumberField("levelWindow", s.levelWindow());
            g.writeNumberField("dynamicsWindow", s.dynamicsWindow());
            g.writeNumberField("falseAlarmRate", s.falseAlarmRate());
            g.writeNumberField("folds", s.folds());
            g.writeEndObject();
            double[] limits = new double[model.statistics()];
            for (int i = 0; i < limits.length; i++) {
                limits[i] = model.limit(i);
            }
            numbers(g, "limits", limits);
            double[] residualLimits = new double[model.signals().size()];
            for (int j = 0; j < residualLimits.length; j++) {
                residualLimits[j] = model.residualLimit(j);
            }
            numbers(g, "residualLimits", residualLimits);
            pca(g, "level", model.level());
            pca(g, "dynamics", model.dynamics());
            g.writeObjectFieldStart("meta");
            for (Map.Entry<String, String> e : meta.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    /** The model and its meta; {@code source} (a file name) is named in every error. */
    public static Loaded read(InputStream in, String source) throws IOException {
        Map<String, Object> m;
        try (JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(source + ": not a JSON object");
            }
            m = object(p);
        } catch (JsonProcessingException e) {
            throw new IOException(source + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        Fields f = new Fields(source, "", m);
        if (!FORMAT.equals(m.get("format"))) {
            throw new IOException(source + ": format: expected '" + FORMAT + "', got " + m.get("format"));
        }
        List<String> signals = new ArrayList<>();
        for (Object o : f.list("signals")) {
            if (!(o instanceof String s) || s.isBlank()) {
                throw new IOException(source + ": signals: expected non-empty strings, got " + o);
            }
            signals.add(s);
        }
        Fields st = f.object("settings");
        HealthModelSettings settings;
        try {
            settings = new HealthModelSettings(st.number("varianceShare"), st.number("dynamicsVarianceShare"),
                    (int) st.number("levelWindow"), (int) st.number("dynamicsWindow"), st.number("falseAlarmRate"),
                    (int) st.number("folds"));
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": settings: " + e.getMessage(), e);
        }
        double[] limits = f.numbers("limits", HealthModel.JOINT_STATISTICS + signals.size());
        double[] residualLimits = f.numbers("residualLimits", signals.size());
        Pca level = f.object("level").pca(signals.size());
        Pca dynamics = f.object("dynamics").pca(signals.size());
        Map<String, String> meta = new LinkedHashMap<>();
        Object metaObject = m.get("meta");
        if (metaObject instanceof Map<?, ?> mm) {
            mm.forEach((k, v) -> meta.put(String.valueOf(k), String.valueOf(v)));
        }
        return new Loaded(new HealthModel(signals, settings, level, dynamics, limits, residualLimits,
                (int) f.number("learntRows")),
                meta);
    }

    /** A model read from a file, with its meta. */
    public record Loaded(HealthModel model, Map<String, String> meta) {
    }

    private static void pca(JsonGenerator g, String name, Pca pca) throws IOException {
        g.writeObjectFieldStart(name);
        numbers(g, "mean", pca.means());
        numbers(g, "scale", pca.scales());
        numbers(g, "eigenvalues", pca.eigenvalues());
        g.writeNumberField("retained", pca.retained());
        g.writeArrayFieldStart("loadings");
        for (double[] row : pca.loadings()) {
            g.writeArray(row, 0, row.length);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void numbers(JsonGenerator g, String name, double[] values) throws IOException {
        g.writeArrayFieldStart(name);
        for (double v : values) {
            if (Double.isFinite(v)) {
                g.writeNumber(v);
            } else {
                g.writeString(Double.toString(v)); // a limit may be +inf (a statistic that never varied)
            }
        }
        g.writeEndArray();
    }

    private static Map<String, Object> object(JsonParser p) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            m.put(name, value(p, p.nextToken()));
        }
        return m;
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken x = p.nextToken(); x != JsonToken.END_ARRAY; x = p.nextToken()) {
                    l.add(value(p, x));
                }
                yield l;
            }
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            default -> null;
        };
    }

    /** Typed access to one object's fields; errors name the file and the field's path. */
    private record Fields(String source, String path, Map<String, Object> m) {

        IOException bad(String field, String why) {
            return new IOException(source + ": " + path + field + ": " + why);
        }

        double number(String field) throws IOException {
            Object v = m.get(field);
            if (!(v instanceof Double d)) {
                throw bad(field, v == null ? "missing" : "expected a number, got " + v);
            }
            return d;
        }

        List<?> list(String field) throws IOException {
            Object v = m.get(field);
            if (!(v instanceof List<?> l)) {
                throw bad(field, v == null ? "missing" : "expected an array");
            }
            return l;
        }

        Fields object(String field) throws IOException {
            Object v = m.get(field);
            if (!(v instanceof Map<?, ?> child)) {
                throw bad(field, v == null ? "missing" : "expected an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) child;
            return new Fields(source, path + field + ".", typed);
        }

        double[] numbers(String field, int expectedLength) throws IOException {
            return numbers(field, list(field), expectedLength);
        }

        double[] numbers(String field, List<?> l, int expectedLength) throws IOException {
            if (l.size() != expectedLength) {
                throw bad(field, "expected " + expectedLength + " numbers, got " + l.size());
            }
            double[] out = new double[l.size()];
            for (int i = 0; i < out.length; i++) {
                Object o = l.get(i);
                if (o instanceof Double d) {
                    out[i] = d;
                } else if ("Infinity".equals(o)) {
                    out[i] = Double.POSITIVE_INFINITY;
                } else {
                    throw bad(field + "[" + i + "]", "expected a number, got " + o);
                }
            }
            return out;
        }

        Pca pca(int dimension) throws IOException {
            double[] mean = numbers("mean", dimension);
            double[] scale = numbers("scale", dimension);
            double[] eigenvalues = numbers("eigenvalues", dimension);
            int retained = (int) number("retained");
            if (retained < 1 || retained > dimension) {
                throw bad("retained", "must be in 1.." + dimension + ", got " + retained);
            }
            List<?> rows = list("loadings");
            if (rows.size() != dimension) {
                throw bad("loadings", "expected " + dimension + " rows, got " + rows.size());
            }
            double[][] loadings = new double[dimension][];
            for (int k = 0; k < dimension; k++) {
                if (!(rows.get(k) instanceof List<?> row)) {
                    throw bad("loadings[" + k + "]", "expected an array");
                }
                loadings[k] = numbers("loadings[" + k + "]", row, dimension);
            }
            for (int j = 0; j < dimension; j++) {
                if (!(scale[j] > 0)) {
                    throw bad("scale[" + j + "]", "must be > 0, got " + scale[j]);
                }
            }
            return new Pca(mean, scale, loadings, eigenvalues, retained);
        }
    }
}

package io.edgegateway.testbed.simulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads fault scenarios.
 *
 * <p>Compact form: comma-separated entries {@code asset/signal:type@start+duration*magnitude}, times in seconds,
 * e.g. {@code pump-1/vibration:spike@20+1*8, motor-1/winding_temperature:drift@35+60*15,
 * compressor-1/discharge_pressure:stuck@50+30}. {@code +duration} may be left out for a spike (one sample);
 * {@code *magnitude} must be left out or 0 for stuck and dropout. {@code none} or an empty string is no fault.
 * Slow degradations change a whole asset: {@code asset:type@start+duration*severity} (or {@code asset/*:...}), e.g.
 * {@code pump-1:bearing_wear@60+600*1}, {@code pump-1:cavitation@0+300*0.8}, {@code compressor-1:fouling@0+900*1};
 * the severity grows linearly from 0 to the magnitude over the duration.
 *
 * <p>JSON form: an array of fault objects, or an object with such an array under {@code "faults"}; each
 * {@code {"asset": "pump-1", "signal": "vibration", "type": "spike", "start": 20, "duration": 1, "magnitude": 8}}
 * ({@code "fault"} is accepted for {@code "type"}; {@code duration} and {@code magnitude} as in the compact form).
 */
public final class Scenarios {

    /**
     * The built-in scenario: one fault of each type, on three assets: a 2-sample 8-sigma vibration spike on pump-1 at
     * 20 s, a +15 degC/min winding-temperature drift on motor-1 from 35 s for 60 s, and compressor-1's discharge
     * pressure stuck from 50 s for 30 s.
     */
    public static final String DEFAULT =
            "pump-1/vibration:spike@20+1*8,motor-1/winding_temperature:drift@35+60*15,"
                    + "compressor-1/discharge_pressure:stuck@50+30";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Scenarios() {
    }

    /** The faults of {@link #DEFAULT}. */
    public static List<FaultSpec> defaults() {
        return parse(DEFAULT);
    }

    /**
     * Parses the compact form.
     *
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    public static List<FaultSpec> parse(String spec) {
        List<FaultSpec> faults = new ArrayList<>();
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("none")) {
            return faults;
        }
        String[] entries = spec.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            try {
                faults.add(parseEntry(entry));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("fault " + (i + 1) + " '" + entry + "': " + e.getMessage()
                        + " (expected asset/signal:type@start+duration*magnitude, e.g. pump-1/vibration:spike@20+1*8)",
                        e);
            }
        }
        return List.copyOf(faults);
    }

    private static FaultSpec parseEntry(String entry) {
        if (entry.isEmpty()) {
            throw new IllegalArgumentException("empty entry");
        }
        int slash = entry.indexOf('/');
        int colon = entry.indexOf(':');
        int at = entry.indexOf('@');
        if ((slash < 0 || slash > colon) && colon > 0 && at > colon
                && FaultType.parse(entry.substring(colon + 1, at)).isDegradation()) {
            slash = colon; // asset:degradation@...: the whole asset
        } else if (slash < 0) {
            throw new IllegalArgumentException("no '/' between asset and signal");
        }
        if (colon < 0 || colon < slash) {
            throw new IllegalArgumentException("no ':' before the fault type");
        }
        if (at < 0 || at < colon) {
            throw new IllegalArgumentException("no '@' before the start time");
        }
        String asset = entry.substring(0, slash).trim();
        String signal = slash == colon ? "*" : entry.substring(slash + 1, colon).trim();
        if (asset.isEmpty()) {
            throw new IllegalArgumentException("empty asset");
        }
        if (signal.isEmpty()) {
            throw new IllegalArgumentException("empty signal");
        }
        FaultType type = FaultType.parse(entry.substring(colon + 1, at));
        String timing = entry.substring(at + 1);
        int star = timing.indexOf('*');
        String magnitudeText = star < 0 ? null : timing.substring(star + 1);
        String times = star < 0 ? timing : timing.substring(0, star);
        int plus = times.indexOf('+');
        double start = number("start", plus < 0 ? times : times.substring(0, plus));
        Double duration = plus < 0 ? null : number("duration", times.substring(plus + 1));
        Double magnitude = magnitudeText == null ? null : number("magnitude", magnitudeText);
        return fault(asset, signal, type, start, duration, magnitude);
    }

    /** Applies the per-type rules for left-out parts and builds the spec. */
    private static FaultSpec fault(String asset, String signal, FaultType type, double start, Double duration,
                                   Double magnitude) {
        if (duration == null) {
            if (type != FaultType.SPIKE) {
                throw new IllegalArgumentException(type.id() + " needs a duration ('+seconds')");
            }
            duration = 0.0;
        }
        if (magnitude == null) {
            if (type.hasMagnitude()) {
                throw new IllegalArgumentException(type.id() + " needs a magnitude ('*"
                        + (type == FaultType.SPIKE ? "sigmas" : type.isDegradation() ? "severity"
                        : "units per minute") + "')");
            }
            magnitude = 0.0;
        } else if (!type.hasMagnitude() && magnitude != 0) {
            throw new IllegalArgumentException(type.id() + " takes no magnitude (got " + magnitude + ")");
        }
        return new FaultSpec(asset, signal, type, start, duration, magnitude);
    }

    private static double number(String what, String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("empty " + what);
        }
        double value;
        try {
            value = Double.parseDouble(trimmed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + trimmed + "' is not a number");
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " '" + trimmed + "' is not a finite number");
        }
        if (value < 0 && !what.equals("magnitude")) {
            throw new IllegalArgumentException(what + " " + trimmed + " must be >= 0");
        }
        return value;
    }

    /**
     * Reads the JSON form from a file.
     *
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException naming the file, the fault and what is wrong
     */
    public static List<FaultSpec> readJson(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return parseJson(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON form. */
    public static List<FaultSpec> parseJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode array = root != null && root.isObject() ? root.get("faults") : root;
        if (array == null || !array.isArray()) {
            throw new IllegalArgumentException("expected an array of faults, or an object with a \"faults\" array");
        }
        List<FaultSpec> faults = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode node = array.get(i);
            try {
                if (!node.isObject()) {
                    throw new IllegalArgumentException("not an object");
                }
                JsonNode typeNode = node.has("type") ? node.get("type") : node.get("fault");
                FaultType type = FaultType.parse(text(node, "type", typeNode));
                double start = jsonNumber(node, "start", true);
                Double duration = node.has("duration") ? jsonNumber(node, "duration", true) : null;
                Double magnitude = node.has("magnitude") ? jsonNumber(node, "magnitude", false) : null;
                String signal = type.isDegradation() && !node.has("signal") ? "*"
                        : text(node, "signal", node.get("signal"));
                faults.add(fault(text(node, "asset", node.get("asset")), signal, type, start, duration, magnitude));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("fault " + (i + 1) + " " + node + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(faults);
    }

    private static String text(JsonNode node, String field, JsonNode value) {
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("missing \"" + field + "\"");
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a non-empty string");
        }
        return value.asText().trim();
    }

    private static double jsonNumber(JsonNode node, String field, boolean nonNegative) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("missing \"" + field + "\"");
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a number, not " + value);
        }
        double number = value.asDouble();
        if (nonNegative && number < 0) {
            throw new IllegalArgumentException("\"" + field + "\" " + number + " must be >= 0");
        }
        return number;
    }
}

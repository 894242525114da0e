package io.edgegateway.testbed.nab;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.edgegateway.rules.statistical.internal.ConformalSettings;

/** Prints a {@link SplitTuning.Result}: a table, or one JSON object. */
final class SplitTuningReport {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SplitTuningReport() {
    }

    static void printTable(PrintWriter out, String detector, SplitTuning.Result result, double seconds) {
        SplitTuning.Direction first = result.directions().get(0);
        out.printf(Locale.ROOT, "Held-out check of %s, %s profile: the %d files sorted by relative path, even (%d)"
                        + " vs odd (%d) index; tuned on one half, scored on the other.%n", detector,
                result.profile().name(), first.half().tuning().size() + first.half().heldOut().size(),
                first.half().tuning().size(), first.half().heldOut().size());
        out.printf(Locale.ROOT, "Tuning: %d settings (%s), threshold swept on the tuning half.%n",
                result.grid().size(), result.grid().describe());
        out.printf(Locale.ROOT, "%-9s %-10s %10s %12s %14s | %-29s | %s%n", "", "", "", "",
                "", "shipped defaults (in-sample)", "");
        out.printf(Locale.ROOT, "%-9s %-10s %10s %12s %14s | %12s %16s | %s%n", "tuned on", "scored on", "threshold",
                "tuning half", "HELD-OUT half", "tuning half", "held-out half", "settings chosen");
        for (SplitTuning.Direction d : result.directions()) {
            out.printf(Locale.ROOT, "%-9s %-10s %10.6f %12.2f %14.2f | %12.2f %16.2f | %s%n", d.half().tuningName(),
                    d.half().heldOutName(), d.tuned().threshold(), d.tuned().score().normalised(),
                    d.heldOut().normalised(), d.defaultsOnTuning().normalised(), d.defaultsOnHeldOut().normalised(),
                    SettingsGrid.describe(d.tuned().settings()));
        }
        out.printf(Locale.ROOT, "Shipped defaults (%s, threshold %.6f) were tuned on the whole corpus: in-sample,"
                        + " %.2f on the corpus.%n", SettingsGrid.describe(result.defaults()),
                result.defaults().alertThreshold(), result.defaultsOnCorpus().normalised());
        out.printf(Locale.ROOT, "%.1f s%n", seconds);
    }

    static String json(String detector, SplitTuning.Result result, double seconds) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("detector", detector);
        root.put("profile", result.profile().name());
        root.put("split", "files sorted by relative path; even vs odd index");
        SplitTuning.Direction first = result.directions().get(0);
        root.put("evenFiles", first.half().tuning().size());
        root.put("oddFiles", first.half().heldOut().size());
        ObjectNode grid = root.putObject("grid");
        grid.putPOJO("fast.alpha", result.grid().fastAlphas());
        grid.putPOJO("history", result.grid().histories());
        grid.putPOJO("refractory", result.grid().refractories());
        grid.putPOJO("tail.scale", result.grid().tailScales());
        grid.put("size", result.grid().size());
        ArrayNode directions = root.putArray("directions");
        for (SplitTuning.Direction d : result.directions()) {
            ObjectNode node = directions.addObject();
            node.put("tunedOn", d.half().tuningName());
            node.put("scoredOn", d.half().heldOutName());
            node.set("settings", settings(d.tuned().settings()));
            node.put("threshold", d.tuned().threshold());
            node.put("tuningHalf", rounded(d.tuned().score()));
            node.put("heldOutHalf", rounded(d.heldOut()));
            ObjectNode defaults = node.putObject("defaultsInSample");
            defaults.put("tuningHalf", rounded(d.defaultsOnTuning()));
            defaults.put("heldOutHalf", rounded(d.defaultsOnHeldOut()));
        }
        ObjectNode defaults = root.putObject("defaultsInSample");
        defaults.set("settings", settings(result.defaults()));
        defaults.put("threshold", result.defaults().alertThreshold());
        defaults.put("corpus", rounded(result.defaultsOnCorpus()));
        root.put("seconds", BigDecimal.valueOf(seconds).setScale(1, RoundingMode.HALF_UP));
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode settings(ConformalSettings settings) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("fast.alpha", settings.fastAlpha());
        node.put("history", settings.history());
        node.put("refractory", settings.refractory());
        node.put("tail.scale", settings.tailScale());
        return node;
    }

    private static BigDecimal rounded(Scorer.Score score) {
        return BigDecimal.valueOf(score.normalised()).setScale(2, RoundingMode.HALF_UP);
    }
}

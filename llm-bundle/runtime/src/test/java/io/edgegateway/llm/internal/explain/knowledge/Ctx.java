package io.edgegateway.llm.internal.explain.knowledge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/** Test helper: a context with sensible defaults, changed field by field. */
final class Ctx {
    String assetType = "pump";
    String assetId = "pump-1";
    String signal = "bearing_temperature";
    String unit = "degC";
    String pattern = "drift";
    String direction = "up";
    double value = 81.23;
    OptionalDouble baseline = OptionalDouble.of(62.0);
    double deviation = 4.56;
    double slopePerMin = 0.25;
    double durationS = 2700;
    Map<String, String> others = new TreeMap<>();
    OptionalDouble rulCycles = OptionalDouble.empty();

    static Ctx ctx() {
        return new Ctx();
    }

    Ctx type(String v) { assetType = v; return this; }
    Ctx signal(String v) { signal = v; return this; }
    Ctx unit(String v) { unit = v; return this; }
    Ctx pattern(String v) { pattern = v; return this; }
    Ctx dir(String v) { direction = v; return this; }
    Ctx value(double v) { value = v; return this; }
    Ctx baseline(Double v) { baseline = v == null ? OptionalDouble.empty() : OptionalDouble.of(v); return this; }
    Ctx dev(double v) { deviation = v; return this; }
    Ctx slope(double v) { slopePerMin = v; return this; }
    Ctx dur(double v) { durationS = v; return this; }
    Ctx other(String s, String d) { others.put(s, d); return this; }
    Ctx rul(Double v) { rulCycles = v == null ? OptionalDouble.empty() : OptionalDouble.of(v); return this; }

    ExplainContext build() {
        return new ExplainContext(assetType, assetId, signal, unit, pattern, direction, value, baseline, deviation,
                slopePerMin, durationS, others, rulCycles);
    }

    static String fixtureJson() {
        try (InputStream in = Ctx.class.getResourceAsStream("/explain/failure_modes_test.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static KnowledgeBase kb() {
        return KnowledgeBase.parse(fixtureJson());
    }
}

package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Slow degradation modes, the dropout fault, the pump's flow and the conveyor asset. */
class DegradationAndDropoutTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final double RATE = 2.0;

    private static List<List<SimSample>> run(PlantSimulator simulator, int ticks) {
        List<List<SimSample>> all = new ArrayList<>();
        for (int i = 0; i < ticks; i++) {
            all.add(simulator.tick(T0.plusMillis(500L * i)));
        }
        return all;
    }

    private static double[] series(List<List<SimSample>> ticks, String asset, String signal) {
        return ticks.stream().mapToDouble(samples -> samples.stream()
                .filter(s -> s.asset().equals(asset) && s.signal().equals(signal)).findFirst().orElseThrow().value())
                .toArray();
    }

    private static double mean(double[] v, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += v[i];
        }
        return sum / (to - from);
    }

    private static double sd(double[] v, int from, int to) {
        double m = mean(v, from, to);
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += (v[i] - m) * (v[i] - m);
        }
        return Math.sqrt(sum / (to - from));
    }

    private static PlantSimulator sim(List<String> assets, String faults) {
        return new PlantSimulator(7, RATE, Scenarios.parse(faults), assets);
    }

    @Test
    void pumpsHaveFlowInCubicMetresPerHour() {
        PlantSimulator s = sim(List.of("pump-1"), "none");
        assertThat(s.signals("pump-1")).extracting(SignalDef::name).endsWith("flow");
        double[] flow = series(run(s, 200), "pump-1", "flow");
        assertThat(mean(flow, 0, 200)).isBetween(105.0, 135.0);
    }

    @Test
    void bearingWearMakesVibrationAndBearingTemperatureCreepUpWithGroundTruthPerSignal() {
        int ticks = 1300; // 650 s: wear from 0 to 1 over 600 s, then repaired
        List<List<SimSample>> healthy = run(sim(List.of("pump-1"), "none"), ticks);
        PlantSimulator worn = sim(List.of("pump-1"), "pump-1:bearing_wear@0+600*1");
        List<List<SimSample>> wearing = run(worn, ticks);
        double[] v0 = series(healthy, "pump-1", "vibration");
        double[] v1 = series(wearing, "pump-1", "vibration");
        double[] b0 = series(healthy, "pump-1", "bearing_temperature");
        double[] b1 = series(wearing, "pump-1", "bearing_temperature");
        assertThat(mean(v1, 0, 60)).as("hardly worn at first").isCloseTo(mean(v0, 0, 60), org.assertj.core.data.Offset.offset(0.2));
        assertThat(mean(v1, 1140, 1200) / mean(v0, 1140, 1200)).as("vibration near the end").isGreaterThan(1.8);
        assertThat(mean(b1, 1140, 1200) - mean(b0, 1140, 1200)).as("bearing temperature near the end")
                .isGreaterThan(12.0);
        assertThat(mean(b1, 300, 360)).as("creeps: halfway below the end").isLessThan(mean(b1, 1140, 1200) - 5);
        assertThat(worn.groundTruth()).extracting(GroundTruth::signal)
                .containsExactly("vibration", "bearing_temperature");
        assertThat(worn.groundTruth()).allSatisfy(g -> {
            assertThat(g.asset()).isEqualTo("pump-1");
            assertThat(g.fault()).isEqualTo("bearing_wear");
            assertThat(g.start()).isEqualTo(T0);
            assertThat(g.end()).isEqualTo(T0.plusMillis(500L * 1199));
            assertThat(g.magnitude()).isEqualTo(1.0);
        });
    }

    @Test
    void cavitationMakesTheDischargePressureOscillateAndTheFlowDrop() {
        int ticks = 400;
        List<List<SimSample>> healthy = run(sim(List.of("pump-1"), "none"), ticks);
        PlantSimulator cavitating = sim(List.of("pump-1"), "pump-1/*:cavitation@0+100*1");
        List<List<SimSample>> bad = run(cavitating, ticks);
        double[] p0 = series(healthy, "pump-1", "discharge_pressure");
        double[] p1 = series(bad, "pump-1", "discharge_pressure");
        double[] f0 = series(healthy, "pump-1", "flow");
        double[] f1 = series(bad, "pump-1", "flow");
        assertThat(sd(p1, 140, 200)).isGreaterThan(5 * sd(p0, 140, 200));
        assertThat(mean(f1, 140, 200)).isLessThan(0.8 * mean(f0, 140, 200));
        assertThat(mean(f1, 300, 400)).as("repaired after the duration").isCloseTo(mean(f0, 300, 400),
                org.assertj.core.data.Offset.offset(1.0));
        assertThat(cavitating.groundTruth()).extracting(g -> g.signal() + " " + g.fault())
                .containsExactly("discharge_pressure cavitation", "flow cavitation");
    }

    @Test
    void foulingMakesTheCompressorDischargeTemperatureCreepUp() {
        int ticks = 1200;
        double[] t0 = series(run(sim(List.of("compressor-1"), "none"), ticks), "compressor-1", "discharge_temperature");
        PlantSimulator fouled = sim(List.of("compressor-1"), "compressor-1:fouling@0+600*1");
        double[] t1 = series(run(fouled, ticks), "compressor-1", "discharge_temperature");
        assertThat(mean(t1, 1140, 1200) - mean(t0, 1140, 1200)).isGreaterThan(15.0);
        assertThat(fouled.groundTruth()).singleElement().satisfies(g -> {
            assertThat(g.signal()).isEqualTo("discharge_temperature");
            assertThat(g.fault()).isEqualTo("fouling");
        });
    }

    @Test
    void aDropoutSilencesOneSignalForItsDurationWithGroundTruth() {
        PlantSimulator s = sim(List.of("pump-1"), "pump-1/current:dropout@5+3");
        List<List<SimSample>> ticks = run(s, 30);
        for (int i = 0; i < ticks.size(); i++) {
            for (SimSample sample : ticks.get(i)) {
                boolean expected = sample.signal().equals("current") && i >= 10 && i < 16;
                assertThat(sample.dropout()).as("tick %d %s", i, sample.signal()).isEqualTo(expected);
            }
        }
        assertThat(s.groundTruth()).singleElement().satisfies(g -> {
            assertThat(g.fault()).isEqualTo("dropout");
            assertThat(g.start()).isEqualTo(T0.plusSeconds(5));
            assertThat(g.end()).isEqualTo(T0.plusMillis(7500));
        });
    }

    @Test
    void aConveyorHasCurrentSpeedVibrationAndBearingTemperatureAndCanWearItsBearing() {
        PlantSimulator s = sim(List.of("conveyor-1"), "conveyor-1:bearing_wear@0+60*1");
        assertThat(s.signals("conveyor-1")).extracting(d -> d.name() + " " + d.unit()).containsExactly(
                "current A", "speed m/s", "vibration mm/s", "bearing_temperature degC");
        List<List<SimSample>> ticks = run(s, 20);
        assertThat(mean(series(ticks, "conveyor-1", "current"), 0, 20)).isBetween(16.0, 20.0);
        assertThat(mean(series(ticks, "conveyor-1", "speed"), 0, 20)).isBetween(1.4, 1.6);
        assertThat(mean(series(ticks, "conveyor-1", "bearing_temperature"), 0, 20)).isBetween(40.0, 50.0);
        assertThat(PlantSimulator.DEFAULT_ASSETS).doesNotContain("conveyor-1");
    }

    @Test
    void degradationsAreCheckedAgainstTheAssetAndParseInBothForms() {
        assertThatThrownBy(() -> sim(List.of("conveyor-1"), "conveyor-1:cavitation@0+60*1"))
                .hasMessageContaining("cannot have cavitation");
        assertThatThrownBy(() -> Scenarios.parse("pump-1/vibration:bearing_wear@0+60*1"))
                .hasMessageContaining("a degradation changes the whole asset");
        assertThatThrownBy(() -> Scenarios.parse("pump-1:bearing_wear@0+60"))
                .hasMessageContaining("needs a magnitude");
        assertThatThrownBy(() -> Scenarios.parse("pump-1/flow:dropout@0+60*2"))
                .hasMessageContaining("dropout takes no magnitude");
        List<FaultSpec> faults = Scenarios.parse("pump-1:bearing_wear@60+600*1, pump-1/flow:dropout@5+3");
        assertThat(faults).extracting(FaultSpec::toString)
                .containsExactly("pump-1/*:bearing_wear@60+600*1", "pump-1/flow:dropout@5+3");
        assertThat(Scenarios.parse(faults.get(0).toString())).isEqualTo(faults.subList(0, 1));
        assertThat(Scenarios.parseJson("[{\"asset\":\"compressor-1\",\"type\":\"fouling\",\"start\":0,"
                + "\"duration\":900,\"magnitude\":1}]")).containsExactly(
                new FaultSpec("compressor-1", "*", FaultType.FOULING, 0, 900, 1));
    }
}

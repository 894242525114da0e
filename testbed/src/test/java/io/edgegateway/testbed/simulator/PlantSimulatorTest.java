package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

class PlantSimulatorTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final double RATE = 2.0;

    /** Values of one signal over {@code ticks} ticks. */
    private static double[] series(PlantSimulator simulator, String asset, String signal, int ticks) {
        double[] values = new double[ticks];
        for (int i = 0; i < ticks; i++) {
            values[i] = value(simulator.tick(T0.plusMillis(500L * i)), asset, signal);
        }
        return values;
    }

    private static double value(List<SimSample> samples, String asset, String signal) {
        return samples.stream().filter(s -> s.asset().equals(asset) && s.signal().equals(signal)).findFirst()
                .orElseThrow().value();
    }

    private static PlantSimulator simulator(long seed, FaultSpec... faults) {
        return new PlantSimulator(seed, RATE, List.of(faults), null);
    }

    private static double mean(double[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }

    @Test
    void oneSamplePerSignalPerAssetInOrder() {
        List<SimSample> samples = simulator(1).tick(T0);

        assertThat(samples).extracting(s -> s.asset() + "/" + s.signal() + " " + s.unit()).containsExactly(
                "pump-1/bearing_temperature degC", "pump-1/vibration mm/s", "pump-1/current A",
                "pump-1/discharge_pressure bar", "pump-1/flow m3/h",
                "motor-1/winding_temperature degC", "motor-1/vibration mm/s", "motor-1/current A",
                "compressor-1/discharge_temperature degC", "compressor-1/discharge_pressure bar",
                "compressor-1/current A");
        assertThat(samples).allSatisfy(s -> assertThat(s.time()).isEqualTo(T0));
    }

    @Test
    void sameSeedSameValuesWhateverThePacing() {
        PlantSimulator a = simulator(7);
        PlantSimulator b = simulator(7);
        for (int i = 0; i < 1000; i++) {
            List<Double> va = a.tick(T0.plusMillis(500L * i)).stream().map(SimSample::value).toList();
            List<Double> vb = b.tick(T0.plusSeconds(3600).plusMillis(1234L * i)).stream().map(SimSample::value)
                    .toList();
            assertThat(vb).as("tick %d", i).isEqualTo(va);
        }
        assertThat(series(simulator(8), "pump-1", "vibration", 50))
                .isNotEqualTo(series(simulator(7), "pump-1", "vibration", 50));
    }

    @Test
    void anAssetsValuesDoNotDependOnTheOtherAssets() {
        PlantSimulator alone = new PlantSimulator(3, RATE, List.of(), List.of("pump-1"));
        PlantSimulator all = simulator(3);

        assertThat(series(alone, "pump-1", "current", 200)).isEqualTo(series(all, "pump-1", "current", 200));
    }

    @Test
    void valuesArePlausible() {
        PlantSimulator simulator = new PlantSimulator(5, 1.0, List.of(), List.of("pump-1", "motor-2", "compressor-1"));
        int n = 3600;
        double[][] pump = new double[4][n];
        double[] winding = new double[n];
        double[] compressorPressure = new double[n];
        for (int i = 0; i < n; i++) {
            List<SimSample> samples = simulator.tick(T0.plusSeconds(i));
            for (int s = 0; s < 4; s++) {
                pump[s][i] = samples.get(s).value();
            }
            winding[i] = value(samples, "motor-2", "winding_temperature");
            compressorPressure[i] = value(samples, "compressor-1", "discharge_pressure");
        }
        assertThat(mean(pump[0], 0, n)).as("bearing temperature").isCloseTo(55, within(3.0));
        assertThat(mean(pump[1], 0, n)).as("vibration").isCloseTo(2.5, within(0.15));
        assertThat(mean(pump[2], 0, n)).as("current").isCloseTo(42, within(2.0));
        assertThat(mean(pump[3], 0, n)).as("discharge pressure").isCloseTo(6.2, within(0.2));
        assertThat(mean(winding, 0, n)).isCloseTo(70, within(5.0));
        assertThat(mean(compressorPressure, 0, n)).isCloseTo(8.0, within(0.4));
        for (double v : pump[1]) {
            assertThat(v).isPositive();
        }
    }

    @Test
    void temperatureFollowsTheCurrentThroughAThermalLag() {
        // 4 h at 1 Hz, minute means: the bearing temperature tracks the current passed through a first-order lag of
        // 180 s (the model's thermal time constant) much better than the current itself
        PlantSimulator simulator = new PlantSimulator(11, 1.0, List.of(), List.of("pump-1"));
        int minutes = 240;
        double[] current = new double[minutes];
        double[] temperature = new double[minutes];
        for (int m = 0; m < minutes; m++) {
            for (int s = 0; s < 60; s++) {
                List<SimSample> samples = simulator.tick(T0);
                temperature[m] += samples.get(0).value() / 60;
                current[m] += samples.get(2).value() / 60;
            }
        }
        double[] lagged = new double[minutes];
        lagged[0] = current[0];
        for (int m = 1; m < minutes; m++) {
            lagged[m] = lagged[m - 1] + (current[m] - lagged[m - 1]) * (1 - Math.exp(-60.0 / 180));
        }
        double direct = correlation(current, 0, temperature, 0, minutes);
        double throughLag = correlation(lagged, 0, temperature, 0, minutes);

        assertThat(throughLag).isGreaterThan(0.95).isGreaterThan(direct);
    }

    private static double correlation(double[] x, int dx, double[] y, int dy, int n) {
        double mx = mean(x, dx, dx + n);
        double my = mean(y, dy, dy + n);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double a = x[dx + i] - mx;
            double b = y[dy + i] - my;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    @Test
    void spikeAddsMagnitudeSigmasForItsDurationOnly() {
        double sigma = simulator(1).signals("pump-1").get(1).noiseSigma();
        double[] normal = series(simulator(1), "pump-1", "vibration", 100);
        double[] faulty = series(simulator(1, new FaultSpec("pump-1", "vibration", FaultType.SPIKE, 20, 1, 8)),
                "pump-1", "vibration", 100);

        for (int i = 0; i < 100; i++) {
            double expected = i == 40 || i == 41 ? 8 * sigma : 0; // t = 20 s and 20.5 s at 2 Hz
            assertThat(faulty[i] - normal[i]).as("tick %d", i).isCloseTo(expected, within(0.0015));
        }
    }

    @Test
    void spikeWithoutDurationIsOneSample() {
        double[] normal = series(simulator(1), "motor-1", "current", 100);
        double[] faulty = series(simulator(1, Scenarios.parse("motor-1/current:spike@10*-5").get(0)), "motor-1",
                "current", 100);

        for (int i = 0; i < 100; i++) {
            assertThat(faulty[i] - normal[i]).as("tick %d", i).isCloseTo(i == 20 ? -5 * 0.3 : 0, within(0.015));
        }
    }

    @Test
    void driftRampsAtItsRatePerMinuteAndEnds() {
        double[] normal = series(simulator(2), "pump-1", "bearing_temperature", 200);
        double[] faulty = series(simulator(2, new FaultSpec("pump-1", "bearing_temperature", FaultType.DRIFT, 30, 60,
                12)), "pump-1", "bearing_temperature", 200);

        for (int i = 0; i < 200; i++) {
            double t = i / RATE;
            double expected = t >= 30 && t < 90 ? 12 * (t - 30) / 60 : 0;
            assertThat(faulty[i] - normal[i]).as("tick %d", i).isCloseTo(expected, within(0.015));
        }
        assertThat(faulty[179] - normal[179]).as("just before the end: +12 degC/min * 59.5 s").isCloseTo(11.9,
                within(0.015));
    }

    @Test
    void stuckFreezesAtTheLastValueThenRecovers() {
        double[] normal = series(simulator(3), "compressor-1", "discharge_pressure", 200);
        double[] faulty = series(simulator(3, Scenarios.parse("compressor-1/discharge_pressure:stuck@50+30").get(0)),
                "compressor-1", "discharge_pressure", 200);

        for (int i = 100; i < 160; i++) {
            assertThat(faulty[i]).as("tick %d", i).isEqualTo(normal[99]);
        }
        for (int i = 0; i < 200; i++) {
            if (i < 100 || i >= 160) {
                assertThat(faulty[i]).as("tick %d", i).isEqualTo(normal[i]);
            }
        }
        assertThat(normal[100]).as("the real signal moves").isNotEqualTo(normal[99]);
    }

    @Test
    void groundTruthRecordsStartAndEndTimesAndIsWrittenAsJsonLines() throws Exception {
        PlantSimulator simulator = simulator(4, Scenarios.defaults().toArray(FaultSpec[]::new));
        List<List<GroundTruth>> changes = new ArrayList<>();
        simulator.onGroundTruthChange(changes::add);
        for (int i = 0; i < 140; i++) { // 70 s: spike and stuck... stuck still active, drift active
            simulator.tick(T0.plus(Duration.ofMillis(500L * i)));
        }

        List<GroundTruth> truth = simulator.groundTruth();
        assertThat(truth).containsExactly(
                new GroundTruth("pump-1", "vibration", "spike", T0.plusSeconds(20), T0.plusMillis(20_500), 8),
                new GroundTruth("motor-1", "winding_temperature", "drift", T0.plusSeconds(35), null, 15),
                new GroundTruth("compressor-1", "discharge_pressure", "stuck", T0.plusSeconds(50), null, 0));
        assertThat(changes).hasSize(4); // spike start, spike end, drift start, stuck start
        assertThat(changes.get(1).get(0).end()).isEqualTo(T0.plusMillis(20_500));

        for (int i = 140; i < 240; i++) {
            simulator.tick(T0.plus(Duration.ofMillis(500L * i)));
        }
        assertThat(simulator.groundTruth()).extracting(GroundTruth::end).containsExactly(T0.plusMillis(20_500),
                T0.plusMillis(94_500), T0.plusMillis(79_500));

        StringWriter out = new StringWriter();
        GroundTruth.writeJsonLines(simulator.groundTruth(), out);
        String[] lines = out.toString().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).isEqualTo("{\"asset\":\"pump-1\",\"signal\":\"vibration\",\"fault\":\"spike\","
                + "\"start\":\"2025-01-01T00:00:20Z\",\"end\":\"2025-01-01T00:00:20.500Z\",\"magnitude\":8.0}");
        JsonNode drift = new ObjectMapper().readTree(lines[1]);
        assertThat(drift.get("fault").asText()).isEqualTo("drift");
        assertThat(Instant.parse(drift.get("start").asText())).isEqualTo(T0.plusSeconds(35));
        assertThat(new GroundTruth("a", "s", "stuck", T0, null, 0).toJson()).contains("\"end\":null");
    }

    @Test
    void groundTruthFileIsReplacedWhole() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("gt");
        java.nio.file.Path file = dir.resolve("sub/truth.jsonl");
        GroundTruth record = new GroundTruth("pump-1", "vibration", "spike", T0, T0, 8);

        GroundTruth.writeJsonLines(List.of(record, record), file);
        GroundTruth.writeJsonLines(List.of(record), file);

        assertThat(java.nio.file.Files.readAllLines(file)).containsExactly(record.toJson());
    }

    @Test
    void faultsMustNameSimulatedAssetsAndSignals() {
        assertThatThrownBy(() -> simulator(1, Scenarios.parse("pump-1/vibrations:spike@1*3").get(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fault pump-1/vibrations:spike@1+0*3: asset pump-1 has no signal 'vibrations' (signals:"
                        + " bearing_temperature, vibration, current, discharge_pressure, flow)");
        assertThatThrownBy(() -> simulator(1, Scenarios.parse("pump-9/vibration:spike@1*3").get(0)))
                .hasMessage("fault pump-9/vibration:spike@1+0*3: asset 'pump-9' is not simulated (assets: pump-1,"
                        + " motor-1, compressor-1)");
        assertThatThrownBy(() -> new PlantSimulator(1, RATE, List.of(), List.of("fan-1")))
                .hasMessage("asset 'fan-1': the id must start with pump, motor, compressor or conveyor");
        assertThatThrownBy(() -> new PlantSimulator(1, 0, List.of(), null))
                .hasMessage("sample rate 0.0 Hz must be in (0, 1000]");
    }
}

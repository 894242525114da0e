package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.testbed.rul.Cmapss;

class CmapssReplayTest {

    static final Path TRAIN = Path.of(System.getProperty("cmapss.dir", "../../shared/cmapss"), "train_FD001.txt");
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    /** Unit {@code id} with {@code cycles} rows; column c of cycle t (0-based) holds {@code id*1000 + t + c/100}. */
    static Cmapss.Unit unit(int id, int cycles) {
        List<double[]> rows = new java.util.ArrayList<>();
        for (int t = 0; t < cycles; t++) {
            double[] row = new double[Cmapss.COLUMNS.size()];
            for (int c = 0; c < row.length; c++) {
                row[c] = id * 1000 + t + c / 100.0;
            }
            rows.add(row);
        }
        return new Cmapss.Unit(id, rows);
    }

    static double value(int id, int cycle, String column) {
        return id * 1000 + cycle + Cmapss.COLUMNS.indexOf(column) / 100.0;
    }

    @Test
    void eachTickIsTheNextCycleOfEveryEngineWithTheModelsSignalNames() {
        CmapssReplay replay = new CmapssReplay(List.of(unit(3, 4), unit(7, 2)), CmapssReplay.FD001_FEATURES, 200,
                CmapssReplay.AtEnd.STOP);
        assertThat(replay.assets()).containsExactly("engine-3", "engine-7");
        assertThat(replay.periodMicros()).isEqualTo(200_000);
        assertThat(replay.samplesPerTick()).isEqualTo(28);

        for (int cycle = 0; cycle < 4; cycle++) {
            assertThat(replay.nextCycle("engine-3")).isEqualTo(cycle + 1);
            List<SimSample> samples = replay.tick(NOW.plusSeconds(cycle));
            int engines = cycle < 2 ? 2 : 1; // engine-7 has two cycles, then stops
            assertThat(samples).hasSize(14 * engines);
            for (int k = 0; k < 14; k++) {
                String signal = CmapssReplay.FD001_FEATURES.get(k);
                assertThat(samples.get(k)).isEqualTo(new SimSample("engine-3", signal, value(3, cycle, signal), "",
                        NOW.plusSeconds(cycle)));
                if (engines == 2) {
                    assertThat(samples.get(14 + k)).isEqualTo(new SimSample("engine-7", signal,
                            value(7, cycle, signal), "", NOW.plusSeconds(cycle)));
                }
            }
        }
        assertThat(replay.finished()).isTrue();
        assertThat(replay.nextCycle("engine-3")).isZero();
        assertThat(replay.tick(NOW)).isEmpty();
    }

    @Test
    void loopingEnginesStartAgainAfterTheirLastCycle() {
        CmapssReplay replay = new CmapssReplay(List.of(unit(1, 3)), List.of("setting1", "sensor21"), 5,
                CmapssReplay.AtEnd.LOOP);
        List<Double> setting1 = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) {
            List<SimSample> samples = replay.tick(NOW);
            assertThat(samples).extracting(SimSample::signal).containsExactly("setting1", "sensor21");
            setting1.add(samples.get(0).value());
        }
        assertThat(setting1).containsExactly(1000.0, 1001.0, 1002.0, 1000.0, 1001.0, 1002.0, 1000.0);
        assertThat(replay.laps("engine-1")).isEqualTo(2);
        assertThat(replay.nextCycle("engine-1")).isEqualTo(2);
        assertThat(replay.finished()).isFalse();
    }

    @Test
    void readsTheChosenUnitsOfAFileInTheGivenOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("train.txt");
        Cmapss.write(file, List.of(unit(1, 2), unit(2, 3), unit(3, 1)));

        CmapssReplay replay = CmapssReplay.of(file, List.of(3, 1), CmapssReplay.FD001_FEATURES, 200,
                CmapssReplay.AtEnd.STOP);
        assertThat(replay.assets()).containsExactly("engine-3", "engine-1");
        assertThat(replay.lifeCycles("engine-1")).isEqualTo(2);
        assertThat(CmapssReplay.of(file, List.of(), List.of("sensor2"), 1, CmapssReplay.AtEnd.STOP).assets())
                .containsExactly("engine-1", "engine-2", "engine-3");

        assertThatThrownBy(() -> CmapssReplay.of(file, List.of(9), CmapssReplay.FD001_FEATURES, 200,
                CmapssReplay.AtEnd.STOP)).hasMessageContaining("has no unit 9");
        assertThatThrownBy(() -> CmapssReplay.of(file, List.of(1, 1), CmapssReplay.FD001_FEATURES, 200,
                CmapssReplay.AtEnd.STOP)).hasMessageContaining("unit 1 is given twice");
        assertThatThrownBy(() -> CmapssReplay.of(file, List.of(1), List.of("sensor22"), 200,
                CmapssReplay.AtEnd.STOP)).hasMessageContaining("'sensor22' is not a C-MAPSS column");
        assertThatThrownBy(() -> CmapssReplay.of(file, List.of(1), List.of("sensor2"), 0, CmapssReplay.AtEnd.STOP))
                .hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> CmapssReplay.AtEnd.parse("again")).hasMessageContaining("expected loop or stop");
    }

    @Test
    void aValidationEngineOfFd001ReplaysItsWholeLifeInOrder() throws Exception {
        // engine 91: held out from training (model.json "validation_units"), 135 cycles to failure
        CmapssReplay replay = CmapssReplay.of(TRAIN, List.of(91), CmapssReplay.FD001_FEATURES, 200,
                CmapssReplay.AtEnd.STOP);
        Cmapss.Unit unit = Cmapss.read(TRAIN).stream().filter(u -> u.unit() == 91).findFirst().orElseThrow();
        double[][] expected = unit.select(CmapssReplay.FD001_FEATURES);
        assertThat(replay.lifeCycles("engine-91")).isEqualTo(135).isEqualTo(expected.length);
        for (double[] row : expected) {
            List<SimSample> samples = replay.tick(NOW);
            assertThat(samples).extracting(SimSample::asset).containsOnly("engine-91");
            assertThat(samples).extracting(SimSample::signal).containsExactlyElementsOf(CmapssReplay.FD001_FEATURES);
            assertThat(samples).extracting(SimSample::value).containsExactly(
                    java.util.Arrays.stream(row).boxed().toArray(Double[]::new));
        }
        assertThat(replay.finished()).isTrue();
    }
}

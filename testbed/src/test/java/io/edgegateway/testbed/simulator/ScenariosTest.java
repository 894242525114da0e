package io.edgegateway.testbed.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScenariosTest {

    @Test
    void parsesTheCompactForm() {
        assertThat(Scenarios.parse(" pump-1/vibration:spike@20+1*8 , motor-1/winding_temperature:DRIFT@35.5+60*-1.5,"
                + "compressor-1/discharge_pressure:stuck@50+30")).containsExactly(
                new FaultSpec("pump-1", "vibration", FaultType.SPIKE, 20, 1, 8),
                new FaultSpec("motor-1", "winding_temperature", FaultType.DRIFT, 35.5, 60, -1.5),
                new FaultSpec("compressor-1", "discharge_pressure", FaultType.STUCK, 50, 30, 0));
    }

    @Test
    void spikeWithoutDurationIsOneSampleAndStuckMayHaveZeroMagnitude() {
        assertThat(Scenarios.parse("pump-1/current:spike@5*4,pump-1/current:stuck@9+2*0")).containsExactly(
                new FaultSpec("pump-1", "current", FaultType.SPIKE, 5, 0, 4),
                new FaultSpec("pump-1", "current", FaultType.STUCK, 9, 2, 0));
    }

    @Test
    void noneOrEmptyIsNoFault() {
        assertThat(Scenarios.parse("none")).isEmpty();
        assertThat(Scenarios.parse("  ")).isEmpty();
        assertThat(Scenarios.parse(null)).isEmpty();
    }

    @Test
    void theDefaultScenarioHasOneFaultOfEachTypeAt20And35And50Seconds() {
        assertThat(Scenarios.defaults()).containsExactly(
                new FaultSpec("pump-1", "vibration", FaultType.SPIKE, 20, 1, 8),
                new FaultSpec("motor-1", "winding_temperature", FaultType.DRIFT, 35, 60, 15),
                new FaultSpec("compressor-1", "discharge_pressure", FaultType.STUCK, 50, 30, 0));
    }

    @Test
    void toStringIsTheCompactForm() {
        for (FaultSpec fault : Scenarios.defaults()) {
            assertThat(Scenarios.parse(fault.toString())).containsExactly(fault);
        }
        assertThat(Scenarios.defaults().get(0)).hasToString("pump-1/vibration:spike@20+1*8");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "pump-1vibration:spike@20+1*8 | fault 1 'pump-1vibration:spike@20+1*8': no '/' between asset and signal",
        "pump-1/vibration-spike@20+1*8 | fault 1 'pump-1/vibration-spike@20+1*8': no ':' before the fault type",
        "pump-1/vibration:spike20+1*8 | fault 1 'pump-1/vibration:spike20+1*8': no '@' before the start time",
        "pump-1/vibration:spik@20+1*8 | fault 1 'pump-1/vibration:spik@20+1*8': unknown fault type 'spik' (expected spike, drift, stuck, dropout, bearing_wear, cavitation or fouling)",
        "pump-1/vibration:spike@x+1*8 | fault 1 'pump-1/vibration:spike@x+1*8': start 'x' is not a number",
        "pump-1/vibration:spike@-3+1*8 | fault 1 'pump-1/vibration:spike@-3+1*8': start -3 must be >= 0",
        "pump-1/vibration:spike@3+1*NaN | fault 1 'pump-1/vibration:spike@3+1*NaN': magnitude 'NaN' is not a finite number",
        "pump-1/vibration:spike@3+1 | fault 1 'pump-1/vibration:spike@3+1': spike needs a magnitude ('*sigmas')",
        "pump-1/vibration:drift@3*2 | fault 1 'pump-1/vibration:drift@3*2': drift needs a duration ('+seconds')",
        "pump-1/vibration:drift@3+10 | fault 1 'pump-1/vibration:drift@3+10': drift needs a magnitude ('*units per minute')",
        "pump-1/vibration:stuck@3+10*2 | fault 1 'pump-1/vibration:stuck@3+10*2': stuck takes no magnitude (got 2.0)",
        "pump-1/vibration:stuck@3+0 | fault 1 'pump-1/vibration:stuck@3+0': fault pump-1/vibration (stuck): needs a duration > 0 (only a spike may last one sample)",
        "/vibration:spike@3*2 | fault 1 '/vibration:spike@3*2': empty asset",
        "pump-1/:spike@3*2 | fault 1 'pump-1/:spike@3*2': empty signal",
    })
    void badEntriesAreRejectedNamingTheProblem(String spec, String message) {
        assertThatThrownBy(() -> Scenarios.parse(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message + " (expected asset/signal:type@start+duration*magnitude,"
                        + " e.g. pump-1/vibration:spike@20+1*8)");
    }

    @Test
    void theBadEntryIsNumbered() {
        assertThatThrownBy(() -> Scenarios.parse("pump-1/current:spike@5*4,,pump-1/current:stuck@9+2"))
                .hasMessageStartingWith("fault 2 '': empty entry");
    }

    @Test
    void readsJsonScenarioFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("scenario.json");
        Files.writeString(file, """
                {"faults": [
                  {"asset": "pump-1", "signal": "vibration", "type": "spike", "start": 20, "duration": 1, "magnitude": 8},
                  {"asset": "motor-1", "signal": "current", "fault": "drift", "start": 5, "duration": 30, "magnitude": 2.5},
                  {"asset": "compressor-1", "signal": "current", "type": "stuck", "start": 0, "duration": 10}
                ]}""");

        assertThat(Scenarios.readJson(file)).containsExactly(
                new FaultSpec("pump-1", "vibration", FaultType.SPIKE, 20, 1, 8),
                new FaultSpec("motor-1", "current", FaultType.DRIFT, 5, 30, 2.5),
                new FaultSpec("compressor-1", "current", FaultType.STUCK, 0, 10, 0));
        assertThat(Scenarios.parseJson("[{\"asset\":\"pump-1\",\"signal\":\"current\",\"type\":\"spike\",\"start\":1,"
                + "\"magnitude\":3}]")).containsExactly(new FaultSpec("pump-1", "current", FaultType.SPIKE, 1, 0, 3));
    }

    @Test
    void badJsonIsRejectedNamingFileFaultAndProblem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "[{\"asset\":\"pump-1\",\"type\":\"spike\",\"start\":1,\"magnitude\":3}]");
        assertThatThrownBy(() -> Scenarios.readJson(file)).hasMessage(file + ": fault 1 "
                + "{\"asset\":\"pump-1\",\"type\":\"spike\",\"start\":1,\"magnitude\":3}: missing \"signal\"");

        assertThatThrownBy(() -> Scenarios.parseJson("[{\"asset\":\"a\",\"signal\":\"s\",\"type\":\"spike\","
                + "\"start\":\"soon\",\"magnitude\":3}]")).hasMessageEndingWith(": \"start\" must be a number, not \"soon\"");
        assertThatThrownBy(() -> Scenarios.parseJson("{\"fault\": []}"))
                .hasMessage("expected an array of faults, or an object with a \"faults\" array");
        assertThatThrownBy(() -> Scenarios.parseJson("[{")).hasMessageStartingWith("not valid JSON: ");
        assertThatThrownBy(() -> Scenarios.parseJson("[{\"asset\":\"a\",\"signal\":\"s\",\"type\":\"wobble\","
                + "\"start\":1}]")).hasMessageEndingWith("unknown fault type 'wobble' (expected spike, drift, stuck, dropout, bearing_wear, cavitation or fouling)");
    }
}

package io.edgegateway.connector.opcua.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgegateway.api.Quality;
import io.edgegateway.api.TelemetrySample;

class GapMarkerTest {

    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void oneBadSampleWithTheLastValuePerItemHoweverManyLossEventsReportTheSameOutage() {
        GapMarker g = new GapMarker("opcua:plant");
        g.onValue("pump-1", "flow", "m3/h", 41.5, Quality.GOOD, true);
        g.onValue("pump-1", "flow", "m3/h", 42.0, Quality.GOOD, true);
        g.onValue("pump-1", "vibration", "mm/s", 2.5, Quality.UNCERTAIN, true);

        List<TelemetrySample> marks = g.open(T);
        assertThat(g.open(T.plusSeconds(1))).as("transfer failed after session lost: same outage").isEmpty();
        assertThat(g.open(T.plusSeconds(2))).as("watchdog: same outage").isEmpty();

        assertThat(marks).hasSize(2).allSatisfy(s -> {
            assertThat(s.quality()).isEqualTo(Quality.BAD);
            assertThat(s.sourceId()).isEqualTo("opcua:plant");
            assertThat(s.sourceTime()).isEqualTo(T);
            assertThat(Double.isFinite(s.value())).as("finite: nothing downstream sees NaN").isTrue();
        });
        assertThat(marks).filteredOn(s -> s.signal().equals("flow")).singleElement()
                .satisfies(s -> {
                    assertThat(s.value()).isEqualTo(42.0);
                    assertThat(s.unit()).isEqualTo("m3/h");
                });
        assertThat(g.marked()).isEqualTo(2);
        assertThat(g.open()).isEqualTo(2);
    }

    @Test
    void theFirstValueThatIsNotBadEndsAnItemsGapAndTheNextOutageIsMarkedAgain() {
        GapMarker g = new GapMarker("opcua:plant");
        g.onValue("pump-1", "flow", "m3/h", 40, Quality.GOOD, true);
        g.onValue("pump-1", "discharge_pressure", "bar", 6, Quality.GOOD, true);
        for (int restart = 1; restart <= 5; restart++) {
            assertThat(g.open(T)).hasSize(2);
            g.onValue("pump-1", "flow", "m3/h", Double.NaN, Quality.BAD, true); // a bad value does not end the gap
            assertThat(g.open()).isEqualTo(2);
            g.onValue("pump-1", "flow", "m3/h", 40 + restart, Quality.GOOD, true);
            assertThat(g.open()).isEqualTo(1);
            g.onValue("pump-1", "discharge_pressure", "bar", 6, Quality.GOOD, true);
            assertThat(g.open()).isZero();
        }
        assertThat(g.marked()).isEqualTo(10);
        assertThat(g.ended()).isEqualTo(10);
    }

    @Test
    void noItemsNoMarksAndAnItemThatNeverHadAUsableValueIsMarkedWithNaN() {
        GapMarker g = new GapMarker("opcua:plant");
        assertThat(g.open(T)).isEmpty();
        g.onValue("pump-1", "flow", "m3/h", Double.NaN, Quality.BAD, true);
        assertThat(g.open(T)).singleElement().satisfies(s -> {
            assertThat(s.quality()).isEqualTo(Quality.BAD);
            assertThat(s.value()).isNaN();
        });
    }

    @Test
    void anItemNoLongerMonitoredGetsNoMoreGapMarks() {
        GapMarker g = new GapMarker("opcua:plant");
        g.onValue("pump-1", "flow", "m3/h", 40, Quality.GOOD, true);
        g.onValue("pump-4", "flow", "m3/h", 30, Quality.GOOD, true);
        g.forget("pump-4", "flow");
        assertThat(g.open(T)).singleElement().satisfies(s -> assertThat(s.assetId()).isEqualTo("pump-1"));
        assertThat(g.open()).isEqualTo(1);
    }

    @Test
    void aValueDeliveredLateWhileTheSessionIsDownDoesNotEndTheGap() {
        GapMarker g = new GapMarker("opcua:plant");
        g.onValue("pump-1", "flow", "m3/h", 40, Quality.GOOD, true);
        assertThat(g.open(T)).hasSize(1); // session lost
        // Milo's delivery thread hands over a value received before the loss: it is the last value, not the end
        g.onValue("pump-1", "flow", "m3/h", 41, Quality.GOOD, false);
        assertThat(g.open(T)).as("the same outage's next loss event marks nothing").isEmpty();
        g.onValue("pump-1", "flow", "m3/h", 42, Quality.GOOD, true); // back: the gap ends
        assertThat(g.ended()).isEqualTo(1);
        assertThat(g.open(T)).singleElement().satisfies(s -> assertThat(s.value()).isEqualTo(42));
    }
}

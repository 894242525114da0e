package io.edgegateway.rules.health.internal.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class HealthModelTest {

    private static final int SIGNALS = 10;

    private static HealthModel learnt(SyntheticPlant plant) {
        return HealthModelLearner.learn(plant.names(), plant.rows(3000), HealthModelSettings.defaults());
    }

    @Test
    void normalOperationStaysQuiet() {
        SyntheticPlant plant = new SyntheticPlant(SIGNALS, 1);
        HealthModel model = learnt(plant);
        HealthMonitor monitor = model.newMonitor();
        AlarmState alarm = AlarmState.defaults();
        int activeTicks = 0;
        for (int t = 0; t < 10_000; t++) {
            alarm.update(monitor.update(plant.next(1)));
            activeTicks += alarm.active() ? 1 : 0;
        }
        // limits at 0.5 % split over 13 statistics: the alarm state is active on well under 2 % of normal ticks
        assertThat(activeTicks).isLessThan(200);
    }

    @Test
    void aSlowSustainedDriftRaisesHoldsAndClearsAndNamesTheSignal() {
        SyntheticPlant plant = new SyntheticPlant(SIGNALS, 2);
        HealthModel model = learnt(plant);
        HealthMonitor monitor = model.newMonitor();
        AlarmState alarm = AlarmState.defaults();
        for (int t = 0; t < 500; t++) {
            alarm.update(monitor.update(plant.next(1)));
        }
        boolean wasActiveBeforeTheFault = alarm.active();
        // signal s3 drifts up by 0.01 per tick (its normal spread is about 1): an adaptive detector adopts this
        int raisedAt = -1;
        int activeAfterRaise = 0;
        int ticksAfterRaise = 0;
        for (int t = 0; t < 3000; t++) {
            double[] x = plant.next(1);
            x[3] += 0.01 * t;
            AlarmState.Transition tr = alarm.update(monitor.update(x));
            if (tr == AlarmState.Transition.RAISED && raisedAt < 0) {
                raisedAt = t;
            }
            if (raisedAt >= 0) {
                ticksAfterRaise++;
                activeAfterRaise += alarm.active() ? 1 : 0;
            }
        }
        assertThat(wasActiveBeforeTheFault).isFalse();
        assertThat(raisedAt).as("tick the drift was detected").isBetween(0, 600);
        // the model is frozen: the alarm is held for the whole fault instead of fading as the drift is learnt
        assertThat(activeAfterRaise).isEqualTo(ticksAfterRaise);
        Assessment assessment = monitor.assessment();
        assertThat(assessment.top(1).get(0).signal()).isEqualTo("s3");
        assertThat(assessment.top(1).get(0).direction()).isEqualTo("above");
        // what the model expects of s3 (given the other signals) stays in s3's normal range (mean 13, sd ~2),
        // while s3 itself is 30 units above it
        assertThat(assessment.top(1).get(0).expected()).isCloseTo(13.0, org.assertj.core.data.Offset.offset(4.0));
        assertThat(assessment.top(1).get(0).sigmas()).isGreaterThan(5);

        // back to normal: cleared within a few windows
        int clearedAfter = -1;
        for (int t = 0; t < 200 && clearedAfter < 0; t++) {
            if (alarm.update(monitor.update(plant.next(1))) == AlarmState.Transition.CLEARED) {
                clearedAfter = t;
            }
        }
        assertThat(clearedAfter).as("ticks until cleared").isBetween(1, 60);
    }

    @Test
    void moreNoiseAtANormalLevelIsCaughtByTheDynamicsStatistic() {
        SyntheticPlant plant = new SyntheticPlant(SIGNALS, 3);
        HealthModel model = learnt(plant);
        HealthMonitor monitor = model.newMonitor();
        for (int t = 0; t < 200; t++) {
            monitor.update(plant.next(1));
        }
        int over = 0;
        String worst = null;
        for (int t = 0; t < 400; t++) {
            if (monitor.update(plant.next(4)) > 1) {
                over++;
                worst = monitor.assessment().worst();
            }
        }
        assertThat(over).isGreaterThan(300);
        assertThat(worst).isIn("dynamics", "level-spe");
    }

    @Test
    void aBrokenCorrelationIsCaughtAlthoughEverySignalStaysInItsNormalRange() {
        SyntheticPlant plant = new SyntheticPlant(SIGNALS, 4);
        HealthModel model = learnt(plant);
        HealthMonitor monitor = model.newMonitor();
        int over = 0;
        for (int t = 0; t < 400; t++) {
            double[] x = plant.next(1);
            x[0] = 10 + (x[1] - 11); // s0 follows s1 instead of its own mix of the factors, around its own mean
            double index = monitor.update(x);
            if (t >= 50 && index > 1) {
                over++;
            }
        }
        assertThat(over).isGreaterThan(300);
    }

    @Test
    void learningNamesWhatIsWrong() {
        SyntheticPlant plant = new SyntheticPlant(3, 5);
        double[][] rows = plant.rows(300);
        rows[17][1] = Double.NaN;
        assertThatThrownBy(() -> HealthModelLearner.learn(plant.names(), rows, HealthModelSettings.defaults()))
                .hasMessageContaining("row 17").hasMessageContaining("'s1'");
        assertThatThrownBy(() -> HealthModelLearner.learn(plant.names(), plant.rows(50),
                HealthModelSettings.defaults())).hasMessageContaining("at least 110 ticks");
        assertThatThrownBy(() -> new HealthModelSettings(0.9, 0.99, 0, 20, 0.005, 5))
                .hasMessageContaining("'level.window' = 0");
        assertThatThrownBy(() -> HealthModelLearner.learn(List.of("a", "b"), plant.rows(300),
                HealthModelSettings.defaults())).hasMessageContaining("row 0 has 3 values, expected 2");
    }

    @Test
    void theLearntModelIsIndependentOfWhatTheMonitorSeesLater() {
        SyntheticPlant plant = new SyntheticPlant(SIGNALS, 6);
        HealthModel model = learnt(plant);
        double[] limits = new double[model.statistics()];
        for (int i = 0; i < limits.length; i++) {
            limits[i] = model.limit(i);
        }
        HealthMonitor monitor = model.newMonitor();
        for (int t = 0; t < 1000; t++) {
            double[] x = plant.next(3);
            x[2] += 50;
            monitor.update(x);
        }
        for (int i = 0; i < limits.length; i++) {
            assertThat(model.limit(i)).isEqualTo(limits[i]);
        }
        // a fresh monitor of the same model starts clean
        HealthMonitor fresh = model.newMonitor();
        assertThat(fresh.update(plant.next(1))).isLessThan(monitor.index());
    }
}

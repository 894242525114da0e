package io.edgegateway.rules.health.internal.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.edgegateway.rules.health.internal.model.AlarmState.Transition;

class AlarmStateTest {

    @Test
    void aLoneTickOverTheLimitDoesNotRaise() {
        AlarmState alarm = new AlarmState(2, 3, 2, 1.0);
        assertThat(alarm.update(5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(5)).isEqualTo(Transition.NONE);
        assertThat(alarm.active()).isFalse();
    }

    @Test
    void raisesOnKOfNHoldsAndClearsAfterMTicksUnderTheHysteresis() {
        AlarmState alarm = new AlarmState(2, 3, 3, 0.8);
        assertThat(alarm.update(1.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.2)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(1.5)).isEqualTo(Transition.RAISED);
        assertThat(alarm.activeTicks()).isEqualTo(1);
        // under the limit but above the hysteresis: held
        for (int i = 0; i < 10; i++) {
            assertThat(alarm.update(0.9)).isEqualTo(Transition.NONE);
        }
        assertThat(alarm.active()).isTrue();
        assertThat(alarm.activeTicks()).isEqualTo(11);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(2.0)).isEqualTo(Transition.NONE); // the run under is broken
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(0.5)).isEqualTo(Transition.CLEARED);
        assertThat(alarm.active()).isFalse();
        assertThat(alarm.activeTicks()).isZero();
        // the ticks before the clear do not count towards the next raise
        assertThat(alarm.update(1.5)).isEqualTo(Transition.NONE);
        assertThat(alarm.update(1.5)).isEqualTo(Transition.RAISED);
    }

    @Test
    void settingsAreChecked() {
        assertThatThrownBy(() -> new AlarmState(4, 3, 1, 1)).hasMessageContaining("'raise.count' = 4");
        assertThatThrownBy(() -> new AlarmState(1, 64, 1, 1)).hasMessageContaining("'raise.window' = 64");
        assertThatThrownBy(() -> new AlarmState(1, 3, 0, 1)).hasMessageContaining("'clear.ticks' = 0");
        assertThatThrownBy(() -> new AlarmState(1, 3, 1, 1.5)).hasMessageContaining("'clear.below' = 1.5");
    }
}

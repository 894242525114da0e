package io.edgegateway.llm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModelSlotsTest {

    @Test
    void theNewestVersionServesAndRemovingItRollsBack() {
        ModelSlots<String> slots = new ModelSlots<>();
        assertThat(slots.add(new ModelSlots.Slot<>("rul", "1.0.0", 10, "v1"))).isEmpty();
        assertThat(slots.add(new ModelSlots.Slot<>("rul", "1.10.0", 11, "v1.10")).map(ModelSlots.Slot::model))
                .contains("v1");
        slots.add(new ModelSlots.Slot<>("rul", "1.2.0", 12, "v1.2"));
        slots.add(new ModelSlots.Slot<>("other", "9.0.0", 13, "o"));
        assertThat(slots.current("rul").map(ModelSlots.Slot::model)).contains("v1.10");
        assertThat(slots.remove(11).map(ModelSlots.Slot::model)).contains("v1.10");
        assertThat(slots.current("rul").map(ModelSlots.Slot::model)).contains("v1.2");
        slots.remove(12);
        assertThat(slots.current("rul").map(ModelSlots.Slot::model)).contains("v1");
        slots.remove(10);
        assertThat(slots.current("rul")).isEmpty();
        assertThat(slots.current("other")).isPresent();
    }

    @Test
    void sameVersionTheLaterInstalledWins() {
        ModelSlots<String> slots = new ModelSlots<>();
        slots.add(new ModelSlots.Slot<>("rul", "1.0.0.SNAPSHOT", 20, "a"));
        slots.add(new ModelSlots.Slot<>("rul", "1.0.0.SNAPSHOT", 21, "b"));
        assertThat(slots.current("rul").map(ModelSlots.Slot::model)).contains("b");
        assertThat(ModelSlots.compareVersions("1.0.0", "1.0.0.SNAPSHOT")).isNegative();
        assertThat(ModelSlots.compareVersions("2", "1.9.9")).isPositive();
    }
}

package io.edgegateway.rules.health.internal.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class HealthModelJsonTest {

    private static byte[] json(HealthModel model) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        HealthModelJson.write(model, Map.of("asset", "pump-1", "generation", "2"), out);
        return out.toByteArray();
    }

    @Test
    void aModelReadBackJudgesExactlyAsTheOriginal() throws IOException {
        SyntheticPlant plant = new SyntheticPlant(8, 11);
        HealthModel model = HealthModelLearner.learn(plant.names(), plant.rows(1000), HealthModelSettings.defaults());
        HealthModelJson.Loaded back = HealthModelJson.read(new ByteArrayInputStream(json(model)), "pump-1.g2.json");
        assertThat(back.meta()).containsEntry("asset", "pump-1").containsEntry("generation", "2");
        assertThat(back.model().signals()).isEqualTo(model.signals());
        assertThat(back.model().settings()).isEqualTo(model.settings());
        HealthMonitor a = model.newMonitor();
        HealthMonitor b = back.model().newMonitor();
        for (int t = 0; t < 500; t++) {
            double[] x = plant.next(t > 250 ? 3 : 1);
            assertThat(b.update(x)).isEqualTo(a.update(x));
        }
        assertThat(b.assessment()).isEqualTo(a.assessment());
    }

    @Test
    void aDamagedFileIsRefusedNamingTheFileAndTheField() throws IOException {
        SyntheticPlant plant = new SyntheticPlant(3, 12);
        HealthModel model = HealthModelLearner.learn(plant.names(), plant.rows(300), HealthModelSettings.defaults());
        String text = new String(json(model), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> read(text.replace("\"retained\":", "\"retained\":\"x\",\"was\":"))).hasMessageContaining(
                "m.json: level.retained: expected a number");
        assertThatThrownBy(() -> read(text.replace("\"limits\":[", "\"limits\":[1,"))).hasMessageContaining(
                "m.json: limits: expected 6 numbers, got 7");
        assertThatThrownBy(() -> read(text.replace(HealthModelJson.FORMAT, "other/9"))).hasMessageContaining(
                "m.json: format: expected 'edge-gateway-health-model/1'");
        assertThatThrownBy(() -> read(text.substring(0, text.length() / 2))).hasMessageContaining(
                "m.json: malformed JSON");
    }

    private static HealthModelJson.Loaded read(String text) throws IOException {
        return HealthModelJson.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "m.json");
    }
}

package io.edgegateway.rules.health.internal.model;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A small process for the tests: {@code signals} sensors driven by 3 slow latent factors (AR(1), so neighbouring
 * ticks are correlated as in a plant) plus independent sensor noise. Seeded: every run is the same.
 */
final class SyntheticPlant {

    private final Random random;
    private final double[][] mixing;
    private final double[] latent = new double[3];
    private final int signals;

    SyntheticPlant(int signals, long seed) {
        this.signals = signals;
        this.random = new Random(seed);
        Random structure = new Random(42);
        mixing = new double[signals][3];
        for (double[] row : mixing) {
            for (int k = 0; k < 3; k++) {
                row[k] = structure.nextGaussian();
            }
        }
    }

    List<String> names() {
        return IntStream.range(0, signals).mapToObj(i -> "s" + i).toList();
    }

    /** The next tick; {@code noiseScale} multiplies the sensor noise (1: normal). */
    double[] next(double noiseScale) {
        for (int k = 0; k < 3; k++) {
            latent[k] = 0.9 * latent[k] + Math.sqrt(1 - 0.81) * random.nextGaussian();
        }
        double[] x = new double[signals];
        for (int j = 0; j < signals; j++) {
            double v = 10 + j;
            for (int k = 0; k < 3; k++) {
                v += mixing[j][k] * latent[k];
            }
            x[j] = v + 0.3 * noiseScale * random.nextGaussian();
        }
        return x;
    }

    double[][] rows(int n) {
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = next(1);
        }
        return rows;
    }
}

package io.edgegateway.rules.health.internal.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

class ReferencePcaTest {

    /** Independent rows of a correlated Gaussian: the textbook limits hold their confidence on new data. */
    @Test
    void theoreticalLimitsHoldTheirConfidenceOnIndependentGaussianRows() {
        Random random = new Random(7);
        double[][] mixing = new double[8][3];
        for (double[] row : mixing) {
            for (int k = 0; k < 3; k++) {
                row[k] = random.nextGaussian();
            }
        }
        ReferencePca pca = ReferencePca.fit(rows(random, mixing, 2000), 0.9, 0.99);
        int alarms = 0;
        double[][] fresh = rows(random, mixing, 20_000);
        for (double[] row : fresh) {
            alarms += pca.alarm(row) ? 1 : 0;
        }
        // two statistics at 99 % each: about 2 % of rows, not 0 and not much more
        assertThat(alarms / 20_000.0).isBetween(0.01, 0.035);
        // a broken correlation is seen by SPE
        double[] row = fresh[0].clone();
        row[0] += 3;
        row[1] -= 3;
        assertThat(pca.alarm(row)).isTrue();
    }

    private static double[][] rows(Random random, double[][] mixing, int n) {
        double[][] rows = new double[n][mixing.length];
        for (int i = 0; i < n; i++) {
            double[] f = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian()};
            for (int j = 0; j < mixing.length; j++) {
                rows[i][j] = 5 + mixing[j][0] * f[0] + mixing[j][1] * f[1] + mixing[j][2] * f[2]
                        + 0.2 * random.nextGaussian();
            }
        }
        return rows;
    }
}

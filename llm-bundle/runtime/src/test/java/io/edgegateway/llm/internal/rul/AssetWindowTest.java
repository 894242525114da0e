package io.edgegateway.llm.internal.rul;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AssetWindowTest {

    @Test
    void rowsCloseWhenCompleteAndTheWindowSlides() {
        AssetWindow w = new AssetWindow(2, 3);
        w.offer(0, 1);
        assertThat(w.rowsAppended()).isZero();
        w.offer(1, 10);
        for (int c = 2; c <= 5; c++) {
            w.offer(1, 10 * c); // any order within a cycle
            w.offer(0, c);
        }
        assertThat(w.rowsAppended()).isEqualTo(5);
        assertThat(w.rows()).isEqualTo(new double[][] {{3, 30}, {4, 40}, {5, 50}});
    }

    @Test
    void aMissingFeatureIsCarriedOverWhenTheNextCycleStarts() {
        AssetWindow w = new AssetWindow(2, 5);
        w.offer(0, 1);
        w.offer(0, 2); // no complete row yet: nothing to carry over, dropped
        w.offer(1, 20);
        w.offer(0, 3); // feature 1 did not report: carried over
        w.offer(0, 4);
        assertThat(w.rows()).isEqualTo(new double[][] {{2, 20}, {3, 20}});
    }
}

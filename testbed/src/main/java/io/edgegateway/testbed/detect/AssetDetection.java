package io.edgegateway.testbed.detect;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import io.edgegateway.rules.health.internal.model.AlarmState;
import io.edgegateway.rules.health.internal.model.Assessment;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthModelSettings;
import io.edgegateway.rules.health.internal.model.HealthMonitor;

/**
 * {@code detect --detector asset}: every numeric column is one signal of one asset; the first {@code trainRows}
 * rows are normal operation, learnt and then frozen; every row (the learnt ones too) is then scored by the frozen
 * model with the gateway's default alarm state. The caller fills empty cells with the signal's previous value
 * (the last value per signal, as the gateway aligns an asset's signals into one vector per tick).
 */
final class AssetDetection {

    /** Counts of a run, for the summary line. */
    record Summary(int alarmRows, int raised, int components) {
    }

    private AssetDetection() {
    }

    /** {@code rows}: one vector per row, gaps already filled ({@link CsvTable#rowsCarriedForward}). */
    static Summary run(List<String> signals, double[][] rows, int trainRows, List<String> times, Writer out)
            throws IOException {
        double[][] learning = new double[trainRows][];
        System.arraycopy(rows, 0, learning, 0, trainRows);
        HealthModel model;
        try {
            model = HealthModelLearner.learn(signals, learning, HealthModelSettings.defaults());
        } catch (IllegalArgumentException e) {
            throw new DetectCommand.DetectException("cannot learn from the first " + trainRows + " rows: " + e.getMessage());
        }
        HealthMonitor monitor = model.newMonitor();
        AlarmState alarm = AlarmState.defaults();
        int alarmRows = 0;
        int raised = 0;
                for (int r = 0; r < rows.length; r++) {
            double index = monitor.update(rows[r]);
            raised += alarm.update(index) == AlarmState.Transition.RAISED ? 1 : 0;
            alarmRows += alarm.active() ? 1 : 0;
            out.write(times.get(r));
            out.write(String.format(Locale.ROOT, ",%.6f,%d,", index, alarm.active() ? 1 : 0));
            if (index > 1) {
                Assessment a = monitor.assessment();
                out.write(a.top(3).stream().map(c -> String.format(Locale.ROOT, "%s%+.1f", c.signal(), c.sigmas()))
                        .collect(Collectors.joining(";")));
            }
            out.write('\n');
        }
        return new Summary(alarmRows, raised, model.levelComponents());
    }
}

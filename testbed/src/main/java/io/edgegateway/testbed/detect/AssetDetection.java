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
 * model with the gateway's default alarm state. A cell that is empty or not a number takes the signal's previous
 * value (the last value per signal, as the gateway aligns an asset's signals into one vector per tick); a signal
 * with no value yet in the learning rows is an error naming it.
 */
final class AssetDetection {

    /** Counts of a run, for the summary line. */
    record Summary(int alarmRows, int raised, int components) {
    }

    private AssetDetection() {
    }

    static Summary run(List<String> signals, double[][] rows, int trainRows, String[] times, Writer out)
            throws IOException {
        if (trainRows > rows.length) {
            throw new DetectCommand.DetectException("--train-rows " + trainRows + " is more than the " + rows.length
                    + " rows of the file");
        }
        carryForward(signals, rows, trainRows);
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
            out.write(times[r]);
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

    /** Empty or non-numeric cells (NaN) take the signal's previous value. */
    private static void carryForward(List<String> signals, double[][] rows, int trainRows) {
        for (int j = 0; j < signals.size(); j++) {
            int first = -1;
            for (int r = 0; r < rows.length; r++) {
                if (Double.isNaN(rows[r][j])) {
                    if (r > 0 && first >= 0) {
                        rows[r][j] = rows[r - 1][j];
                    }
                } else if (first < 0) {
                    first = r;
                }
            }
            if (first < 0 || first >= trainRows) {
                throw new DetectCommand.DetectException("column '" + signals.get(j) + "' has no number in the first " + trainRows
                        + " rows (the learning rows)");
            }
            for (int r = 0; r < first; r++) {
                rows[r][j] = rows[first][j];
            }
        }
    }
}

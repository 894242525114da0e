package io.edgegateway.testbed.tep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.edgegateway.rules.health.internal.model.AlarmState;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthMonitor;
import io.edgegateway.rules.health.internal.model.ReferencePca;

/**
 * Scores a monitor on the Tennessee Eastman test files by the usual protocol (Chiang, Russell &amp; Braatz 2001):
 * false-alarm rate on {@code d00_te.dat} (and, reported beside it, on rows 1-160 of the fault files), fault
 * detection rate = share of rows 161-960 in alarm, detection delay = first alarm row after the fault's start.
 * Each file is a fresh run of a fresh monitor: what it learnt is frozen, its windows start empty.
 */
public final class TepEvaluation {

    /** Says, row by row, whether the monitor is in alarm. One instance per file. */
    public interface RowMonitor {
        boolean alarm(double[] row);
    }

    public record FaultResult(int fault, double fdr, int delayRows) {
    }

    public record Result(double far, double farFirst160, double avgFdr18, double avgFdr21, double medianDelayRows,
                         List<FaultResult> perFault) {

        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("far", round(far));
            m.put("far_fault_files_first_160", round(farFirst160));
            m.put("avg_fdr_18", round(avgFdr18));
            m.put("avg_fdr_21", round(avgFdr21));
            m.put("median_delay_rows", medianDelayRows);
            List<Map<String, Object>> faults = new ArrayList<>();
            for (FaultResult f : perFault) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("fault", f.fault());
                e.put("fdr", round(f.fdr()));
                e.put("delay_rows", f.delayRows() < 0 ? null : f.delayRows());
                faults.add(e);
            }
            m.put("per_fault", faults);
            return m;
        }

        public FaultResult fault(int k) {
            return perFault.get(k - 1);
        }
    }

    private TepEvaluation() {
    }

    /** The health model as the gateway runs it: a fresh monitor and the default alarm state per file. */
    public static Supplier<RowMonitor> healthModel(HealthModel model) {
        return () -> {
            HealthMonitor monitor = model.newMonitor();
            AlarmState alarm = AlarmState.defaults();
            return row -> {
                alarm.update(monitor.update(row));
                return alarm.active();
            };
        };
    }

    /** The textbook reference: a row is in alarm when T² or SPE is over its limit. */
    public static Supplier<RowMonitor> reference(ReferencePca pca) {
        return () -> pca::alarm;
    }

    public static Result evaluate(Path dir, Supplier<RowMonitor> monitors) throws IOException {
        double[][] normal = TepData.test(dir, 0);
        RowMonitor m0 = monitors.get();
        int falseAlarms = 0;
        for (double[] row : normal) {
            falseAlarms += m0.alarm(row) ? 1 : 0;
        }
        int early = 0;
        int earlyRows = 0;
        List<FaultResult> results = new ArrayList<>();
        for (int fault = 1; fault <= 21; fault++) {
            double[][] rows = TepData.test(dir, fault);
            RowMonitor m = monitors.get();
            int detected = 0;
            int first = -1;
            for (int r = 0; r < rows.length; r++) {
                boolean alarm = m.alarm(rows[r]);
                if (r < TepData.FAULT_START_ROW) {
                    early += alarm ? 1 : 0;
                    earlyRows++;
                } else if (alarm) {
                    detected++;
                    if (first < 0) {
                        first = r - TepData.FAULT_START_ROW;
                    }
                }
            }
            results.add(new FaultResult(fault, detected / (double) (rows.length - TepData.FAULT_START_ROW), first));
        }
        double sum18 = 0;
        double sum21 = 0;
        List<Integer> delays = new ArrayList<>();
        for (FaultResult f : results) {
            sum21 += f.fdr();
            if (!TepData.UNDETECTABLE.contains(f.fault())) {
                sum18 += f.fdr();
                if (f.delayRows() >= 0) {
                    delays.add(f.delayRows());
                }
            }
        }
        return new Result(falseAlarms / (double) normal.length, early / (double) earlyRows, sum18 / 18, sum21 / 21,
                median(delays), results);
    }

    static double median(List<Integer> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        int[] v = values.stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    static double round(double x) {
        return Math.round(x * 10000) / 10000.0;
    }
}

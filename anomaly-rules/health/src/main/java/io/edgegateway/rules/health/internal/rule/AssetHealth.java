package io.edgegateway.rules.health.internal.rule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Detection;
import io.edgegateway.api.Quality;
import io.edgegateway.api.Severity;
import io.edgegateway.api.TelemetrySample;
import io.edgegateway.rules.health.internal.model.AlarmState;
import io.edgegateway.rules.health.internal.model.Assessment;
import io.edgegateway.rules.health.internal.model.HealthModel;
import io.edgegateway.rules.health.internal.model.HealthModelLearner;
import io.edgegateway.rules.health.internal.model.HealthMonitor;

/**
 * One asset under a health-model rule: aligns its signals into one vector per tick, learns its normal behaviour,
 * freezes the model and then judges every tick with it, holding an alarm.
 *
 * <p><b>Ticks.</b> Time is the samples' source time. A tick ends at a multiple of {@code tick.ms}; the first sample
 * at or after the end closes it, with the last value of each signal before it. Ticks without any sample are not
 * made up (counted as skipped). A tick is <i>incomplete</i> when a signal's last good value is older than
 * {@code signal.timeout.ms} at the tick's end, or its last sample was BAD: such a tick is neither learnt nor judged,
 * and the signal is named in the health status until it reports again.
 *
 * <p><b>Learning.</b> The first {@code learn.duration} complete ticks after commissioning are learnt; a signal that
 * first appears while learning restarts it (the model's signals are fixed when it is frozen); the model is fitted
 * on the executor (never on the pipeline's thread) and stored; meanwhile ticks are not judged. After the freeze
 * nothing is learnt: new signals are ignored (named in the status). A model stored for this asset and generation
 * is used at once, without learning.
 *
 * <p>Thread-safe: the pipeline calls {@link #accept} for every signal of the asset (one thread at a time in
 * practice); the health reporter reads {@link #status} from another thread.
 */
public final class AssetHealth {

    public enum Phase { LEARNING, FITTING, MONITORING, FAILED }

    /**
     * What the health reporter shows of an asset: its state, and counters of ticks closed, incomplete (a stale or
     * BAD signal), skipped (no sample at all) and learning restarts (a new signal while learning).
     */
    public record Status(String assetId, Phase phase, List<String> staleSignals, List<String> ignoredSignals,
                         Instant alarmSince, String problem, long ticks, long ticksIncomplete, long ticksSkipped,
                         long learningRestarts) {
    }

    /** Where frozen models go, and what happens when a fit or a store fails (logging, counters). */
    public interface Listener {
        void learnt(String assetId, HealthModel model, long fitMillis);

        void failed(String assetId, String problem, Exception cause);
    }

    private static final class Slot {
        double value = Double.NaN;
        long lastGoodMillis = Long.MIN_VALUE;
        boolean bad;
    }

    private final String assetId;
    private final HealthRuleSettings settings;
    private final Executor fitter;
    private final Listener listener;
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    private long tickEnd = Long.MIN_VALUE;
    private Phase phase = Phase.LEARNING;
    private List<String> learningSignals = new ArrayList<>();
    private List<double[]> learnt = new ArrayList<>();
    private CompletableFuture<HealthModel> fit;
    private HealthModel model;
    private HealthMonitor monitor;
    private AlarmState alarm;
    private Instant alarmSince;
    private String alarmSignal;
    private String problem = "";
    private final TreeSet<String> stale = new TreeSet<>();
    private final TreeSet<String> ignored = new TreeSet<>();

    long ticks;
    long ticksIncomplete;
    long ticksSkipped;
    long learningRestarts;

    public AssetHealth(String assetId, HealthRuleSettings settings, HealthModel stored, Executor fitter,
                       Listener listener) {
        this.assetId = assetId;
        this.settings = settings;
        this.fitter = fitter;
        this.listener = listener;
        if (stored != null) {
            freeze(stored);
        }
    }

    public synchronized Detection accept(TelemetrySample sample) {
        long t = sample.sourceTime().toEpochMilli();
        Detection detection = null;
        if (tickEnd == Long.MIN_VALUE) {
            tickEnd = Math.floorDiv(t, settings.tickMillis()) * settings.tickMillis() + settings.tickMillis();
        } else if (t >= tickEnd) {
            detection = closeTick();
            long next = Math.floorDiv(t, settings.tickMillis()) * settings.tickMillis() + settings.tickMillis();
            ticksSkipped += (next - tickEnd) / settings.tickMillis() - 1;
            tickEnd = next;
        }
        record(sample, t);
        return detection;
    }

    private void record(TelemetrySample sample, long t) {
        Slot slot = slots.get(sample.signal());
        if (slot == null) {
            if (phase != Phase.LEARNING) {
                if (model == null || !model.signals().contains(sample.signal())) {
                    ignored.add(sample.signal());
                    return;
                }
            }
            slot = new Slot();
            slots.put(sample.signal(), slot);
        }
        boolean usable = sample.quality() != Quality.BAD && sample.quality().ordinal() <= settings.minQuality().ordinal()
                && Double.isFinite(sample.value());
        if (usable) {
            slot.value = sample.value();
            slot.lastGoodMillis = Math.max(slot.lastGoodMillis, t);
            slot.bad = false;
        } else if (sample.quality() == Quality.BAD) {
            slot.bad = true;
        }
    }

    /** Judges (or learns) the tick that just ended; a detection when the alarm changed. */
    private Detection closeTick() {
        ticks++;
        if (phase == Phase.FITTING && fit != null) {
            installFitWhenDone();
        }
        List<String> signals = phase == Phase.LEARNING ? new ArrayList<>(slots.keySet()) : modelSignals();
        stale.clear();
        double[] x = new double[signals.size()];
        for (int j = 0; j < signals.size(); j++) {
            Slot slot = slots.get(signals.get(j));
            if (slot == null || slot.bad || slot.lastGoodMillis == Long.MIN_VALUE
                    || tickEnd - slot.lastGoodMillis > settings.signalTimeoutMillis()) {
                stale.add(signals.get(j));
            } else {
                x[j] = slot.value;
            }
        }
        if (!stale.isEmpty() || signals.isEmpty()) {
            ticksIncomplete++;
            return null;
        }
        return switch (phase) {
            case LEARNING -> {
                learn(signals, x);
                yield null;
            }
            case MONITORING -> judge(x);
            default -> null;
        };
    }

    private List<String> modelSignals() {
        return model != null ? model.signals() : learningSignals;
    }

    private void learn(List<String> signals, double[] x) {
        if (!signals.equals(learningSignals)) {
            if (!learnt.isEmpty()) {
                learningRestarts++;
            }
            learningSignals = List.copyOf(signals);
            learnt = new ArrayList<>();
        }
        learnt.add(x);
        if (learnt.size() >= settings.learnTicks()) {
            double[][] rows = learnt.toArray(new double[0][]);
            List<String> names = learningSignals;
            learnt = new ArrayList<>(); // the learning data is not kept once handed to the fit
            phase = Phase.FITTING;
            fit = CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                HealthModel m = HealthModelLearner.learn(names, rows, settings.model());
                listener.learnt(assetId, m, (System.nanoTime() - start) / 1_000_000);
                return m;
            }, fitter);
        }
    }

    private void installFitWhenDone() {
        if (!fit.isDone()) {
            return;
        }
        try {
            freeze(fit.join());
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            phase = Phase.FAILED;
            problem = "could not learn: " + cause.getMessage();
            listener.failed(assetId, problem, cause instanceof Exception ex ? ex : e);
        }
        fit = null;
    }

    private void freeze(HealthModel frozen) {
        fit = null;
        learnt = new ArrayList<>();
        model = frozen;
        monitor = frozen.newMonitor();
        alarm = new AlarmState(settings.raiseCount(), settings.raiseWindow(), settings.clearTicks(),
                settings.clearBelow());
        phase = Phase.MONITORING;
        slots.keySet().retainAll(frozen.signals());
    }

    private Detection judge(double[] x) {
        double index = monitor.update(x);
        AlarmState.Transition transition = alarm.update(index);
        Instant at = Instant.ofEpochMilli(tickEnd);
        if (transition == AlarmState.Transition.RAISED) {
            Assessment a = monitor.assessment();
            alarmSince = at;
            alarmSignal = a.contributions().get(0).signal();
            List<Contribution> contributions = a.top(settings.maxContributions()).stream()
                    .map(c -> new Contribution(c.signal(), c.score(), c.sigmas(), c.expected())).toList();
            return new Detection(settings.severity(), index, 1.0, raisedMessage(a), alarmSignal, AlertState.RAISED,
                    alarmSince, contributions);
        }
        if (transition == AlarmState.Transition.CLEARED) {
            Instant since = alarmSince;
            alarmSince = null;
            return new Detection(Severity.INFO, index, 1.0, "back to normal after "
                    + human(Duration.between(since, at)), alarmSignal, AlertState.CLEARED, since, List.of());
        }
        return null;
    }

    private String raisedMessage(Assessment a) {
        String signals = a.top(3).stream().filter(c -> c.score() > 0.5)
                .map(c -> String.format(Locale.ROOT, "%s %.1f sd %s expected", c.signal(), Math.abs(c.sigmas()),
                        c.direction()))
                .collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "abnormal against its learnt normal behaviour (%s %.1fx its limit)%s",
                a.worst(), a.index(), signals.isEmpty() ? "" : ": " + signals);
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) {
            return s + " s";
        }
        if (s < 7200) {
            return (s / 60) + " min";
        }
        return String.format(Locale.ROOT, "%.1f h", s / 3600.0);
    }

    /**
     * Hot swap: judges from the next tick on with {@code replacement} (a fitted model of the asset's type), with a
     * fresh window and alarm state. An alarm active before the swap is not cleared by it: the new model raises it
     * again if the asset is still abnormal.
     */
    public synchronized void swap(HealthModel replacement) {
        freeze(java.util.Objects.requireNonNull(replacement, "replacement"));
    }

    /** {@link #swap} unless {@code replacement} is the model already in use. */
    public synchronized void adopt(HealthModel replacement) {
        if (replacement != model) {
            swap(replacement);
        }
    }

    public synchronized Status status() {
        return new Status(assetId, phase, List.copyOf(stale), List.copyOf(ignored),
                alarm != null && alarm.active() ? alarmSince : null, problem, ticks, ticksIncomplete, ticksSkipped,
                learningRestarts);
    }

    synchronized HealthModel model() {
        return model;
    }
}

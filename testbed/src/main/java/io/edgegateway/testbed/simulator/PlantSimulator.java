package io.edgegateway.testbed.simulator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A small plant: pumps, motors, compressors and conveyors (see {@link AssetModel}) with injected sensor faults
 * (spike, drift, stuck, dropout) and slow degradations (bearing wear, cavitation, fouling).
 *
 * <p>A degradation changes the asset's model (its severity grows linearly from 0 at the start to the magnitude at
 * the end, then the asset counts as repaired); its ground truth is one record per signal it changes. A dropout
 * marks the signal's samples {@link SimSample#dropout()}: publishers leave them out or publish a bad status.
 *
 * <p>Deterministic: for a seed, a sample rate, the assets and the faults, the n-th call of {@link #tick(Instant)}
 * always returns the same values. The tick index drives the physics and the fault timing (simulated time
 * {@code t = index / sampleRateHz}); the {@code now} passed to {@code tick} only stamps the samples and the ground
 * truth, so the values do not depend on how the caller paces the ticks.
 *
 * <p>Faults change the reported value, not the model's state: a drift on a current does not heat the motor. While
 * a fault is active the simulator records its ground truth ({@link #groundTruth()}).
 *
 * <p>Not thread-safe: tick it from one thread (the publisher's). {@link #groundTruth()} returns a snapshot.
 */
public final class PlantSimulator implements SampleSource {

    /** Assets simulated when none are given. */
    public static final List<String> DEFAULT_ASSETS = List.of("pump-1", "motor-1", "compressor-1");

    private static final double EPSILON = 1e-9;

    private final double sampleRateHz;
    private final double dt;
    private final List<AssetModel> models = new ArrayList<>();
    private final double[][] truth;
    private final double[][] reported;
    private final List<ActiveFault> faults = new ArrayList<>();
    private final List<GroundTruth> groundTruth = new ArrayList<>();
    private final boolean[][] dropped;
    private Consumer<List<GroundTruth>> groundTruthListener;
    private long index;

    /**
     * @param seed         seed of all randomness
     * @param sampleRateHz samples per second per signal, in (0, 1000]
     * @param faults       faults to inject; each must name a simulated asset and one of its signals
     * @param assets       asset ids, each starting with {@code pump}, {@code motor} or {@code compressor}, e.g.
     *                     {@code pump-1}; empty or null for {@link #DEFAULT_ASSETS}
     * @throws IllegalArgumentException for an unknown asset kind, a duplicate asset, or a fault naming something not
     *                                  simulated
     */
    public PlantSimulator(long seed, double sampleRateHz, List<FaultSpec> faults, List<String> assets) {
        if (!(sampleRateHz > 0 && sampleRateHz <= 1000)) {
            throw new IllegalArgumentException("sample rate " + sampleRateHz + " Hz must be in (0, 1000]");
        }
        this.sampleRateHz = sampleRateHz;
        this.dt = 1.0 / sampleRateHz;
        List<String> ids = assets == null || assets.isEmpty() ? DEFAULT_ASSETS : assets;
        if (new LinkedHashSet<>(ids).size() != ids.size()) {
            throw new IllegalArgumentException("duplicate asset in " + ids);
        }
        for (String id : ids) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("empty asset id in " + ids);
            }
            models.add(AssetModel.create(id.trim(), seed));
        }
        truth = new double[models.size()][];
        reported = new double[models.size()][];
        dropped = new boolean[models.size()][];
        for (int a = 0; a < models.size(); a++) {
            truth[a] = new double[models.get(a).signals().size()];
            reported[a] = new double[truth[a].length];
            dropped[a] = new boolean[truth[a].length];
        }
        for (FaultSpec fault : faults == null ? List.<FaultSpec>of() : faults) {
            this.faults.add(resolve(fault));
        }
    }

    private ActiveFault resolve(FaultSpec fault) {
        for (int a = 0; a < models.size(); a++) {
            AssetModel model = models.get(a);
            if (model.id.equals(fault.asset())) {
                List<SignalDef> signals = model.signals();
                if (fault.type().isDegradation()) {
                    if (!model.degrades(fault.type())) {
                        throw new IllegalArgumentException("fault " + fault + ": asset " + fault.asset()
                                + " cannot have " + fault.type().id() + " (bearing_wear: pumps and conveyors; "
                                + "cavitation: pumps; fouling: compressors)");
                    }
                    return new ActiveFault(fault, a, -1, 0);
                }
                for (int s = 0; s < signals.size(); s++) {
                    if (signals.get(s).name().equals(fault.signal())) {
                        return new ActiveFault(fault, a, s, signals.get(s).noiseSigma());
                    }
                }
                throw new IllegalArgumentException("fault " + fault + ": asset " + fault.asset() + " has no signal '"
                        + fault.signal() + "' (signals: " + signals.stream().map(SignalDef::name)
                        .collect(Collectors.joining(", ")) + ")");
            }
        }
        throw new IllegalArgumentException("fault " + fault + ": asset '" + fault.asset() + "' is not simulated (assets: "
                + assets().stream().collect(Collectors.joining(", ")) + ")");
    }

    @Override
    public List<String> assets() {
        return models.stream().map(m -> m.id).toList();
    }

    /** The signals of an asset. */
    public List<SignalDef> signals(String asset) {
        for (AssetModel model : models) {
            if (model.id.equals(asset)) {
                return model.signals();
            }
        }
        throw new IllegalArgumentException("asset '" + asset + "' is not simulated");
    }

    public double sampleRateHz() {
        return sampleRateHz;
    }

    @Override
    public int samplesPerTick() {
        return models.stream().mapToInt(m -> m.signals().size()).sum();
    }

    @Override
    public long periodMicros() {
        return Math.max(1, Math.round(1_000_000 / sampleRateHz));
    }

    /** The faults to inject, as given. */
    public List<FaultSpec> faults() {
        return faults.stream().map(f -> f.spec).toList();
    }

    /** Ticks done so far. */
    public long tickCount() {
        return index;
    }

    /** Simulated seconds of the next tick ({@code tickCount() / sampleRateHz}). */
    public double simulatedSeconds() {
        return index / sampleRateHz;
    }

    /** Called, on the ticking thread, with a snapshot of {@link #groundTruth()} whenever a fault starts or ends. */
    public void onGroundTruthChange(Consumer<List<GroundTruth>> listener) {
        this.groundTruthListener = listener;
    }

    /** The faults that have started so far, in start order; {@code end} is null for those still active. */
    public List<GroundTruth> groundTruth() {
        return List.copyOf(groundTruth);
    }

    /**
     * Advances one sample period and returns one sample per signal per asset (assets in order, signals in the order
     * of {@link #signals(String)}), stamped {@code now}.
     */
    @Override
    public List<SimSample> tick(Instant now) {
        Objects.requireNonNull(now, "now");
        double t = index * dt;
        for (AssetModel model : models) {
            model.wear = 0;
            model.cavitation = 0;
            model.fouling = 0;
        }
        boolean changed = false;
        for (ActiveFault fault : faults) {
            if (fault.spec.type().isDegradation()) {
                changed |= fault.apply(t, now);
            }
        }
        for (int a = 0; a < models.size(); a++) {
            AssetModel model = models.get(a);
            model.step(t, dt, truth[a]);
            List<SignalDef> signals = model.signals();
            for (int s = 0; s < truth[a].length; s++) {
                truth[a][s] += signals.get(s).noiseSigma() * model.noise(s).nextGaussian();
            }
            java.util.Arrays.fill(dropped[a], false);
        }
        for (ActiveFault fault : faults) {
            if (!fault.spec.type().isDegradation()) {
                changed |= fault.apply(t, now);
            }
        }
        List<SimSample> samples = new ArrayList<>();
        for (int a = 0; a < models.size(); a++) {
            AssetModel model = models.get(a);
            List<SignalDef> signals = model.signals();
            for (int s = 0; s < truth[a].length; s++) {
                SignalDef signal = signals.get(s);
                double value = round(truth[a][s], signal.resolution());
                if (dropped[a][s]) {
                    samples.add(new SimSample(model.id, signal.name(), value, signal.unit(), now, true));
                    continue; // a stuck fault after the dropout freezes the last value really reported
                }
                reported[a][s] = value;
                samples.add(new SimSample(model.id, signal.name(), value, signal.unit(), now));
            }
        }
        index++;
        if (changed && groundTruthListener != null) {
            groundTruthListener.accept(groundTruth());
        }
        return samples;
    }

    private static double round(double value, double resolution) {
        double rounded = Math.rint(value / resolution) * resolution;
        // strip the binary noise of the multiplication (0.1 * 3 = 0.30000000000000004)
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(resolution)));
        return Math.rint(rounded * Math.pow(10, decimals)) / Math.pow(10, decimals);
    }

    /** A fault being injected: writes its effect into {@code truth} before rounding. */
    private final class ActiveFault {
        final FaultSpec spec;
        final int asset;
        final int signal;
        final double sigma;
        double frozen;
        int truthIndex = -1;
        /** Ground-truth records of a degradation, one per signal it changes. */
        final List<Integer> truthIndexes = new ArrayList<>();
        boolean ended;
        Instant lastActive;

        ActiveFault(FaultSpec spec, int asset, int signal, double sigma) {
            this.spec = spec;
            this.asset = asset;
            this.signal = signal;
            this.sigma = sigma;
        }

        /** Applies the fault at simulated time t; true when its ground truth changed (started or ended). */
        boolean apply(double t, Instant now) {
            if (ended) {
                return false;
            }
            // at least one sample, even when the duration is shorter than a sample period
            double end = spec.startSeconds() + Math.max(spec.durationSeconds(), dt);
            boolean active = t >= spec.startSeconds() - EPSILON && t < end - EPSILON;
            boolean started = truthIndex >= 0;
            if (!active) {
                if (started) {
                    ended = true;
                    for (int i : truthIndexes) {
                        GroundTruth record = groundTruth.get(i);
                        groundTruth.set(i, new GroundTruth(record.asset(), record.signal(), record.fault(),
                                record.start(), lastActive, record.magnitude()));
                    }
                    return true;
                }
                return false;
            }
            boolean changed = false;
            if (spec.type().isDegradation()) {
                AssetModel model = models.get(asset);
                if (!started) {
                    truthIndex = groundTruth.size();
                    for (String name : model.degradedSignals(spec.type())) {
                        truthIndexes.add(groundTruth.size());
                        groundTruth.add(new GroundTruth(spec.asset(), name, spec.type().id(), now, null,
                                spec.magnitude()));
                    }
                    changed = true;
                }
                double severity = spec.magnitude() * Math.min(1, (t - spec.startSeconds())
                        / Math.max(spec.durationSeconds(), dt));
                switch (spec.type()) {
                    case BEARING_WEAR -> model.wear += severity;
                    case CAVITATION -> model.cavitation += severity;
                    case FOULING -> model.fouling += severity;
                    default -> throw new IllegalStateException(spec.type().id());
                }
                lastActive = now;
                return changed;
            }
            if (!started) {
                truthIndexes.add(groundTruth.size());
                frozen = index == 0 ? round(truth[asset][signal], models.get(asset).signals().get(signal).resolution())
                        : reported[asset][signal];
                truthIndex = groundTruth.size();
                groundTruth.add(new GroundTruth(spec.asset(), spec.signal(), spec.type().id(), now, null,
                        spec.magnitude()));
                changed = true;
            }
            switch (spec.type()) {
                case SPIKE -> truth[asset][signal] += spec.magnitude() * sigma;
                case DRIFT -> truth[asset][signal] += spec.magnitude() * (t - spec.startSeconds()) / 60.0;
                case STUCK -> truth[asset][signal] = frozen;
                case DROPOUT -> dropped[asset][signal] = true;
                default -> throw new IllegalStateException(spec.type().id());
            }
            lastActive = now;
            return changed;
        }
    }
}

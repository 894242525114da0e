package io.edgegateway.testbed.simulator;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The physics-ish model of one asset. Each asset draws from its own random generator, seeded from the simulator's
 * seed and the asset id, so an asset's values do not depend on which other assets are simulated.
 *
 * <p>Every asset has a load (1 = nominal): a slow sine (period 10 min) plus an Ornstein-Uhlenbeck wander
 * (time constant 60 s). Currents follow the load; temperatures follow the copper/friction losses (proportional to
 * the square of the load) through a first-order thermal lag, so a current rise shows in the temperature minutes
 * later; vibration and pressure rise a little with the load. Measurement noise is white and Gaussian.
 *
 * <p>Slow degradation (set by the simulator before each step, 0 = healthy): {@link #wear} (bearing wear: vibration
 * and bearing temperature creep up), {@link #cavitation} (pump: discharge pressure oscillates, flow drops) and
 * {@link #fouling} (compressor: discharge temperature creeps up). They change the model's state, unlike faults.
 */
abstract class AssetModel {

    private static final double AMBIENT = 25.0;

    final String id;
    final Random random;
    /** Noise of signals added after the first release, so the older signals keep their values for a seed. */
    final Random extraRandom;
    double wear;
    double cavitation;
    double fouling;
    /** Simulated seconds of the current step. */
    double time;
    private final double phase;
    private double wander;
    double load;

    AssetModel(String id, long seed) {
        this.id = id;
        this.random = new Random(mix(seed, id));
        this.extraRandom = new Random(mix(seed, id + "#extra"));
        this.phase = random.nextDouble() * 2 * Math.PI;
        this.load = loadAt(0);
    }

    /**
     * The model for an asset id that starts with {@code pump}, {@code motor}, {@code compressor} or
     * {@code conveyor}.
     */
    static AssetModel create(String id, long seed) {
        String kind = id.toLowerCase(Locale.ROOT);
        if (kind.startsWith("pump")) {
            return new Pump(id, seed);
        }
        if (kind.startsWith("motor")) {
            return new Motor(id, seed);
        }
        if (kind.startsWith("compressor")) {
            return new Compressor(id, seed);
        }
        if (kind.startsWith("conveyor")) {
            return new Conveyor(id, seed);
        }
        throw new IllegalArgumentException("asset '" + id + "': the id must start with pump, motor, compressor or "
                + "conveyor");
    }

    abstract List<SignalDef> signals();

    /** The random generator of signal {@code index}'s noise. */
    Random noise(int index) {
        return index < legacySignals() ? random : extraRandom;
    }

    /** Signals whose noise comes from {@link #random} (the first ones); later ones draw from {@link #extraRandom}. */
    int legacySignals() {
        return signals().size();
    }

    /** Whether the asset can have {@code mode} (bearing_wear, cavitation or fouling). */
    abstract boolean degrades(FaultType mode);

    /** The signals a degradation mode changes. */
    List<String> degradedSignals(FaultType mode) {
        return switch (mode) {
            case BEARING_WEAR -> List.of("vibration", "bearing_temperature");
            case CAVITATION -> List.of("discharge_pressure", "flow");
            case FOULING -> List.of("discharge_temperature");
            default -> List.of();
        };
    }

    /**
     * Advances the model to simulated time {@code t} (one sample period {@code dt} later) and writes the noiseless
     * true value of each signal into {@code out}, in the order of {@link #signals()}.
     */
    final void step(double t, double dt, double[] out) {
        // Ornstein-Uhlenbeck: stationary standard deviation 0.02, time constant 60 s
        double tau = 60;
        wander += -wander * dt / tau + 0.02 * Math.sqrt(2 * dt / tau) * random.nextGaussian();
        load = loadAt(t) + wander;
        time = t;
        advance(dt, out);
    }

    abstract void advance(double dt, double[] out);

    private double loadAt(double t) {
        return 1.0 + 0.04 * Math.sin(2 * Math.PI * t / 600 + phase);
    }

    /** First-order lag of {@code value} towards {@code target} over {@code dt} with time constant {@code tau}. */
    static double lag(double value, double target, double dt, double tau) {
        return value + (target - value) * (1 - Math.exp(-dt / tau));
    }

    private static long mix(long seed, String id) {
        long z = seed * 0x9E3779B97F4A7C15L + id.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Centrifugal pump: bearing temperature ~55 degC (lag 180 s), vibration ~2.5 mm/s, 42 A, 6.2 bar, flow ~120 m3/h.
     * Bearing wear (1 = fully worn) adds up to 25 degC and doubles the vibration; cavitation (1 = severe) makes the
     * discharge pressure oscillate by up to 0.8 bar (period 3 s), cuts the flow by up to 30 % and adds vibration.
     */
    static final class Pump extends AssetModel {
        private static final List<SignalDef> SIGNALS = List.of(
                new SignalDef("bearing_temperature", "degC", 0.15, 0.01),
                new SignalDef("vibration", "mm/s", 0.12, 0.001),
                new SignalDef("current", "A", 0.4, 0.01),
                new SignalDef("discharge_pressure", "bar", 0.04, 0.001),
                new SignalDef("flow", "m3/h", 0.5, 0.01));
        private double bearing;

        Pump(String id, long seed) {
            super(id, seed);
            bearing = bearingTarget();
        }

        private double bearingTarget() {
            return AMBIENT + 30 * load * load + 25 * wear;
        }

        @Override
        List<SignalDef> signals() {
            return SIGNALS;
        }

        @Override
        int legacySignals() {
            return 4;
        }

        @Override
        boolean degrades(FaultType mode) {
            return mode == FaultType.BEARING_WEAR || mode == FaultType.CAVITATION;
        }

        @Override
        void advance(double dt, double[] out) {
            bearing = lag(bearing, bearingTarget(), dt, 180);
            out[0] = bearing;
            out[1] = 2.5 * (0.85 + 0.15 * load) * (1 + wear + 0.3 * cavitation);
            out[2] = 42 * load;
            out[3] = 6.2 * (0.9 + 0.1 * load) + 0.8 * cavitation * Math.sin(2 * Math.PI * time / 3);
            out[4] = 120 * load * (1 - 0.3 * cavitation);
        }
    }

    /** Induction motor: winding temperature ~70 degC (lag 300 s), vibration ~1.8 mm/s, 28 A. */
    static final class Motor extends AssetModel {
        private static final List<SignalDef> SIGNALS = List.of(
                new SignalDef("winding_temperature", "degC", 0.2, 0.01),
                new SignalDef("vibration", "mm/s", 0.1, 0.001),
                new SignalDef("current", "A", 0.3, 0.01));
        private double winding;

        Motor(String id, long seed) {
            super(id, seed);
            winding = windingTarget();
        }

        private double windingTarget() {
            return AMBIENT + 45 * load * load;
        }

        @Override
        List<SignalDef> signals() {
            return SIGNALS;
        }

        @Override
        boolean degrades(FaultType mode) {
            return false;
        }

        @Override
        void advance(double dt, double[] out) {
            winding = lag(winding, windingTarget(), dt, 300);
            out[0] = winding;
            out[1] = 1.8 * (0.9 + 0.1 * load);
            out[2] = 28 * load;
        }
    }

    /**
     * Screw compressor: discharge pressure ~8 bar follows the load, the current (~65 A) the pressure, and the
     * discharge temperature (~85 degC, lag 90 s) the pressure ratio. Fouling (1 = heavily fouled cooler) adds up to
     * 20 degC to the discharge temperature.
     */
    static final class Compressor extends AssetModel {
        private static final List<SignalDef> SIGNALS = List.of(
                new SignalDef("discharge_temperature", "degC", 0.25, 0.01),
                new SignalDef("discharge_pressure", "bar", 0.06, 0.001),
                new SignalDef("current", "A", 0.6, 0.01));
        private double temperature;

        Compressor(String id, long seed) {
            super(id, seed);
            temperature = temperatureTarget(pressure());
        }

        private double pressure() {
            return 8.0 * (0.85 + 0.15 * load);
        }

        private double temperatureTarget(double pressure) {
            return 40 + 45 * pressure / 8.0 + 20 * fouling;
        }

        @Override
        boolean degrades(FaultType mode) {
            return mode == FaultType.FOULING;
        }

        @Override
        List<SignalDef> signals() {
            return SIGNALS;
        }

        @Override
        void advance(double dt, double[] out) {
            double pressure = pressure();
            temperature = lag(temperature, temperatureTarget(pressure), dt, 90);
            out[0] = temperature;
            out[1] = pressure;
            out[2] = 65 * (0.3 + 0.7 * pressure / 8.0);
        }
    }

    /**
     * Belt conveyor drive: motor current ~18 A, belt speed ~1.5 m/s (drops a little under load), vibration ~2.0 mm/s,
     * drive-end bearing temperature ~45 degC (lag 240 s). Bearing wear adds up to 25 degC and doubles the vibration.
     */
    static final class Conveyor extends AssetModel {
        private static final List<SignalDef> SIGNALS = List.of(
                new SignalDef("current", "A", 0.2, 0.01),
                new SignalDef("speed", "m/s", 0.005, 0.001),
                new SignalDef("vibration", "mm/s", 0.1, 0.001),
                new SignalDef("bearing_temperature", "degC", 0.15, 0.01));
        private double bearing;

        Conveyor(String id, long seed) {
            super(id, seed);
            bearing = bearingTarget();
        }

        private double bearingTarget() {
            return AMBIENT + 20 * load * load + 25 * wear;
        }

        @Override
        List<SignalDef> signals() {
            return SIGNALS;
        }

        @Override
        boolean degrades(FaultType mode) {
            return mode == FaultType.BEARING_WEAR;
        }

        @Override
        void advance(double dt, double[] out) {
            bearing = lag(bearing, bearingTarget(), dt, 240);
            out[0] = 18 * load;
            out[1] = 1.5 * (1.02 - 0.02 * load);
            out[2] = 2.0 * (0.9 + 0.1 * load) * (1 + wear);
            out[3] = bearing;
        }
    }
}

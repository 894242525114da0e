package io.edgegateway.testbed.simulator;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import io.edgegateway.testbed.rul.Cmapss;

/**
 * Replays NASA C-MAPSS engines as plant assets: engine {@code u} of the file is asset {@code engine-<u>}, and each
 * tick publishes its next cycle, one sample per signal (a C-MAPSS column: {@code setting1..3},
 * {@code sensor1..21}), stamped with the tick's time. All engines advance together, one cycle per
 * {@link #periodMicros()}. At an engine's last cycle (its failure) it starts again from its first cycle
 * ({@link AtEnd#LOOP}) or stops publishing ({@link AtEnd#STOP}).
 *
 * <p>Not thread-safe: tick it from one thread (the publisher's); {@link #finished()} may be asked from any thread.
 */
public final class CmapssReplay implements SampleSource {

    /** Asset ids are this prefix and the unit number. */
    public static final String ASSET_PREFIX = "engine-";
    /** The FD001 training file, relative to the repository root (where {@code ./gateway} runs). */
    public static final Path DEFAULT_FILE = Path.of("../shared/cmapss/train_FD001.txt");
    /**
     * The features of the gateway's RUL model {@code rul-cmapss-fd001} ({@code model.json} "features"): the sensors
     * that change as an FD001 engine wears; the other columns are constant or nearly so.
     */
    public static final List<String> FD001_FEATURES = List.of("sensor2", "sensor3", "sensor4", "sensor7", "sensor8",
            "sensor9", "sensor11", "sensor12", "sensor13", "sensor14", "sensor15", "sensor17", "sensor20", "sensor21");

    /**
     * {@link #DEFAULT_FILE}; when that does not exist here (run from elsewhere than the repository root), the same
     * file next to the repository of the distribution named by the system property {@code gateway.dist}.
     */
    public static Path defaultFile() {
        String dist = System.getProperty("gateway.dist");
        if (!java.nio.file.Files.exists(DEFAULT_FILE) && dist != null) {
            // <root>/gateway-runtime/target/gateway -> <root>/../shared/cmapss/train_FD001.txt
            Path candidate = Path.of(dist).toAbsolutePath().normalize().resolve("../../..").resolve(DEFAULT_FILE)
                    .normalize();
            if (java.nio.file.Files.exists(candidate)) {
                return candidate;
            }
        }
        return DEFAULT_FILE;
    }

    /** What an engine does after its last cycle. */
    public enum AtEnd {
        LOOP, STOP;

        /** {@code loop} or {@code stop} (case-insensitive). */
        public static AtEnd parse(String text) {
            for (AtEnd a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown end-of-life behaviour '" + text + "' (expected loop or stop)");
        }
    }

    private final List<Engine> engines = new ArrayList<>();
    private final List<String> signals;
    private final long periodMicros;
    private final AtEnd atEnd;
    private volatile boolean finished;

    private static final class Engine {
        final String asset;
        final double[][] rows; // the selected signals, cycle by cycle
        int next; // index of the next cycle to publish
        int laps;

        Engine(String asset, double[][] rows) {
            this.asset = asset;
            this.rows = rows;
        }
    }

    /**
     * @param units       the engines to replay (e.g. {@link Cmapss#read}), in the order given
     * @param signals     C-MAPSS columns to publish as signals, e.g. {@link #FD001_FEATURES}
     * @param cycleMillis milliseconds between cycles, at least 1
     * @param atEnd       what an engine does after its last cycle
     * @throws IllegalArgumentException for no units, an unknown column, a unit without cycles or a bad period
     */
    public CmapssReplay(List<Cmapss.Unit> units, List<String> signals, long cycleMillis, AtEnd atEnd) {
        if (units.isEmpty()) {
            throw new IllegalArgumentException("no C-MAPSS engines to replay");
        }
        if (cycleMillis < 1) {
            throw new IllegalArgumentException("cycle period " + cycleMillis + " ms must be at least 1 ms");
        }
        if (signals.isEmpty() || new LinkedHashSet<>(signals).size() != signals.size()) {
            throw new IllegalArgumentException("C-MAPSS signals must be distinct and not empty: " + signals);
        }
        for (String s : signals) {
            if (!Cmapss.COLUMNS.contains(s)) {
                throw new IllegalArgumentException("'" + s + "' is not a C-MAPSS column (" + String.join(", ",
                        Cmapss.COLUMNS) + ")");
            }
        }
        this.signals = List.copyOf(signals);
        this.periodMicros = cycleMillis * 1000;
        this.atEnd = atEnd;
        for (Cmapss.Unit u : units) {
            if (engines.stream().anyMatch(e -> e.asset.equals(ASSET_PREFIX + u.unit()))) {
                throw new IllegalArgumentException("C-MAPSS unit " + u.unit() + " is given twice");
            }
            if (u.rows().isEmpty()) {
                throw new IllegalArgumentException("C-MAPSS unit " + u.unit() + " has no cycles");
            }
            engines.add(new Engine(ASSET_PREFIX + u.unit(), u.select(this.signals)));
        }
    }

    /**
     * Reads {@code file} and replays the units with the given ids, in that order (all units of the file when
     * {@code unitIds} is empty).
     *
     * @throws IllegalArgumentException for a unit the file does not have, or options as in the constructor
     * @throws IOException              when the file cannot be read
     */
    public static CmapssReplay of(Path file, List<Integer> unitIds, List<String> signals, long cycleMillis,
                                  AtEnd atEnd) throws IOException {
        List<Cmapss.Unit> all = Cmapss.read(file);
        if (unitIds.isEmpty()) {
            return new CmapssReplay(all, signals, cycleMillis, atEnd);
        }
        Map<Integer, Cmapss.Unit> byId = all.stream().collect(Collectors.toMap(Cmapss.Unit::unit,
                Function.identity()));
        List<Cmapss.Unit> chosen = new ArrayList<>();
        for (int id : unitIds) {
            Cmapss.Unit u = byId.get(id);
            if (u == null) {
                throw new IllegalArgumentException("C-MAPSS file " + file + " has no unit " + id + " (units 1.."
                        + all.size() + ")");
            }
            chosen.add(u);
        }
        return new CmapssReplay(chosen, signals, cycleMillis, atEnd);
    }

    @Override
    public List<String> assets() {
        return engines.stream().map(e -> e.asset).toList();
    }

    /** The published signals (C-MAPSS column names), in the order of each tick's samples. */
    public List<String> signals() {
        return signals;
    }

    @Override
    public int samplesPerTick() {
        return engines.size() * signals.size();
    }

    @Override
    public long periodMicros() {
        return periodMicros;
    }

    /** Cycles of an engine's life in the file. */
    public int lifeCycles(String asset) {
        return engine(asset).rows.length;
    }

    /**
     * The cycle (1-based, as in the file) the engine's next tick publishes; 0 once a stopped engine has published
     * its last cycle.
     */
    public int nextCycle(String asset) {
        Engine e = engine(asset);
        return e.next < e.rows.length ? e.next + 1 : 0;
    }

    /** How many times the engine has started again from its first cycle. */
    public int laps(String asset) {
        return engine(asset).laps;
    }

    /** True when every engine has stopped (only with {@link AtEnd#STOP}). */
    public boolean finished() {
        return finished;
    }

    /**
     * One cycle of every running engine: its samples, engines in order, signals in the order of {@link #signals()}.
     * Empty once {@link #finished()}.
     */
    @Override
    public List<SimSample> tick(Instant now) {
        List<SimSample> out = new ArrayList<>(samplesPerTick());
        for (Engine e : engines) {
            if (e.next >= e.rows.length) {
                continue; // stopped at its end of life
            }
            double[] row = e.rows[e.next];
            for (int k = 0; k < row.length; k++) {
                out.add(new SimSample(e.asset, signals.get(k), row[k], "", now));
            }
            e.next++;
            if (e.next == e.rows.length && atEnd == AtEnd.LOOP) {
                e.next = 0;
                e.laps++;
            }
        }
        finished = engines.stream().allMatch(e -> e.next >= e.rows.length);
        return out;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "C-MAPSS replay of %s (%s), one cycle every %d ms, %s at the end of life",
                engines.stream().map(e -> e.asset + ": " + e.rows.length + " cycles").toList(),
                String.join(",", signals), periodMicros / 1000, atEnd.name().toLowerCase(Locale.ROOT));
    }

    private Engine engine(String asset) {
        for (Engine e : engines) {
            if (e.asset.equals(asset)) {
                return e;
            }
        }
        throw new IllegalArgumentException("asset '" + asset + "' is not replayed");
    }
}

package io.edgegateway.llm.internal.explain.knowledge;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import io.edgegateway.api.Alert;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Quality;
import io.edgegateway.api.TelemetrySample;

/**
 * Builds the {@link ExplainContext} of an alert from the recent history of the asset's signals.
 *
 * <p>{@link #record} is fed every sample (from the pipeline worker threads, via a detector tap like the RUL
 * estimator's): it appends to a small per-(asset, signal) ring buffer under that buffer's own lock, so it costs
 * microseconds and contends only with a {@link #build} of the same signal. The number of series is bounded; samples of
 * series beyond the bound are ignored. {@link #build} runs on the explainer's thread.
 *
 * <p>How the numbers are made (sigma always from our history, robust, so one detector's notion of "normal" does not
 * leak into another's explanation):
 * <ul>
 *   <li>reference = the older half of the history before the alerting sample (at least {@value #MIN_REFERENCE}
 *       samples, else baseline and sigma come only from the alert, deviation is 0);</li>
 *   <li>baseline = the alert's baseline when finite and the detector's baseline is an expectation (not for
 *       {@link #LIMIT_DETECTORS}, whose baseline is a limit or the stuck value), else the reference median;</li>
 *   <li>sigma = robust scale of the reference (see {@link SeriesAnalysis#sigma}); deviation = (value - baseline) /
 *       sigma;</li>
 *   <li>direction: flat when |deviation| &lt; 1 or stuck; with a baseline but no sigma, the sign of value - baseline;
 *       </li>
 *   <li>pattern: "stuck"/"threshold" from the detector's name, else {@link SeriesAnalysis#classify} (level_shift when
 *       the history is too short to tell);</li>
 *   <li>durationS: from the latest sample inside baseline ± 3 sigma to the alert; the whole history's span when no
 *       sample is inside (a lower bound); 0 when unknown;</li>
 *   <li>slopePerMin: a drift's fitted ramp slope; otherwise the least-squares slope from the latest in-band sample
 *       to the alert (over the newer half when the alert's own value is in band);</li>
 *   <li>others: for an alert with contributions (an asset health model's), the signals it names as outside their
 *       own normal range (score above 1), with their direction; otherwise the asset's other signals whose latest
 *       value (at or before the alert) is beyond ± 3 of their own reference sigma from their own reference median.
 *       </li>
 * </ul>
 */
public final class ContextBuilder {

    public static final int DEFAULT_CAPACITY = 256;
    public static final int DEFAULT_MAX_SERIES = 10_000;
    /** Reference samples needed before we state a baseline or sigma of our own. */
    public static final int MIN_REFERENCE = 5;
    /** Detectors whose alert baseline is a limit, a stuck value or a rate cap rather than an expected value. */
    public static final Set<String> LIMIT_DETECTORS = Set.of("threshold", "stuck", "rate");
    /** The asset type when neither a mapping nor the id's leading letters give one. */
    public static final String FALLBACK_ASSET_TYPE = "machine";

    private final int capacity;
    private final int maxSeries;
    private final UnaryOperator<String> signalName;
    private final Map<String, Map<String, Ring>> assets = new ConcurrentHashMap<>();
    private final AtomicInteger series = new AtomicInteger();

    public ContextBuilder() {
        this(DEFAULT_CAPACITY, DEFAULT_MAX_SERIES, UnaryOperator.identity());
    }

    /**
     * @param capacity   samples kept per series (at least {@code 2 * MIN_REFERENCE + 1})
     * @param maxSeries  at most this many (asset, signal) series are kept
     * @param signalName gateway signal name to knowledge-base signal name (e.g. {@code motor_current → current});
     *                   the result is also made a valid prompt token ('_' for whitespace, '=', ',', ':')
     */
    public ContextBuilder(int capacity, int maxSeries, UnaryOperator<String> signalName) {
        if (capacity < 2 * MIN_REFERENCE + 1) {
            throw new IllegalArgumentException("capacity " + capacity + " must be >= " + (2 * MIN_REFERENCE + 1));
        }
        if (maxSeries < 1) {
            throw new IllegalArgumentException("maxSeries " + maxSeries + " must be >= 1");
        }
        this.capacity = capacity;
        this.maxSeries = maxSeries;
        this.signalName = signalName;
    }

    /** Appends a sample to its series (BAD or non-finite samples are ignored). Cheap; any thread. */
    public void record(TelemetrySample s) {
        if (s.quality() == Quality.BAD || !Double.isFinite(s.value())) {
            return;
        }
        Ring r = ring(s.assetId(), s.signal());
        if (r != null) {
            r.add(s.sourceTime().toEpochMilli(), s.value());
        }
    }

    /** How many series are kept. */
    public int seriesCount() {
        return series.get();
    }

    private Ring ring(String asset, String signal) {
        Map<String, Ring> a = assets.get(asset);
        Ring r = a == null ? null : a.get(signal);
        if (r != null) {
            return r;
        }
        if (series.get() >= maxSeries) {
            return null;
        }
        a = assets.computeIfAbsent(asset, k -> new ConcurrentHashMap<>());
        return a.computeIfAbsent(signal, k -> {
            if (series.incrementAndGet() > maxSeries) {
                series.decrementAndGet();
                return null; // full: not mapped, this sample is dropped
            }
            return new Ring(capacity);
        });
    }

    /**
     * The context of an alert.
     *
     * @param assetType knowledge-base asset type (see {@link #assetTypeOf})
     * @param rulCycles the asset's latest RUL estimate, when there is one
     */
    public ExplainContext build(Alert alert, String assetType, OptionalDouble rulCycles) {
        long at = alert.observedTime().toEpochMilli();
        Map<String, Ring> signals = assets.getOrDefault(alert.assetId(), Map.of());
        Ring own = signals.get(alert.signal());
        Snapshot h = own == null ? new Snapshot(new long[0], new double[0]) : own.snapshot().until(at);
        int last = h.size() - 1;
        if (last < 0 || h.t[last] != at || Double.compare(h.x[last], alert.value()) != 0) {
            h = h.append(at, alert.value()); // the tap has not seen the alerting sample (yet): it is the latest
        }
        int n = h.size();
        double[] t = h.seconds();
        double[] x = h.x;
        double value = alert.value();

        int refEnd = (n - 1) / 2; // the older half of what came before the alerting sample
        boolean ownStats = refEnd >= MIN_REFERENCE;
        double median = ownStats ? SeriesAnalysis.median(x, 0, refEnd) : Double.NaN;
        boolean alertBaseline = Double.isFinite(alert.baseline())
                && (!LIMIT_DETECTORS.contains(alert.detector()) || !ownStats);
        double baseline = alertBaseline ? alert.baseline() : median;
        double sigma = ownStats
                ? SeriesAnalysis.sigma(x, 0, refEnd, median, Math.max(Math.abs(median), Math.abs(value)))
                : Double.NaN;
        boolean known = Double.isFinite(baseline) && Double.isFinite(sigma);
        double deviation = known ? (value - baseline) / sigma : 0;

        String pattern;
        double rampSlope = Double.NaN;
        if ("stuck".equals(alert.detector())) {
            pattern = "stuck";
        } else if ("threshold".equals(alert.detector())) {
            pattern = "threshold";
        } else if (!known) {
            pattern = "level_shift";
        } else {
            SeriesAnalysis.Shape shape = SeriesAnalysis.classify(t, x, refEnd, baseline, sigma);
            pattern = shape.pattern();
            rampSlope = shape.rampSlope();
        }

        String direction;
        if ("stuck".equals(pattern)) {
            direction = "flat";
        } else if (known) {
            direction = Math.abs(deviation) < 1 ? "flat" : deviation > 0 ? "up" : "down";
        } else if (Double.isFinite(baseline) && value != baseline) {
            direction = value > baseline ? "up" : "down";
        } else {
            direction = "flat";
        }

        double durationS = 0;
        int inBand = known ? SeriesAnalysis.lastInBand(x, baseline, sigma) : n - 1;
        if (known) {
            durationS = Math.max(0, t[n - 1] - t[Math.max(inBand, 0)]);
        }
        double perSecond;
        if ("drift".equals(pattern)) {
            perSecond = rampSlope;
        } else if (inBand >= 0 && inBand < n - 1) {
            perSecond = SeriesAnalysis.slope(t, x, inBand, n);
        } else {
            perSecond = SeriesAnalysis.slope(t, x, inBand < 0 ? 0 : n / 2, n);
        }

        Map<String, String> others = new TreeMap<>();
        if (!alert.contributions().isEmpty()) {
            // an asset-level detection (health model) says itself which signals are outside their normal range
            for (Contribution c : alert.contributions()) {
                if (c.score() > 1 && !c.signal().equals(alert.signal())) {
                    others.put(kbName(c.signal()), c.direction());
                }
            }
        } else {
            for (Map.Entry<String, Ring> e : signals.entrySet()) {
                if (!e.getKey().equals(alert.signal())) {
                    String dir = deviating(e.getValue().snapshot().until(at));
                    if (dir != null) {
                        others.put(kbName(e.getKey()), dir);
                    }
                }
            }
        }
        others.remove(kbName(alert.signal())); // two gateway signals mapped onto the alert's own KB signal

        return new ExplainContext(assetType, alert.assetId(), kbName(alert.signal()), alert.unit(), pattern,
                direction, value, Double.isFinite(baseline) ? OptionalDouble.of(baseline) : OptionalDouble.empty(),
                deviation, Double.isFinite(perSecond) ? perSecond * 60 : 0, durationS, others, rulCycles);
    }

    /** "up"/"down" when the latest value is beyond ± 3 reference sigmas of the reference median, else null. */
    private static String deviating(Snapshot h) {
        int refEnd = (h.size() - 1) / 2;
        if (refEnd < MIN_REFERENCE) {
            return null;
        }
        double latest = h.x[h.size() - 1];
        double median = SeriesAnalysis.median(h.x, 0, refEnd);
        double sigma = SeriesAnalysis.sigma(h.x, 0, refEnd, median, Math.max(Math.abs(median), Math.abs(latest)));
        double d = (latest - median) / sigma;
        return d > SeriesAnalysis.BAND ? "up" : d < -SeriesAnalysis.BAND ? "down" : null;
    }

    private String kbName(String gatewaySignal) {
        String s = signalName.apply(gatewaySignal);
        return (s == null || s.isEmpty() ? gatewaySignal : s).replaceAll("[\\s=,:]", "_");
    }

    /**
     * The knowledge-base asset type of an asset: the first glob of {@code globToType} (in its iteration order;
     * {@code *} any run, {@code ?} one character, as in detector globs) that matches the id; else the id's
     * leading letters, lower-cased ({@code pump-1} → pump, {@code Compressor3} → compressor); else
     * {@value #FALLBACK_ASSET_TYPE}. The caller may check the result against the knowledge base's asset types: only
     * catch-all entries match an unknown type.
     */
    public static String assetTypeOf(String assetId, Map<String, String> globToType) {
        for (Map.Entry<String, String> e : globToType.entrySet()) {
            if (glob(e.getKey()).matcher(assetId).matches()) {
                return e.getValue();
            }
        }
        int k = 0;
        while (k < assetId.length() && Character.isLetter(assetId.charAt(k))) {
            k++;
        }
        return k == 0 ? FALLBACK_ASSET_TYPE : assetId.substring(0, k).toLowerCase(Locale.ROOT);
    }

    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** Fixed-size ring of (time ms, value); the lock is per series, held for an append or a copy. */
    static final class Ring {
        private final long[] t;
        private final double[] x;
        private int next;
        private int size;

        Ring(int capacity) {
            t = new long[capacity];
            x = new double[capacity];
        }

        synchronized void add(long time, double value) {
            t[next] = time;
            x[next] = value;
            next = (next + 1) % t.length;
            size = Math.min(size + 1, t.length);
        }

        /** The samples in arrival order. */
        synchronized Snapshot snapshot() {
            long[] ts = new long[size];
            double[] xs = new double[size];
            int start = (next - size + t.length) % t.length;
            for (int k = 0; k < size; k++) {
                ts[k] = t[(start + k) % t.length];
                xs[k] = x[(start + k) % t.length];
            }
            return new Snapshot(ts, xs);
        }
    }

    /** A copy of a series. */
    static final class Snapshot {
        final long[] t;
        final double[] x;

        Snapshot(long[] t, double[] x) {
            this.t = t;
            this.x = x;
        }

        int size() {
            return t.length;
        }

        /** The samples at or before {@code ms}, sorted by time (stable: arrival order among equal times). */
        Snapshot until(long ms) {
            Integer[] idx = new Integer[t.length];
            int n = 0;
            for (int k = 0; k < t.length; k++) {
                if (t[k] <= ms) {
                    idx[n++] = k;
                }
            }
            Integer[] keep = Arrays.copyOf(idx, n);
            Arrays.sort(keep, Comparator.comparingLong(k -> t[k]));
            long[] ts = new long[n];
            double[] xs = new double[n];
            for (int k = 0; k < n; k++) {
                ts[k] = t[keep[k]];
                xs[k] = x[keep[k]];
            }
            return new Snapshot(ts, xs);
        }

        Snapshot append(long time, double value) {
            long[] ts = Arrays.copyOf(t, t.length + 1);
            double[] xs = Arrays.copyOf(x, x.length + 1);
            ts[t.length] = time;
            xs[x.length] = value;
            return new Snapshot(ts, xs);
        }

        /** Times in seconds from the first sample (small numbers: better conditioned fits). */
        double[] seconds() {
            double[] s = new double[t.length];
            for (int k = 0; k < t.length; k++) {
                s[k] = (t[k] - t[0]) / 1000.0;
            }
            return s;
        }
    }
}

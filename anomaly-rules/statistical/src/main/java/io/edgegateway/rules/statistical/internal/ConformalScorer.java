package io.edgegateway.rules.statistical.internal;

/**
 * Streaming anomaly score of one signal in [0, 1]: conformal p-values of a few prediction-error features, combined
 * with a Bonferroni correction, reported once per excursion. Each score uses only the current and past samples;
 * memory is constant (about {@code 8 * features * history} bytes); the normal path allocates nothing.
 *
 * <p><b>Features</b> of a sample x (each a non-negative "how unusual" measure, computed before learning x):
 * <ol>
 * <li>innovation {@code |x - m_fast|}, m_fast the EWMA (fast.alpha) one-step prediction: spikes;</li>
 * <li>level {@code |x - m_slow|}, m_slow the EWMA at slow.alpha: level shifts and slow drifts away from the long-run
 * level;</li>
 * <li>bias {@code |EWMA(e)|} of the innovations e at fast.alpha: a sustained push in one direction (ramps, a
 * shift before the prediction has caught up);</li>
 * <li>volatility {@code EWMA(|e|)} at fast.alpha: more noise, denser spikes;</li>
 * <li>step {@code |x - x_prev|}: jumps;</li>
 * <li>time of day {@code |x - profile[bin]|} against an EWMA (fast.alpha) profile of season.bins bins of the day
 * (from the samples' timestamps): a daily pattern that breaks (when season.bins > 0).</li>
 * </ol>
 *
 * <p><b>Conformal p-values.</b> Each feature value is ranked against the same feature's last {@code history}
 * values: {@code p_i = (#{past >= f_i} + 1) / (n + 1)}, which is uniform under exchangeability whatever the feature's
 * distribution (heavy tails, discrete values, skew), so one threshold serves every signal. A value beyond everything
 * in the history gets an exponential tail beyond the maximum (scale {@code tail.scale * (max - mean)}) so larger
 * excesses rank higher. The features are combined as {@code p = min(1, k * min_i p_i)} (Bonferroni over the k
 * features: a valid p-value whatever their dependence).
 *
 * <p><b>Score.</b> {@code s = L / (L + 10)} with {@code L = -ln p}: monotone in p, in [0, 1), never saturating (a
 * larger surprise always scores higher). s = 0.4 is p ~ 0.0013. During the first {@code warmup} samples the score
 * is 0.
 *
 * <p><b>One report per excursion.</b> A score is reported only when it is higher than every score of the previous
 * {@code refractory} samples, else 0: an anomaly is reported when it first appears (NAB rewards early detection) and
 * again only if it gets worse, not on every sample while it lasts.
 */
public final class ConformalScorer {

    /** Names of the features, for messages: what made a sample unusual. */
    static final String[] FEATURES = {"spike", "level", "drift", "volatility", "step", "time-of-day"};

    private static final int INNOVATION = 0;
    private static final int LEVEL = 1;
    private static final int BIAS = 2;
    private static final int VOLATILITY = 3;
    private static final int STEP = 4;
    private static final int SEASON = 5;
    private static final long DAY_MILLIS = 86_400_000L;

    private final ConformalSettings settings;
    private final RankedHistory[] histories;
    private final double[] season;
    private final boolean[] seasonSeen;
    private final long binMillis;
    private final double[] recentScores;
    private final double[] features;

    private long n;
    private double fastMean;
    private double slowMean;
    private double bias;
    private double volatility;
    private double previous;
    private int recentPos;
    private double expected = Double.NaN;
    private double lastRawScore;
    private int lastFeature = -1;

    public ConformalScorer(ConformalSettings settings) {
        this.settings = settings;
        int k = settings.seasonBins() > 0 ? 6 : 5;
        this.histories = new RankedHistory[k];
        for (int i = 0; i < k; i++) {
            histories[i] = new RankedHistory(settings.history());
        }
        this.features = new double[k];
        this.season = new double[settings.seasonBins()];
        this.seasonSeen = new boolean[settings.seasonBins()];
        this.binMillis = settings.seasonBins() > 0 ? DAY_MILLIS / settings.seasonBins() : 1;
        this.recentScores = new double[Math.max(1, settings.refractory())];
    }

    public ConformalSettings settings() {
        return settings;
    }

    /**
     * Scores the next sample of the signal.
     *
     * @param epochMillis the sample's time (used for the time-of-day profile only)
     * @param x the value; a non-finite value is ignored (score 0, nothing learnt)
     * @return the anomaly score in [0, 1]
     */
    public double score(long epochMillis, double x) {
        if (!Double.isFinite(x)) {
            return 0;
        }
        n++;
        if (n == 1) {
            fastMean = x;
            slowMean = x;
            previous = x;
            expected = x;
            return 0;
        }
        ConformalSettings s = settings;
        double e = x - fastMean;
        expected = fastMean;
        double af = Math.max(s.fastAlpha(), 1.0 / n);
        double as = Math.max(s.slowAlpha(), 1.0 / n);
        bias += af * (e - bias);
        volatility += af * (Math.abs(e) - volatility);
        double[] f = features;
        f[INNOVATION] = Math.abs(e);
        f[LEVEL] = Math.abs(x - slowMean);
        f[BIAS] = Math.abs(bias);
        f[VOLATILITY] = volatility;
        f[STEP] = Math.abs(x - previous);
        if (season.length > 0) {
            int bin = (int) Math.floorMod(epochMillis / binMillis, (long) season.length);
            double r = 0;
            if (seasonSeen[bin]) {
                r = x - season[bin];
                season[bin] += s.fastAlpha() * r;
            } else {
                seasonSeen[bin] = true;
                season[bin] = x;
            }
            f[SEASON] = Math.abs(r);
        }
        previous = x;
        fastMean += af * e;
        slowMean += as * (x - slowMean);

        double minP = 1;
        int argMin = -1;
        for (int i = 0; i < f.length; i++) {
            double p = histories[i].pValue(f[i], s.tailScale());
            if (p < minP) {
                minP = p;
                argMin = i;
            }
            histories[i].add(f[i]);
        }
        if (n <= s.warmup()) {
            return 0;
        }
        double p = Math.min(1, minP * f.length);
        double l = -Math.log(p);
        double score = l / (l + 10);
        lastRawScore = score;
        lastFeature = argMin;

        double previousMax = 0;
        for (double h : recentScores) {
            previousMax = Math.max(previousMax, h);
        }
        recentScores[recentPos] = score;
        recentPos = recentPos + 1 == recentScores.length ? 0 : recentPos + 1;
        return score > previousMax ? score : 0;
    }

    /** What the last sample was compared with: the one-step prediction (EWMA) before it; NaN before any sample. */
    public double expected() {
        return expected;
    }

    /** The last score before the once-per-excursion suppression. */
    public double rawScore() {
        return lastRawScore;
    }

    /** The feature that made the last sample most unusual, e.g. "spike"; "" before the first score. */
    public String reason() {
        return lastFeature < 0 ? "" : FEATURES[lastFeature];
    }

    /** Samples scored so far (the non-finite ones aside). */
    public long samples() {
        return n;
    }

    /**
     * An estimate of the bytes this scorer holds: its arrays from their lengths plus a fixed allowance for object
     * headers and fields (16 bytes per array header, ~100 for the objects).
     */
    public long stateBytes() {
        long bytes = 120 + 16L * 6 + 8L * features.length + 8L * season.length + season.length
                + 8L * recentScores.length;
        for (RankedHistory h : histories) {
            bytes += 48 + 32 + h.arrayBytes();
        }
        return bytes;
    }
}

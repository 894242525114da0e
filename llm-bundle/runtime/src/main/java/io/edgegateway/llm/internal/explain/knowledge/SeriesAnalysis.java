package io.edgegateway.llm.internal.explain.knowledge;

import java.util.Arrays;

/**
 * The numbers behind a context, from one signal's recent history (times in seconds, oldest first): robust centre and
 * scale, the band exit, slopes, and the shape classification. Pure functions, package-private: tested through
 * {@link ContextBuilder} and directly.
 */
final class SeriesAnalysis {

    /** Band half-width in sigmas: inside is normal. */
    static final double BAND = 3;
    /** The most trailing out-of-band samples a spike may have; more is a shift or a drift. */
    static final int SPIKE_MAX = 3;
    /** Schmitt-trigger half-width (sigmas) and alternations (2 per period) for an oscillation. */
    static final double OSC_LEVEL = 2;
    static final int OSC_ALTERNATIONS = 4;
    /** An oscillation must be what a step or a ramp cannot explain: their residual rms above this many sigmas. */
    static final double OSC_UNEXPLAINED = 1.5;

    /** A drift's ramp must lower the residual sum of squares of a flat line by this many sigma^2. */
    static final double DRIFT_GAIN = 25;

    private SeriesAnalysis() {
    }

    static double median(double[] x, int from, int to) {
        double[] c = Arrays.copyOfRange(x, from, to);
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }

    /**
     * Robust sigma of x[from, to) around {@code centre}: MAD * 1.4826; when over half the values are equal (MAD 0,
     * e.g. a quantised signal) the mean absolute deviation * 1.2533; floored at 1e-3 of {@code magnitude} (and
     * 1e-9) so that a perfectly flat reference still gives finite deviations.
     */
    static double sigma(double[] x, int from, int to, double centre, double magnitude) {
        double[] d = new double[to - from];
        double sum = 0;
        for (int k = from; k < to; k++) {
            d[k - from] = Math.abs(x[k] - centre);
            sum += d[k - from];
        }
        double s = 1.4826 * median(d, 0, d.length);
        if (s == 0) {
            s = 1.2533 * sum / d.length;
        }
        return Math.max(s, Math.max(1e-3 * Math.abs(magnitude), 1e-9));
    }

    /** Index of the latest sample inside centre ± BAND * sigma; -1 when none is. */
    static int lastInBand(double[] x, double centre, double sigma) {
        for (int k = x.length - 1; k >= 0; k--) {
            if (Math.abs(x[k] - centre) <= BAND * sigma) {
                return k;
            }
        }
        return -1;
    }

    /** Least-squares slope of x over t on [from, to), per time unit; 0 with fewer than two distinct times. */
    static double slope(double[] t, double[] x, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return 0;
        }
        double mt = 0;
        double mx = 0;
        for (int k = from; k < to; k++) {
            mt += t[k];
            mx += x[k];
        }
        mt /= n;
        mx /= n;
        double stt = 0;
        double stx = 0;
        for (int k = from; k < to; k++) {
            stt += (t[k] - mt) * (t[k] - mt);
            stx += (t[k] - mt) * (x[k] - mx);
        }
        return stt == 0 ? 0 : stx / stt;
    }

    /** Best single-breakpoint two-level fit: residual sum of squares. */
    static double stepRss(double[] x) {
        int n = x.length;
        double[] s = new double[n + 1];
        double[] q = new double[n + 1];
        for (int k = 0; k < n; k++) {
            s[k + 1] = s[k] + x[k];
            q[k + 1] = q[k] + x[k] * x[k];
        }
        double best = q[n] - s[n] * s[n] / n; // no break at all
        for (int k = 1; k < n; k++) {
            double before = q[k] - s[k] * s[k] / k;
            double after = (q[n] - q[k]) - (s[n] - s[k]) * (s[n] - s[k]) / (n - k);
            best = Math.min(best, before + after);
        }
        return Math.max(best, 0);
    }

    /**
     * Best "flat, then a straight ramp" fit (x = a + beta * max(0, t - t_k), continuous at the break; k = 0 is a
     * plain line). Times must be ascending.
     *
     * @return {rss, beta (per time unit), break index}
     */
    static double[] hinge(double[] t, double[] x) {
        int n = x.length;
        double sx = 0;
        double sxx = 0;
        for (double v : x) {
            sx += v;
            sxx += v * v;
        }
        // suffix sums over i > k of t, t^2, t*x, x
        double st = 0;
        double stt = 0;
        double stx = 0;
        double ssx = 0;
        double[] best = {Double.POSITIVE_INFINITY, 0, 0};
        for (int k = n - 2; k >= 0; k--) {
            int i = k + 1;
            st += t[i];
            stt += t[i] * t[i];
            stx += t[i] * x[i];
            ssx += x[i];
            int cnt = n - 1 - k;
            double su = st - cnt * t[k];
            double suu = stt - 2 * t[k] * st + cnt * t[k] * t[k];
            double sux = stx - t[k] * ssx;
            double det = n * suu - su * su;
            if (det <= 1e-12 * n * suu) {
                continue; // no ramp to fit (equal times)
            }
            double beta = (n * sux - su * sx) / det;
            double a = (sx - beta * su) / n;
            double rss = sxx - a * sx - beta * sux;
            if (rss < best[0]) {
                best = new double[] {Math.max(rss, 0), beta, k};
            }
        }
        return best;
    }

    /**
     * Alternations of the linearly detrended x[from, to) between above +OSC_LEVEL sigma and below -OSC_LEVEL sigma
     * (a Schmitt trigger, so noise around zero does not count).
     */
    static int alternations(double[] t, double[] x, int from, int to, double sigma) {
        double b = slope(t, x, from, to);
        double mt = 0;
        double mx = 0;
        for (int k = from; k < to; k++) {
            mt += t[k];
            mx += x[k];
        }
        mt /= to - from;
        mx /= to - from;
        double[] r = new double[to - from];
        for (int k = from; k < to; k++) {
            r[k - from] = x[k] - (mx + b * (t[k] - mt));
        }
        double c = median(r, 0, r.length);
        int state = 0;
        int alternations = 0;
        for (double v : r) {
            int now = v - c > OSC_LEVEL * sigma ? 1 : v - c < -OSC_LEVEL * sigma ? -1 : 0;
            if (now != 0 && now != state) {
                if (state != 0) {
                    alternations++;
                }
                state = now;
            }
        }
        return alternations;
    }

    /** A shape: the pattern name and, for a drift, the ramp's slope per time unit. */
    record Shape(String pattern, double rampSlope) {
    }

    /**
     * Classifies a history whose reference part is [0, refEnd) (centre/sigma from it), the alerting sample last.
     * Order: oscillation (else a regular swing could pass for a spike), spike, then drift vs level shift by which
     * of a ramp or a step fits better.
     */
    static Shape classify(double[] t, double[] raw, int refEnd, double centre, double sigma) {
        int n = raw.length;
        double[] x = new double[n];
        for (int k = 0; k < n; k++) {
            x[k] = raw[k] - centre; // centred: the sums of squares below then do not cancel catastrophically
        }
        centre = 0;
        double stepRss = stepRss(x);
        double[] hinge = hinge(t, x);
        double unexplained = Math.sqrt(Math.min(stepRss, hinge[0]) / n);
        if (unexplained > OSC_UNEXPLAINED * sigma && n - refEnd >= 2 * OSC_ALTERNATIONS
                && alternations(t, x, refEnd, n, sigma) >= OSC_ALTERNATIONS) {
            return new Shape("oscillation", 0);
        }
        int run = 0;
        while (run < n && Math.abs(x[n - 1 - run] - centre) > BAND * sigma) {
            run++;
        }
        int before = n - run;
        if (run >= 1 && run <= SPIKE_MAX && before >= 3) {
            // abrupt: the samples just before the run sit near the centre (a drift would already be on its way)
            double pre = median(x, Math.max(0, before - 8), before);
            if (Math.abs(pre - centre) < 1.5 * sigma) {
                return new Shape("spike", 0);
            }
        }
        int rampLength = n - 1 - (int) hinge[2];
        double rise = Math.abs(hinge[1] * (t[n - 1] - t[(int) hinge[2]]));
        double flatRss = 0;
        double mean = Arrays.stream(x).average().orElse(0);
        for (double v : x) {
            flatRss += (v - mean) * (v - mean);
        }
        // significant: the ramp explains far more than the best of ~n breakpoints would on noise (~2 ln n sigma^2)
        boolean significant = flatRss - hinge[0] >= DRIFT_GAIN * sigma * sigma;
        if (hinge[0] < stepRss && significant && rampLength >= 4 && rise >= 2 * sigma) {
            return new Shape("drift", hinge[1]);
        }
        return new Shape("level_shift", 0);
    }
}

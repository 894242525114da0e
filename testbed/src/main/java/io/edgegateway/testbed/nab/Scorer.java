package io.edgegateway.testbed.nab;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The NAB scorer (see {@code docs/nab-scoring.md}) for one detector's results on a labelled corpus.
 *
 * <p>Construction prepares, once, each record's unweighted score (the scaled sigmoid of its position relative to the
 * windows) and window; {@link #scoreAt} then scores the corpus at a threshold and {@link #sweep} finds the
 * threshold that maximises the raw corpus score, in O(R log R) for R records (one sort, then one incremental pass per
 * profile).
 *
 * <ul>
 * <li>The first {@code min(floor(0.15 n), 0.15 * 5000)} records of a file of n records are not scored.</li>
 * <li>A record inside a window (width w records, right edge at index r) at index i weighs
 * {@code tpWeight * sig(-(r - i + 1) / w) / sig(-1)}; a window counts the weight of its earliest detection, or
 * {@code -fnWeight} if none of its records is detected. Windows with no record after the probationary period do not
 * count at all.</li>
 * <li>A record outside the windows weighs {@code -fpWeight} before the first window has ended, and
 * {@code fpWeight * sig(|r' - i| / (w' - 1))} after a window (right edge r', width w'); each such detection adds its
 * weight.</li>
 * </ul>
 *
 * <p>Window edges are matched to records by timestamp, scanning forward from the previous window (a few NAB files
 * repeat timestamps or step back once): a window covers the records from the first at or after its start to the first
 * at its end, or to the last before its end when no record has that timestamp. The labels put both edges on record
 * timestamps, so this is the reference scorer's equality match.
 */
public final class Scorer {

    /** The share of each file's records not scored (the detector's learning period). */
    public static final double PROBATION_PERCENT = 0.15;
    /** The sweep starts here: no detections. */
    public static final double NO_DETECTION_THRESHOLD = 1.1;

    private static final double MAX_TP = scaledSigmoid(-1.0);

    private final int totalWindows;
    private final List<PreparedFile> files;
    /** Windows (global ids) with at least one record after their file's probationary period. */
    private final int scorableWindows;
    private final int windowCount;
    private final int recordCount;

    // scored records of the whole corpus, sorted by anomaly score, highest first
    private final double[] sortedScore;
    private final double[] sortedSig;
    private final int[] sortedWindow;
    private final int[] sortedIndex;

    /**
     * @param labels the windows; {@code raw_perfect} counts all of its windows
     * @param results the detector's results, one per labelled file (files not in the labels have no windows)
     */
    public Scorer(Labels labels, List<SeriesFile> results) {
        this.totalWindows = labels.totalWindows();
        List<PreparedFile> prepared = new ArrayList<>(results.size());
        int windowBase = 0;
        int scorable = 0;
        int records = 0;
        for (SeriesFile file : results) {
            PreparedFile p = prepare(file, labels.windows(file.key()), windowBase);
            prepared.add(p);
            windowBase += p.windows;
            scorable += p.scorableWindows;
            records += p.scoredRecords();
        }
        this.files = Collections.unmodifiableList(prepared);
        this.windowCount = windowBase;
        this.scorableWindows = scorable;
        this.recordCount = records;

        // all scored records, sorted once by anomaly score (descending)
        double[] score = new double[records];
        double[] sig = new double[records];
        int[] window = new int[records];
        int[] index = new int[records];
        int k = 0;
        for (PreparedFile p : prepared) {
            for (int i = p.probation; i < p.scores.length; i++) {
                score[k] = p.scores[i];
                sig[k] = p.sig[i];
                window[k] = p.window[i];
                index[k] = i;
                k++;
            }
        }
        Integer[] order = new Integer[records];
        for (int i = 0; i < records; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        this.sortedScore = new double[records];
        this.sortedSig = new double[records];
        this.sortedWindow = new int[records];
        this.sortedIndex = new int[records];
        for (int i = 0; i < records; i++) {
            int o = order[i];
            sortedScore[i] = score[o];
            sortedSig[i] = sig[o];
            sortedWindow[i] = window[o];
            sortedIndex[i] = index[o];
        }
    }

    /** The scaled sigmoid: {@code 2 / (1 + exp(5y)) - 1} for y <= 3, -1 above. */
    public static double scaledSigmoid(double y) {
        if (y > 3.0) {
            return -1.0;
        }
        return 2.0 / (1.0 + Math.exp(5.0 * y)) - 1.0;
    }

    /** Records of a file of n records that are not scored: {@code min(floor(0.15 n), 0.15 * 5000)}. */
    public static int probationaryLength(int n) {
        double length = Math.min(Math.floor(PROBATION_PERCENT * n), PROBATION_PERCENT * 5000);
        return (int) Math.ceil(length); // record i is scored when i >= length
    }

    /**
     * The unweighted score of each record of a file (the sigmoid, before the profile's weights) and its window
     * (index into {@code windows}, or -1 outside them).
     */
    static PreparedFile prepare(SeriesFile file, List<Window> windows, int windowBase) {
        LocalDateTime[] ts = file.timestamps();
        int n = ts.length;
        double[] sig = new double[n];
        int[] window = new int[n];
        Arrays.fill(window, -1);
        int probation = probationaryLength(n);

        // record ranges of the windows (empty when no record falls inside), found scanning forward in time
        int[] left = new int[windows.size()];
        int[] right = new int[windows.size()];
        int from = 0;
        for (int w = 0; w < windows.size(); w++) {
            Window win = windows.get(w);
            int l = from;
            while (l < n && ts[l].isBefore(win.start())) {
                l++;
            }
            int r = l;
            while (r < n && ts[r].isBefore(win.end())) {
                r++;
            }
            if (r == n || ts[r].isAfter(win.end())) {
                r--; // no record at the end: the last one before it
            }
            left[w] = l;
            right[w] = r;
            from = Math.max(l, r + 1);
        }

        int scorable = 0;
        int prevRight = -1;
        int prevWidth = 0;
        int next = 0; // next window to reach
        for (int i = 0; i < n; i++) {
            while (next < windows.size() && (right[next] < left[next] || right[next] < i)) {
                next++; // no records in it
            }
            if (next < windows.size() && i >= left[next] && i <= right[next]) {
                int r = right[next];
                double width = r - left[next] + 1;
                sig[i] = scaledSigmoid(-(r - i + 1) / width);
                window[i] = windowBase + next;
                if (i == r) {
                    if (r >= probation) {
                        scorable++;
                    }
                    prevRight = r;
                    prevWidth = r - left[next] + 1;
                    next++;
                }
            } else if (prevRight < 0) {
                sig[i] = -1.0;
            } else {
                // after a window of one record: y = +infinity, i.e. the full false-positive cost
                sig[i] = scaledSigmoid(Math.abs(prevRight - i) / (double) (prevWidth - 1));
            }
        }
        return new PreparedFile(file.key(), file.scores(), sig, window, probation, windows.size(), scorable,
                windowBase);
    }

    private static double weight(Profile profile, int window, double sig) {
        return window >= 0 ? profile.tpWeight() * sig / MAX_TP : profile.fpWeight() * sig;
    }

    /** The corpus score at a threshold: the records whose anomaly score is {@code >= threshold} are detections. */
    public Score scoreAt(Profile profile, double threshold) {
        List<FileScore> perFile = new ArrayList<>(files.size());
        double total = 0;
        int detectedWindows = 0;
        int falsePositives = 0;
        for (PreparedFile p : files) {
            double raw = 0;
            int detected = 0;
            int fps = 0;
            boolean[] hit = new boolean[p.windows];
            for (int i = p.probation; i < p.scores.length; i++) {
                if (p.scores[i] < threshold) {
                    continue;
                }
                int w = p.window[i];
                if (w < 0) {
                    raw += weight(profile, w, p.sig[i]);
                    fps++;
                } else if (!hit[w - p.windowBase]) {
                    // the first detection in a window is its earliest, hence its best
                    hit[w - p.windowBase] = true;
                    raw += weight(profile, w, p.sig[i]);
                    detected++;
                }
            }
            raw -= profile.fnWeight() * (p.scorableWindows - detected);
            perFile.add(new FileScore(p.key, raw, detected, p.scorableWindows, fps));
            total += raw;
            detectedWindows += detected;
            falsePositives += fps;
        }
        return new Score(profile, threshold, total, normalise(profile, total), detectedWindows, scorableWindows,
                falsePositives, perFile);
    }

    /**
     * Sweeps the threshold over every distinct anomaly score, from high to low (starting at
     * {@link #NO_DETECTION_THRESHOLD}: no detections) and scores the corpus at the one with the highest raw score
     * (the highest such threshold on a tie).
     */
    public Score sweep(Profile profile) {
        int m = sortedScore.length;
        double fnWeight = profile.fnWeight();
        int[] earliest = new int[windowCount];
        double[] windowScore = new double[windowCount];
        Arrays.fill(earliest, Integer.MAX_VALUE);
        Arrays.fill(windowScore, -fnWeight);
        double tpPart = -fnWeight * scorableWindows; // sum of windowScore over the scorable windows
        double fpPart = 0;

        double bestThreshold = m > 0 && sortedScore[0] >= NO_DETECTION_THRESHOLD
                ? Math.nextUp(sortedScore[0]) : NO_DETECTION_THRESHOLD;
        double bestRaw = tpPart + fpPart;
        int k = 0;
        while (k < m) {
            double threshold = sortedScore[k];
            // add every record at this score; a window's best detection can only move earlier
            while (k < m && sortedScore[k] == threshold) {
                int w = sortedWindow[k];
                if (w < 0) {
                    fpPart += weight(profile, w, sortedSig[k]);
                } else if (sortedIndex[k] < earliest[w]) {
                    earliest[w] = sortedIndex[k];
                    double score = weight(profile, w, sortedSig[k]);
                    tpPart += score - windowScore[w];
                    windowScore[w] = score;
                }
                k++;
            }
            double raw = tpPart + fpPart;
            if (raw > bestRaw) {
                bestRaw = raw;
                bestThreshold = threshold;
            }
        }
        return scoreAt(profile, bestThreshold); // recomputed directly: no drift from the incremental sums
    }

    /** The raw score of the detector that never detects: {@code -fnWeight} per window with a scored record. */
    public double nullRaw(Profile profile) {
        return -profile.fnWeight() * scorableWindows;
    }

    /** The raw score of the perfect detector: {@code tpWeight} per window of the labels. */
    public double perfectRaw(Profile profile) {
        return profile.tpWeight() * totalWindows;
    }

    /** {@code 100 * (raw - raw_null) / (raw_perfect - raw_null)}. */
    public double normalise(Profile profile, double raw) {
        double nullRaw = nullRaw(profile);
        return 100.0 * (raw - nullRaw) / (perfectRaw(profile) - nullRaw);
    }

    public int files() {
        return files.size();
    }

    /** Records scored (after the probationary periods). */
    public int scoredRecords() {
        return recordCount;
    }

    /** All windows of the labels. */
    public int totalWindows() {
        return totalWindows;
    }

    /** Windows with at least one record after their file's probationary period. */
    public int scorableWindows() {
        return scorableWindows;
    }

    /** A file's records, weights and windows. {@code window} holds global window ids. */
    record PreparedFile(String key, double[] scores, double[] sig, int[] window, int probation, int windows,
                        int scorableWindows, int windowBase) {

        int scoredRecords() {
            return Math.max(0, scores.length - probation);
        }
    }

    /** The score of one file at a threshold. */
    public record FileScore(String file, double raw, int detectedWindows, int windows, int falsePositives) {
    }

    /**
     * The corpus score at a threshold.
     *
     * @param detectedWindows windows with a detection (of {@code windows}, those with a scored record)
     * @param falsePositives detections outside every window
     */
    public record Score(Profile profile, double threshold, double raw, double normalised, int detectedWindows,
                       int windows, int falsePositives, List<FileScore> files) {
    }
}

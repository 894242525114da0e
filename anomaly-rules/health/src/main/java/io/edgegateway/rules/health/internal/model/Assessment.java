package io.edgegateway.rules.health.internal.model;

import java.util.List;

/**
 * What a health model says about one tick.
 *
 * @param index         the worst statistic over its limit: below 1 normal, above 1 abnormal
 * @param worst         the name of that statistic ({@code level-t2}, {@code level-spe}, {@code dynamics} or
 *                      {@code level:<signal>})
 * @param contributions every signal, the largest contribution first
 */
public record Assessment(double index, String worst, List<Contribution> contributions) {

    public Assessment {
        contributions = List.copyOf(contributions);
    }

    public boolean overLimit() {
        return index > 1;
    }

    /** The first {@code n} contributions. */
    public List<Contribution> top(int n) {
        return contributions.subList(0, Math.min(n, contributions.size()));
    }

    /**
     * One signal's part in the deviation.
     *
     * @param signal   the signal
     * @param score    its windowed level statistic over its own limit (above 1: this signal alone is abnormal)
     * @param sigmas   its mean over the level window, in standard deviations of normal operation from the normal
     *                 mean (the sign is the direction: positive above normal)
     * @param expected its mean during normal operation
     */
    public record Contribution(String signal, double score, double sigmas, double expected) {

        public String direction() {
            return sigmas >= 0 ? "above" : "below";
        }
    }
}

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
     * @param score    how abnormal the signal is by itself, over its limit (above 1: abnormal on its own): its
     *                 level, or its level against what the other signals say it should be, whichever is larger
     * @param sigmas   how far its mean over the level window is from what the model expects of it, in standard
     *                 deviations (the sign is the direction: positive above)
     * @param expected what the model expects of it over the window: its normal mean, or, when it is judged against
     *                 the other signals, what they say it should be
     */
    public record Contribution(String signal, double score, double sigmas, double expected) {

        public String direction() {
            return sigmas >= 0 ? "above" : "below";
        }
    }
}

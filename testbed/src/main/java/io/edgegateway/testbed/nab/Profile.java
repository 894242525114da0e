package io.edgegateway.testbed.nab;

/** A NAB application profile: the weights of a true positive, a false positive and a false negative. */
public record Profile(String name, double tpWeight, double fpWeight, double fnWeight) {

    public static final Profile STANDARD = new Profile("standard", 1.0, 0.11, 1.0);
    public static final Profile REWARD_LOW_FP_RATE = new Profile("reward_low_FP_rate", 1.0, 0.22, 1.0);
    public static final Profile REWARD_LOW_FN_RATE = new Profile("reward_low_FN_rate", 1.0, 0.11, 2.0);
}

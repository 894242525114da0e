package io.edgegateway.llm.internal.explain.knowledge;

import java.util.List;

/**
 * Scores raw generations against eval cases (SPEC.md section 8), the same way as the training script's report:
 * cause/action correct when the field equals the expected one (trimmed), hallucination per
 * {@link HallucinationCheck}. Not thread-safe: one eval run adds from one thread.
 */
public final class EvalScore {

    private final HallucinationCheck check;
    private int cases;
    private int causeCorrect;
    private int actionCorrect;
    private int hallucinated;

    public EvalScore(HallucinationCheck check) {
        this.check = check;
    }

    /**
     * Adds one case.
     *
     * @return the hallucination reasons for this output (empty when clean), for the eval command to print
     */
    public List<String> add(EvalCase c, GeneratedOutput out) {
        cases++;
        if (out.cause().trim().equals(c.expectedCause().trim())) {
            causeCorrect++;
        }
        if (out.action().trim().equals(c.expectedAction().trim())) {
            actionCorrect++;
        }
        List<String> reasons = check.check(c.context(), out);
        if (!reasons.isEmpty()) {
            hallucinated++;
        }
        return reasons;
    }

    public int cases() {
        return cases;
    }

    /** Fraction of cases with the right cause; 0 before any case. */
    public double causeAccuracy() {
        return rate(causeCorrect);
    }

    public double actionAccuracy() {
        return rate(actionCorrect);
    }

    public double hallucinationRate() {
        return rate(hallucinated);
    }

    /** {@code {"cause_accuracy":..,"action_accuracy":..,"hallucination_rate":..,"cases":..}} */
    public String toJson() {
        return "{\"cause_accuracy\":" + ExplainContext.num(causeAccuracy())
                + ",\"action_accuracy\":" + ExplainContext.num(actionAccuracy())
                + ",\"hallucination_rate\":" + ExplainContext.num(hallucinationRate())
                + ",\"cases\":" + cases + "}";
    }

    private double rate(int n) {
        return cases == 0 ? 0 : (double) n / cases;
    }
}

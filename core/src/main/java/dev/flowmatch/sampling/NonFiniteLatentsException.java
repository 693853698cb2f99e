package dev.flowmatch.sampling;

/** Raised by the sampler's opt-in NaN/Inf guard: names the step and the tensor where a non-finite value appeared. */
public final class NonFiniteLatentsException extends IllegalStateException {
    private final int stepIndex;

    public NonFiniteLatentsException(int stepIndex, String tensor, int count, long firstIndex) {
        super(count + " non-finite value(s) in the " + tensor + " at step " + stepIndex + " (first at element "
                + firstIndex + ")");
        this.stepIndex = stepIndex;
    }

    public int stepIndex() {
        return stepIndex;
    }
}

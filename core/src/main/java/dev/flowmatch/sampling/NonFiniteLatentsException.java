package dev.flowmatch.sampling;

/** Raised by the sampler's opt-in NaN/Inf guard: names the step and the tensor where a non-finite value appeared. */
public final class NonFiniteLatentsException extends IllegalStateException {
    /** The step at which the non-finite values appeared. */
    private final int stepIndex;

    /**
     * An exception naming where the guard found non-finite values.
     *
     * @param stepIndex  the step index
     * @param tensor     which tensor ("model output", "latents")
     * @param count      how many values were NaN or infinite
     * @param firstIndex the flat index of the first one
     */
    public NonFiniteLatentsException(int stepIndex, String tensor, int count, long firstIndex) {
        super(count + " non-finite value(s) in the " + tensor + " at step " + stepIndex + " (first at element "
                + firstIndex + ")");
        this.stepIndex = stepIndex;
    }

    /**
     * The step at which the non-finite values appeared.
     *
     * @return the step index
     */
    public int stepIndex() {
        return stepIndex;
    }
}

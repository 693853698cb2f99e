package dev.flowmatch.sampling;

/**
 * Where image-to-image and inpainting start: the inpaint pipeline's {@code get_timesteps(num_inference_steps,
 * strength)} ({@code pipeline_flux2_klein_inpaint.py}):
 * {@code init_timestep = min(N * strength, N)}, {@code t_start = int(max(N - init_timestep, 0))}, the kept
 * timesteps {@code timesteps[t_start * order:]}, {@code set_begin_index(t_start * order)}, and
 * {@code N - t_start} steps left.
 *
 * @param strength          the strength, in (0, 1]
 * @param tStart            {@code t_start}: the steps skipped
 * @param beginIndex        {@code t_start * scheduler.order}: the index of the first kept timestep
 * @param numInferenceSteps {@code N - t_start}: the steps run
 */
public record Strength(double strength, int tStart, int beginIndex, int numInferenceSteps) {

    /**
     * {@code get_timesteps} for {@code numInferenceSteps} steps of a scheduler of {@code order}.
     *
     * @throws IllegalArgumentException naming {@code strength} when it is outside [0, 1] (the pipeline's
     *     {@code check_inputs}) or leaves no step (the pipeline's error after {@code get_timesteps})
     *
     * @param numInferenceSteps the steps the pipeline was asked for, {@code >= 1}
     * @param strength          the strength, in [0, 1]
     * @param order             the scheduler's {@code order} (2 for Heun)
     * @return the steps to skip and to run
     */
    public static Strength of(int numInferenceSteps, double strength, int order) {
        if (numInferenceSteps < 1) {
            throw new IllegalArgumentException("numInferenceSteps: " + numInferenceSteps + " must be >= 1");
        }
        if (!(strength >= 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength: " + strength + " must lie in [0.0, 1.0]");
        }
        if (order < 1) {
            throw new IllegalArgumentException("order: " + order + " must be >= 1");
        }
        double initTimestep = Math.min(numInferenceSteps * strength, numInferenceSteps);
        int tStart = (int) Math.max(numInferenceSteps - initTimestep, 0);
        int left = numInferenceSteps - tStart;
        if (left < 1) {
            throw new IllegalArgumentException("strength: " + strength + " leaves " + left + " of "
                    + numInferenceSteps + " steps; after adjusting the number of steps by strength, at least one "
                    + "must remain (raise strength or the number of steps)");
        }
        return new Strength(strength, tStart, tStart * order, left);
    }
}

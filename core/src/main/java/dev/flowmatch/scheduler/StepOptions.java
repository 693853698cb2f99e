package dev.flowmatch.scheduler;

/**
 * A scheduler whose diffusers {@code step} takes keyword arguments beyond the generator (Heun's {@code s_churn},
 * {@code s_tmin}, {@code s_tmax}, {@code s_noise}). In flowmatch they are options of the instance, set once and used
 * by every later step, as a pipeline passes the same values to every {@code step} call; this interface sets them by
 * their diffusers names, for callers that replay recorded keyword arguments (the golden harness, a config file).
 */
public interface StepOptions {

    /**
     * Sets the step keyword argument {@code name} to {@code value} for every later step.
     *
     * @param name  the diffusers keyword, e.g. {@code s_churn}
     * @param value its value ({@link Double#POSITIVE_INFINITY} where diffusers' default is {@code float("inf")})
     * @throws IllegalArgumentException naming the keyword when the class has no such keyword or the value is out of
     *                                  its range
     */
    void setStepOption(String name, double value);
}

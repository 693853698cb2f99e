package dev.flowmatch.schedule;

import dev.flowmatch.Limits;

/**
 * The arguments of diffusers' {@code set_timesteps(num_inference_steps, sigmas, mu, timesteps)}; each may be
 * absent (null). Checked on construction with diffusers' rules plus the checks diffusers leaves to a crash or a
 * NaN: step counts lie in {@code [1, Limits.MAX_STEPS]}, {@code mu} in {@code [Limits.MIN_MU, Limits.MAX_MU]},
 * custom sigmas / timesteps are non-empty, finite and at most {@link Limits#MAX_STEPS} long, and their lengths agree
 * with each other and with the step count. What a scheduler class further requires of the values (their range and
 * order) it checks in {@code set_timesteps}.
 *
 * @param numInferenceSteps {@code num_inference_steps}, or null to take the length of sigmas / timesteps
 * @param sigmas            custom sigmas (cast to float32 before the shift, as diffusers does), or null
 * @param mu                the dynamic-shift parameter, required when {@code use_dynamic_shifting} is on
 * @param timesteps         custom timesteps (cast to float32; sigmas = timesteps / num_train_timesteps), or null
 */
public record ScheduleRequest(Integer numInferenceSteps, double[] sigmas, Double mu, double[] timesteps) {

    /**
     * Copies the arrays and checks the arguments as described above.
     *
     * @throws IllegalArgumentException naming the argument that diffusers would reject or crash on
     */
    public ScheduleRequest {
        sigmas = sigmas == null ? null : sigmas.clone();
        timesteps = timesteps == null ? null : timesteps.clone();
        if (numInferenceSteps != null) {
            Limits.requireSteps("num_inference_steps", numInferenceSteps);
        }
        if (mu != null) {
            Limits.requireMu("mu", mu);
        }
        requireFinite("sigmas", sigmas);
        requireFinite("timesteps", timesteps);
        if (sigmas != null && timesteps != null && sigmas.length != timesteps.length) {
            throw new IllegalArgumentException("sigmas and timesteps must have the same length: " + sigmas.length
                    + " sigmas, " + timesteps.length + " timesteps");
        }
        if (numInferenceSteps != null) {
            if (sigmas != null && sigmas.length != numInferenceSteps) {
                throw new IllegalArgumentException("num_inference_steps: " + numInferenceSteps + " but "
                        + sigmas.length + " sigmas were given; they must agree");
            }
            if (timesteps != null && timesteps.length != numInferenceSteps) {
                throw new IllegalArgumentException("num_inference_steps: " + numInferenceSteps + " but "
                        + timesteps.length + " timesteps were given; they must agree");
            }
        } else if (sigmas == null && timesteps == null) {
            throw new IllegalArgumentException(
                    "set_timesteps needs num_inference_steps, sigmas or timesteps; all three are absent");
        }
    }

    private static void requireFinite(String name, double[] values) {
        if (values == null) {
            return;
        }
        if (values.length == 0) {
            throw new IllegalArgumentException(name + ": must not be empty");
        }
        if (values.length > Limits.MAX_STEPS) {
            throw new IllegalArgumentException(name + ": " + values.length + " values; at most " + Limits.MAX_STEPS
                    + " (one per step)");
        }
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "]: " + values[i] + " must be finite");
            }
        }
    }

    /**
     * {@code set_timesteps(num_inference_steps)}: the scheduler's own default spacing.
     *
     * @param numInferenceSteps the number of steps, {@code >= 1}
     * @return the request
     */
    public static ScheduleRequest steps(int numInferenceSteps) {
        return new ScheduleRequest(numInferenceSteps, null, null, null);
    }

    /**
     * {@code set_timesteps(sigmas=...)}.
     *
     * @param sigmas the custom sigmas, non-empty and finite
     * @return the request
     */
    public static ScheduleRequest ofSigmas(double... sigmas) {
        return new ScheduleRequest(null, sigmas, null, null);
    }

    /**
     * {@code set_timesteps(timesteps=...)}.
     *
     * @param timesteps the custom timesteps, non-empty and finite
     * @return the request
     */
    public static ScheduleRequest ofTimesteps(double... timesteps) {
        return new ScheduleRequest(null, null, null, timesteps);
    }

    /**
     * This request with {@code mu} set.
     *
     * @param newMu the dynamic-shift mu, finite
     * @return a new request
     */
    public ScheduleRequest withMu(double newMu) {
        return new ScheduleRequest(numInferenceSteps, sigmas, newMu, timesteps);
    }

    /**
     * The custom sigmas.
     *
     * @return a copy, or null when absent
     */
    @Override
    public double[] sigmas() {
        return sigmas == null ? null : sigmas.clone();
    }

    /**
     * The custom timesteps.
     *
     * @return a copy, or null when absent
     */
    @Override
    public double[] timesteps() {
        return timesteps == null ? null : timesteps.clone();
    }

    /**
     * The step count diffusers settles on: {@code num_inference_steps}, else the length of sigmas / timesteps.
     *
     * @return the number of inference steps N
     */
    public int resolvedSteps() {
        if (numInferenceSteps != null) {
            return numInferenceSteps;
        }
        return sigmas != null ? sigmas.length : timesteps.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleRequest r && java.util.Objects.equals(numInferenceSteps, r.numInferenceSteps)
                && java.util.Arrays.equals(sigmas, r.sigmas) && java.util.Objects.equals(mu, r.mu)
                && java.util.Arrays.equals(timesteps, r.timesteps);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(numInferenceSteps, java.util.Arrays.hashCode(sigmas), mu,
                java.util.Arrays.hashCode(timesteps));
    }

    @Override
    public String toString() {
        return "ScheduleRequest[num_inference_steps=" + numInferenceSteps + ", sigmas="
                + java.util.Arrays.toString(sigmas) + ", mu=" + mu + ", timesteps="
                + java.util.Arrays.toString(timesteps) + "]";
    }
}

package dev.flowmatch.schedule;

import java.util.Arrays;

/**
 * A computed schedule: {@code N + 1} sigmas (the last is the terminal 0, or 1 when inverted) and {@code N}
 * timesteps, all float32, as diffusers' {@code scheduler.sigmas} / {@code scheduler.timesteps} hold them.
 * Immutable: accessors return copies.
 *
 * @param sigmas    the {@code N + 1} sigmas (copied)
 * @param timesteps the {@code N} timesteps (copied)
 */
public record Schedule(float[] sigmas, float[] timesteps) {

    /**
     * Copies the arrays and checks their lengths.
     *
     * @throws IllegalArgumentException unless there is exactly one more sigma than timesteps
     */
    public Schedule {
        sigmas = sigmas.clone();
        timesteps = timesteps.clone();
        if (sigmas.length != timesteps.length + 1) {
            throw new IllegalArgumentException("a schedule has one more sigma than timesteps: " + sigmas.length
                    + " sigmas, " + timesteps.length + " timesteps");
        }
    }

    /**
     * Number of inference steps N.
     *
     * @return the number of timesteps
     */
    public int numSteps() {
        return timesteps.length;
    }

    /**
     * The sigmas.
     *
     * @return a copy of the {@code N + 1} sigmas
     */
    @Override
    public float[] sigmas() {
        return sigmas.clone();
    }

    /**
     * The timesteps.
     *
     * @return a copy of the {@code N} timesteps
     */
    @Override
    public float[] timesteps() {
        return timesteps.clone();
    }

    /**
     * Sigma {@code i}.
     *
     * @param i the index, {@code 0 <= i <= N}
     * @return sigma {@code i}
     * @throws IndexOutOfBoundsException if {@code i} is outside the schedule
     */
    public float sigma(int i) {
        if (i < 0 || i >= sigmas.length) {
            throw new IndexOutOfBoundsException("sigma index " + i + " is outside 0.." + (sigmas.length - 1)
                    + " (a schedule of " + numSteps() + " steps has " + sigmas.length + " sigmas)");
        }
        return sigmas[i];
    }

    /**
     * Timestep {@code i}.
     *
     * @param i the index, {@code 0 <= i < N}
     * @return timestep {@code i}
     * @throws IndexOutOfBoundsException if {@code i} is outside the schedule
     */
    public float timestep(int i) {
        if (i < 0 || i >= timesteps.length) {
            throw new IndexOutOfBoundsException("timestep index " + i + " is outside 0.." + (timesteps.length - 1)
                    + " (a schedule of " + numSteps() + " steps)");
        }
        return timesteps[i];
    }

    /**
     * diffusers' {@code index_for_timestep}: the index of {@code timestep} in the schedule; when it occurs more
     * than once, the second occurrence ("so we don't accidentally skip a sigma when starting in the middle of
     * the schedule").
     *
     * @param timestep a timestep of this schedule (compared exactly)
     * @return its index
     * @throws IllegalArgumentException if {@code timestep} is not in the schedule
     */
    public int indexForTimestep(float timestep) {
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        if (first < 0) {
            throw new IllegalArgumentException("timestep " + timestep + " is not in the schedule "
                    + Arrays.toString(timesteps));
        }
        return first;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Schedule s && Arrays.equals(sigmas, s.sigmas) && Arrays.equals(timesteps, s.timesteps);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(sigmas) + Arrays.hashCode(timesteps);
    }

    @Override
    public String toString() {
        return "Schedule[sigmas=" + Arrays.toString(sigmas) + ", timesteps=" + Arrays.toString(timesteps) + "]";
    }
}

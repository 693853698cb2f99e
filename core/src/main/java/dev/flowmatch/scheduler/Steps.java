package dev.flowmatch.scheduler;

import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.Arrays;
import java.util.Objects;

/** What the step code of the family's classes shares: argument checks and diffusers' timestep look-up. */
final class Steps {
    private Steps() {}

    /**
     * Checks a step's two tensors (non-null, open, on one backend, one shape) and returns their backend.
     *
     * @param modelOutput the model output
     * @param sample      the sample
     * @return the backend both live on
     */
    static TensorBackend checkPair(Tensor modelOutput, Tensor sample) {
        return checkPair("modelOutput", modelOutput, "sample", sample);
    }

    /** {@link #checkPair(Tensor, Tensor)} with the roles named as given. */
    static TensorBackend checkPair(String roleA, Tensor a, String roleB, Tensor b) {
        Objects.requireNonNull(a, roleA);
        Objects.requireNonNull(b, roleB);
        a.requireOpen(roleA);
        b.requireOpen(roleB);
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(roleA + " is on backend '" + a.backend().name() + "' but " + roleB
                    + " is on backend '" + b.backend().name() + "'; move one with Tensors.transfer");
        }
        Tensors.requireSameShape(roleA, a, roleB, b);
        return b.backend();
    }

    /**
     * diffusers' {@code index_for_timestep} (the same in every flow-match class, e.g.
     * {@code scheduling_flow_match_heun_discrete.py}, {@code index_for_timestep}): the position of {@code timestep}
     * in {@code timesteps}; when it occurs more than once, the second occurrence ("so we don't accidentally skip a
     * sigma when starting in the middle of the schedule"). A value not in the schedule is an error (diffusers raises).
     *
     * @param timesteps the schedule's timesteps
     * @param timestep  the value looked up, compared as float32 as torch compares it
     * @return its index
     */
    static int indexForTimestep(float[] timesteps, float timestep) {
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
            throw new IllegalArgumentException("timestep: " + timestep + " is not in the schedule "
                    + Arrays.toString(timesteps) + "; pass one of scheduler.timesteps()");
        }
        return first;
    }

    /**
     * Checks a begin index against the number of timesteps.
     *
     * @param beginIndex    the index given to {@code setBeginIndex}
     * @param numTimesteps  how many timesteps the schedule has
     */
    static void checkBeginIndex(int beginIndex, int numTimesteps) {
        if (beginIndex < 0 || beginIndex >= numTimesteps) {
            throw new IllegalArgumentException("beginIndex: " + beginIndex + " is outside 0.." + (numTimesteps - 1)
                    + " (the indices of the " + numTimesteps + " timesteps)");
        }
    }

    /** The {@link IllegalStateException} of a scheduler used before {@code setTimesteps}. */
    static IllegalStateException noSchedule(String className) {
        return new IllegalStateException(className + ": no schedule; call setTimesteps(...) first");
    }
}

package dev.flowmatch.sampling;

import dev.flowmatch.tensor.Tensor;

/** The sampler's opt-in scan for non-finite values (a host read: never on the default path). */
final class NanGuard {
    private NanGuard() {}

    static void check(Tensor tensor, int stepIndex, String what) {
        float[] values = tensor.backend().toFloats(tensor);
        int count = 0;
        long first = -1;
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                if (count++ == 0) {
                    first = i;
                }
            }
        }
        if (count > 0) {
            throw new NonFiniteLatentsException(stepIndex, what, count, first);
        }
    }
}

package dev.flowmatch.examples;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/** Forward passes of a Java runtime on the inputs torch recorded, and their distance from torch's outputs. */
final class RuntimeMeasurement {
    private RuntimeMeasurement() {}

    /** Largest |runtime - torch| and largest |torch| over every recorded model call of {@code run}. */
    record Difference(double maxAbs, double maxReference, int calls) {}

    static Difference forwardDifference(FlowModel model, Trajectories.Run run) {
        TensorBackend backend = model.backend();
        Shape shape = run.shape();
        int batch = Math.toIntExact(shape.dim(0));
        int n = Math.toIntExact(shape.numel());
        // The recorded call's input rows [sample; sample] with labels [labels; null labels], unguided (scale 1).
        int[] modelLabels = new int[2 * batch];
        for (int i = 0; i < 2 * batch; i++) {
            modelLabels[i] = i < batch ? run.labels()[i] : run.nullLabel();
        }
        Shape doubled = model.info().batchShape(2 * batch);
        double maxAbs = 0;
        double maxReference = 0;
        int[] sample = run.initialSample();
        try (GuidedVelocity forward = model.guided(modelLabels, 1f)) {
            for (Trajectories.Step step : run.steps()) {
                int[] input = new int[2 * n];
                System.arraycopy(sample, 0, input, 0, n);
                System.arraycopy(sample, 0, input, n, n);
                float[] out;
                try (Tensor latents = backend.fromBits(input, DType.FLOAT32, doubled);
                     Tensor velocity = forward.velocity(latents, Float.intBitsToFloat(step.modelTimeBits()))) {
                    out = backend.toFloats(velocity);
                }
                float[] reference = Trajectories.floats(step.modelOutput());
                for (int i = 0; i < out.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs((double) out[i] - reference[i]));
                    maxReference = Math.max(maxReference, Math.abs(reference[i]));
                }
                sample = step.prevSample();
            }
        }
        return new Difference(maxAbs, maxReference, run.steps().size());
    }

    /** Largest |a - b| of two float32 bit-pattern arrays. */
    static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}

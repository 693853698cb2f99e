package dev.flowmatch.examples;

import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/** Forward passes of a Java runtime on the inputs torch recorded, their distance from torch's outputs, and bounds. */
final class RuntimeMeasurement {
    private RuntimeMeasurement() {}

    /** Largest |runtime - torch| and largest |torch| over every recorded model call of a run. */
    record Difference(double maxAbs, double maxReference, int calls) {}

    /**
     * Each recorded call again, as the batched call of {@link LabelledModel#velocities} (rows {@code [x; x]} with
     * labels {@code [labels; null labels]}: the call torch made), compared with torch's output rows.
     */
    static Difference forwardDifference(FlowModel model, Trajectories.Run run) {
        TensorBackend backend = model.backend();
        Shape shape = run.shape();
        int n = Math.toIntExact(shape.numel());
        double maxAbs = 0;
        double maxReference = 0;
        try (LabelledModel labelled = model.withLabels(run.labels())) {
            for (Trajectories.Step step : run.steps()) {
                float[] cond;
                float[] uncond;
                try (Tensor latents = backend.fromBits(run.input(step.index()), DType.FLOAT32, shape);
                     GuidedModel.Predictions both = labelled.velocities(latents,
                             Float.intBitsToFloat(step.modelTimeBits()))) {
                    cond = backend.toFloats(both.conditional());
                    uncond = backend.toFloats(both.unconditional());
                }
                float[] reference = Trajectories.floats(step.modelOutput());
                for (int i = 0; i < 2 * n; i++) {
                    float out = i < n ? cond[i] : uncond[i - n];
                    maxAbs = Math.max(maxAbs, Math.abs((double) out - reference[i]));
                    maxReference = Math.max(maxReference, Math.abs(reference[i]));
                }
            }
        }
        return new Difference(maxAbs, maxReference, run.steps().size());
    }

    /**
     * How much the end point moves per unit of model-output error: the loop's result is affine in the model's
     * outputs ({@code x_end = a(x_0, noise) + sum_k c_k v_k}, each step's {@code v_k} entering with scalar
     * coefficients, elementwise), so an error of at most {@code E} in every output moves the end point by at most
     * {@code E * sum_k |c_k|}, before the model's own response to the moved latents. This returns
     * {@code sum_k |c_k|}, measured with the scheduler itself: the loop from 0 with a unit output at call {@code k}
     * and 0 elsewhere, minus the loop with 0 everywhere (the same noise draws). Euler: {@code sum |dt| = 1}.
     */
    static double sensitivity(SchedulerType type, ScheduleRequest request, long seed) {
        TensorBackend java = TestBackends.backend("java");
        Scheduler scheduler = FlowSchedulers.create(type, 1.0);
        scheduler.setTimesteps(request);
        int calls = scheduler.timesteps().length;
        double baseline = endPoint(java, type, request, seed, -1);
        double sum = 0;
        for (int k = 0; k < calls; k++) {
            sum += Math.abs(endPoint(java, type, request, seed, k) - baseline);
        }
        return sum;
    }

    private static double endPoint(TensorBackend java, SchedulerType type, ScheduleRequest request, long seed,
                                   int unitCall) {
        int[] call = {0};
        Sampler sampler = Sampler.builder().scheduler(() -> FlowSchedulers.create(type, 1.0)).schedule(request).build();
        try (Tensor start = java.fromFloats(new float[] {0f}, DType.FLOAT32, Shape.of(1));
             Tensor end = sampler.run(start, (latents, t) -> java.fromFloats(
                     new float[] {call[0]++ == unitCall ? 1f : 0f}, DType.FLOAT32, Shape.of(1)),
                     new TorchGenerator(seed))) {
            return java.toFloats(end)[0];
        }
    }

    /** Largest |a - b|. */
    static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}

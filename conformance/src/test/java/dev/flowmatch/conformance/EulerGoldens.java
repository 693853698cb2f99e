package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;

/**
 * The sections of {@code diffusers-goldens.json} about diffusers' {@code FlowMatchEulerDiscreteScheduler}:
 * schedules, FLUX.2's empirical mu, and single steps.
 */
final class EulerGoldens {
    private EulerGoldens() {}

    /** The schedule carried through the backend: sigmas placed on it, timesteps computed by it (T * sigma). */
    static void schedule(Goldens.ScheduleCase c, TensorBackend backend) {
        Schedule schedule = Schedules.compute(c.config(), c.request());
        float[] sigmas = schedule.sigmas();
        float[] withoutTerminal = Arrays.copyOf(sigmas, sigmas.length - 1);
        float t = (float) c.config().numTrainTimesteps();
        try (Tensor s = backend.fromFloats(sigmas, DType.FLOAT32, Shape.of(sigmas.length));
             Tensor head = backend.fromFloats(withoutTerminal, DType.FLOAT32, Shape.of(withoutTerminal.length));
             Tensor timesteps = backend.affine(t, head, 0f, head, AffineSpec.float32(DType.FLOAT32))) {
            assertArrayEquals(c.sigmasBits(), backend.toBits(s), "sigmas");
            assertArrayEquals(c.timestepsBits(), backend.toBits(timesteps), "timesteps");
        }
    }

    static void empiricalMu(Goldens.EmpiricalMuCase c, TensorBackend backend) {
        assertEquals(c.mu(), Flux2.computeEmpiricalMu(c.imageSeqLen(), c.numSteps()), 0.0);
    }

    static void step(Goldens.StepCase c, TensorBackend backend) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(c.numSteps(), c.mu());
        assertEquals(c.sigma(), scheduler.sigmas()[c.stepIndex()], "sigma");
        assertEquals(c.sigmaNext(), scheduler.sigmas()[c.stepIndex() + 1], "sigma_next");
        try (Tensor sample = backend.fromBits(c.sample().bits(), c.sample().dtype(), c.sample().shape());
             Tensor modelOutput = backend.fromBits(c.modelOutput().bits(), c.modelOutput().dtype(),
                     c.modelOutput().shape());
             Tensor out = scheduler.step(modelOutput, sample, c.stepIndex())) {
            assertEquals(c.expected().dtype(), out.dtype());
            Conformance.assertConforms(backend, out.dtype(), c.expected().bits(), backend.toBits(out), "step");
        }
    }
}

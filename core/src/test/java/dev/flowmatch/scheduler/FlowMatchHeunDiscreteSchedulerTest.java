package dev.flowmatch.scheduler;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import org.junit.jupiter.api.Test;

class FlowMatchHeunDiscreteSchedulerTest {
    private final TensorBackend backend = new JavaBackend();

    private static FlowMatchHeunDiscreteScheduler heun(double shift, int steps) {
        FlowMatchHeunDiscreteScheduler s = new FlowMatchHeunDiscreteScheduler(
                new FlowMatchHeunDiscreteScheduler.Config(1000, shift));
        s.setTimesteps(ScheduleRequest.steps(steps));
        return s;
    }

    @Test
    void scheduleIsTheEulerDefaultScheduleInterleaved() {
        qt().forAll(doubles().between(0.2, 10), integers().between(1, 60)).checkAssert((shift, n) -> {
            FlowMatchHeunDiscreteScheduler s = heun(shift, n);
            Schedule euler = Schedules.compute(SchedulerConfig.builder().shift(shift).build(), ScheduleRequest.steps(n));
            float[] sigmas = s.sigmas();
            float[] timesteps = s.timesteps();
            assertEquals(2 * n, sigmas.length);
            assertEquals(2 * n - 1, timesteps.length);
            assertEquals(n, s.numInferenceSteps());
            assertEquals(2, s.order());
            assertEquals(euler.sigma(0), sigmas[0]);
            assertEquals(euler.timestep(0), timesteps[0]);
            for (int k = 1; k < n; k++) {
                assertEquals(euler.sigma(k), sigmas[2 * k - 1]);
                assertEquals(euler.sigma(k), sigmas[2 * k]);
                assertEquals(euler.timestep(k), timesteps[2 * k - 1]);
                assertEquals(euler.timestep(k), timesteps[2 * k]);
            }
            assertEquals(0f, sigmas[2 * n - 1]);
            for (int i = 0; i + 1 < sigmas.length; i++) {
                assertTrue(sigmas[i] >= sigmas[i + 1], "sigmas non-increasing");
            }
        });
    }

    @Test
    void setTimestepsTakesOnlyTheStepCount() {
        FlowMatchHeunDiscreteScheduler s = heun(3, 4);
        IllegalArgumentException sigmas = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.ofSigmas(1, 0.5)));
        assertTrue(sigmas.getMessage().startsWith("sigmas:"), sigmas.getMessage());
        IllegalArgumentException mu = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.steps(4).withMu(1.0)));
        assertTrue(mu.getMessage().startsWith("mu:"), mu.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(ScheduleRequest.ofTimesteps(900, 500)));
        assertEquals(ScheduleRequest.steps(6), s.flux2PipelineRequest(6, 2.0));
    }

    @Test
    void configAndChurnValuesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new FlowMatchHeunDiscreteScheduler.Config(0, 1));
        IllegalArgumentException shift = assertThrows(IllegalArgumentException.class,
                () -> new FlowMatchHeunDiscreteScheduler.Config(1000, -1));
        assertTrue(shift.getMessage().startsWith("shift:"));
        FlowMatchHeunDiscreteScheduler s = heun(3, 4);
        IllegalArgumentException churn = assertThrows(IllegalArgumentException.class,
                () -> s.setStepOption("s_churn", -1));
        assertTrue(churn.getMessage().startsWith("s_churn:"), churn.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> s.setStepOption("eta", 1));
        assertTrue(unknown.getMessage().contains("eta"));
        assertThrows(IllegalArgumentException.class, () -> s.setStepOption("s_noise", Double.NaN));
        s.setStepOption("s_tmax", Double.POSITIVE_INFINITY);
        s.setStepOption("s_churn", 0.5);
        assertEquals(new FlowMatchHeunDiscreteScheduler.Churn(0.5, 0, Double.POSITIVE_INFINITY, 1), s.churn());
        assertTrue(s.isStochastic());
    }

    @Test
    void churnNeedsANoiseSource() {
        FlowMatchHeunDiscreteScheduler s = heun(3, 4).setChurn(new FlowMatchHeunDiscreteScheduler.Churn(1, 0,
                Double.POSITIVE_INFINITY, 1));
        try (Tensor x = backend.fromFloats(new float[] {0.5f, -1f}, DType.FLOAT32, Shape.of(1, 1, 2));
             Tensor v = backend.fromFloats(new float[] {0.1f, 0.2f}, DType.FLOAT32, Shape.of(1, 1, 2))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.step(v, 1000f, x));
            assertTrue(e.getMessage().contains("NoiseSource"));
        }
    }

    /**
     * diffusers' "Heun mid-schedule start without begin_index" probe (sampler-goldens.json, excluded): a loop that
     * starts at a second-order (odd) index runs one index ahead; diffusers returns NaN on the last call, flowmatch
     * refuses that call.
     */
    @Test
    void aLoopStartedAtAnOddIndexWithoutBeginIndexIsRefusedAtItsLastCall() {
        FlowMatchHeunDiscreteScheduler s = heun(3, 8);
        float[] timesteps = s.timesteps();
        Tensor sample = backend.fromFloats(new float[] {0.3f, -0.7f, 1.1f, 0.2f}, DType.FLOAT32, Shape.of(1, 1, 4));
        try {
            for (int i = 5; i < timesteps.length - 1; i++) {
                try (Tensor v = backend.fromFloats(new float[] {0.1f, 0.4f, -0.2f, 0.3f}, DType.FLOAT32,
                        sample.shape())) {
                    Tensor next = s.step(v, timesteps[i], sample);
                    sample.close();
                    sample = next;
                }
            }
            try (Tensor v = backend.fromFloats(new float[] {0.1f, 0.4f, -0.2f, 0.3f}, DType.FLOAT32, sample.shape())) {
                Tensor last = sample;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> s.step(v, timesteps[timesteps.length - 1], last));
                assertTrue(e.getMessage().startsWith("timestep:") && e.getMessage().contains("setBeginIndex"),
                        e.getMessage());
            }
        } finally {
            sample.close();
        }
    }

    @Test
    void setTimestepsDropsTheSecondOrderState() {
        float[] x = {0.3f, -0.7f, 1.1f, 0.2f};
        float[] v = {0.1f, 0.4f, -0.2f, 0.3f};
        FlowMatchHeunDiscreteScheduler used = heun(3, 4);
        try (Tensor sample = backend.fromFloats(x, DType.FLOAT32, Shape.of(1, 1, 4));
             Tensor velocity = backend.fromFloats(v, DType.FLOAT32, Shape.of(1, 1, 4));
             Tensor first = used.step(velocity, used.timesteps()[0], sample)) {
            assertEquals(1, used.stepIndex());
            used.setTimesteps(ScheduleRequest.steps(4));
            assertNull(used.stepIndex());
            FlowMatchHeunDiscreteScheduler fresh = heun(3, 4);
            try (Tensor again = used.step(velocity, used.timesteps()[0], sample);
                 Tensor expected = fresh.step(velocity, fresh.timesteps()[0], sample)) {
                // A kept second-order state would have turned this call into a second-order one.
                assertArrayEquals(backend.toBits(expected), backend.toBits(again));
                assertArrayEquals(backend.toBits(first), backend.toBits(again));
            }
        }
    }

    @Test
    void churnWithTheSameSeedGivesTheSameBits() {
        float[] x = {0.3f, -0.7f, 1.1f, 0.2f};
        int[][] runs = new int[3][];
        long[] seeds = {42, 42, 43};
        for (int r = 0; r < 3; r++) {
            FlowMatchHeunDiscreteScheduler s = heun(3, 3).setChurn(new FlowMatchHeunDiscreteScheduler.Churn(2, 0,
                    Double.POSITIVE_INFINITY, 1));
            TorchGenerator generator = new TorchGenerator(seeds[r]);
            Tensor sample = backend.fromFloats(x, DType.BFLOAT16, Shape.of(1, 1, 4));
            for (float t : s.timesteps()) {
                try (Tensor v = backend.convert(sample, DType.BFLOAT16)) {
                    Tensor next = s.step(v, t, sample, generator);
                    sample.close();
                    sample = next;
                }
            }
            runs[r] = backend.toBits(sample);
            assertEquals(DType.BFLOAT16, sample.dtype());
            sample.close();
        }
        assertArrayEquals(runs[0], runs[1]);
        assertTrue(!java.util.Arrays.equals(runs[0], runs[2]), "another seed, other noise");
    }
}

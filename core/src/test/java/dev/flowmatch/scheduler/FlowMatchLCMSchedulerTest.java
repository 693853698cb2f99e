package dev.flowmatch.scheduler;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Generators;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowMatchLCMSchedulerTest {
    private final TensorBackend backend = new JavaBackend();

    private static FlowMatchLCMScheduler lcm(SchedulerConfig schedule) {
        return new FlowMatchLCMScheduler(new FlowMatchLCMScheduler.Config(schedule, null, "bicubic"));
    }

    @Test
    void scheduleIsTheEulerSchedulersForEveryConfig() {
        qt().forAll(Generators.configs(), integers().between(2, 40), doubles().between(-2, 3))
                .checkAssert((c, n, rawMu) -> {
                    ScheduleRequest request = ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(n));
                    if (c.useDynamicShifting()) {
                        request = request.withMu(Generators.muFor(c, rawMu));
                    }
                    FlowMatchScheduler euler = new FlowMatchScheduler(c);
                    euler.setTimesteps(request);
                    FlowMatchLCMScheduler s = lcm(c);
                    s.setTimesteps(request);
                    assertArrayEquals(euler.sigmas(), s.sigmas());
                    assertArrayEquals(euler.timesteps(), s.timesteps());
                });
    }

    @Test
    void customTimestepsAreKeptAsGiven() {
        FlowMatchLCMScheduler s = lcm(SchedulerConfig.builder().shift(2.0).build());
        s.setTimesteps(ScheduleRequest.ofTimesteps(900, 700.5, 400.25, 100));
        assertArrayEquals(new float[] {900f, 700.5f, 400.25f, 100f}, s.timesteps());
        // The sigmas are shifted as the Euler scheduler shifts them.
        FlowMatchScheduler euler = new FlowMatchScheduler(SchedulerConfig.builder().shift(2.0).build());
        euler.setTimesteps(ScheduleRequest.ofTimesteps(900, 700.5, 400.25, 100));
        assertArrayEquals(euler.sigmas(), s.sigmas());
    }

    @Test
    void setShiftChangesLaterSchedules() {
        FlowMatchLCMScheduler s = lcm(SchedulerConfig.defaults());
        s.setShift(3.0);
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5));
        assertEquals(0.75f, s.sigmas()[1]);
        assertThrows(IllegalArgumentException.class, () -> s.setShift(0));
    }

    @Test
    void scaleFactorsWithAModeFlowmatchDoesNotReproduceAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedulers.fromConfig(
                Schedulers.parseJson("{\"_class_name\": \"FlowMatchLCMScheduler\", \"scale_factors\": [1.5],"
                        + " \"upscale_mode\": \"bilinear\"}")));
        assertTrue(e.getMessage().startsWith("upscale_mode:") && e.getMessage().contains("bilinear"),
                e.getMessage());
        // Without scale factors the mode is never used and any of diffusers' values is accepted.
        Schedulers.fromConfig(Schedulers.parseJson("{\"_class_name\": \"FlowMatchLCMScheduler\","
                + " \"upscale_mode\": \"bilinear\"}"));
        assertThrows(IllegalArgumentException.class, () -> Schedulers.fromConfig(Schedulers.parseJson(
                "{\"_class_name\": \"FlowMatchLCMScheduler\", \"upscale_mode\": \"cubic\"}")));
        assertThrows(IllegalArgumentException.class, () -> Schedulers.fromConfig(Schedulers.parseJson(
                "{\"_class_name\": \"FlowMatchLCMScheduler\", \"scale_factors\": [0], \"upscale_mode\": \"nearest\"}")));
    }

    @Test
    void scaleFactorsMustMatchTheTimesteps() {
        FlowMatchLCMScheduler s = lcm(SchedulerConfig.defaults());
        s.setScaleFactors(List.of(2.0), "nearest");
        s.setTimesteps(ScheduleRequest.steps(3));
        try (Tensor x = backend.fromFloats(new float[4], DType.FLOAT32, Shape.of(1, 1, 4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.step(x, s.timesteps()[0], x, new TorchGenerator(0)));
            assertTrue(e.getMessage().startsWith("scale_factors:"), e.getMessage());
        }
    }

    @Test
    void everyStepNeedsANoiseSourceAndTheSameSeedGivesTheSameBits() {
        FlowMatchLCMScheduler s = lcm(SchedulerConfig.builder().shift(3).build());
        s.setTimesteps(ScheduleRequest.steps(2));
        assertTrue(s.isStochastic());
        try (Tensor x = backend.fromFloats(new float[] {0.5f, -0.25f}, DType.FLOAT32, Shape.of(1, 1, 2));
             Tensor v = backend.fromFloats(new float[] {0.1f, 0.3f}, DType.FLOAT32, Shape.of(1, 1, 2))) {
            assertThrows(IllegalStateException.class, () -> s.step(v, s.timesteps()[0], x));
            int[][] bits = new int[2][];
            for (int r = 0; r < 2; r++) {
                s.setTimesteps(ScheduleRequest.steps(2));
                try (Tensor out = s.step(v, s.timesteps()[0], x, new TorchGenerator(7))) {
                    bits[r] = backend.toBits(out);
                }
            }
            assertArrayEquals(bits[0], bits[1]);
        }
    }

    @Test
    void theStochasticSamplingKeyIsNotAnLcmKey() {
        assertThrows(IllegalArgumentException.class, () -> new FlowMatchLCMScheduler.Config(
                SchedulerConfig.builder().stochasticSampling(true).build(), null, "bicubic"));
    }
}

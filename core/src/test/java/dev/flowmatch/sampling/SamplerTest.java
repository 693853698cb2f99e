package dev.flowmatch.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private final JavaBackend backend = new JavaBackend();
    private final GaussianFlow flow = new GaussianFlow(new float[] {0.5f, -1f, 0.25f, 2f}, 0.3);

    @Test
    void anySchedulerRunsWithTheGeneratorContinuingAcrossSteps() {
        float[] noise = {0.3f, -1.2f, 0.8f, 0.05f, 1.1f, -0.4f, 0.0f, 2.2f};
        SchedulerConfig stochastic = SchedulerConfig.flux2Klein().toBuilder().stochasticSampling(true).build();
        Sampler sampler = Sampler.builder().scheduler(() -> new FlowMatchScheduler(stochastic)).numSteps(3).build();
        float[] viaSampler;
        try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, 2, 4));
             Tensor out = sampler.run(z, flow, new TorchGenerator(7))) {
            viaSampler = backend.toFloats(out);
        }
        // The loop written out: one generator passed to every step.
        FlowMatchScheduler scheduler = new FlowMatchScheduler(stochastic);
        double mu = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.square(1024)), 3);
        scheduler.setTimesteps(ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(3)).withMu(mu));
        scheduler.setBeginIndex(0);
        TorchGenerator generator = new TorchGenerator(7);
        Tensor latents = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, 2, 4));
        for (int i = 0; i < 3; i++) {
            float t = scheduler.timestep(i);
            try (Tensor v = flow.velocity(latents, t / 1000f); Tensor previous = latents) {
                latents = scheduler.step(v, t, previous, generator);
            }
        }
        assertArrayEquals(backend.toFloats(latents), viaSampler);
        latents.close();
        try (Tensor z = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, 2, 4))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> sampler.run(z, flow));
            assertTrue(e.getMessage().contains("NoiseSource"), e.getMessage());
        }
    }

    @Test
    void aGivenScheduleReplacesThePipelines() {
        ScheduleRequest uniform = ScheduleRequest.ofSigmas(1.0, 0.5).withMu(0.0);
        Sampler sampler = Sampler.builder().schedule(uniform).build();
        FlowMatchScheduler expected = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        expected.setTimesteps(uniform);
        assertArrayEquals(expected.sigmas(), sampler.newScheduler().sigmas());
        assertEquals(0, sampler.newScheduler().beginIndex());
    }

    @Test
    void loopIsThePipelinesStepForStep() {
        float[] noise = {0.3f, -1.2f, 0.8f, 0.05f, 1.1f, -0.4f, 0.0f, 2.2f};
        List<Float> modelTimes = new ArrayList<>();
        VelocityModel recording = (latents, t) -> {
            modelTimes.add(t);
            return flow.velocity(latents, t);
        };
        Sampler sampler = Sampler.builder().numSteps(4).imageSize(ImageSize.of(768, 512)).build();
        float[] viaSampler;
        try (Tensor z = backend.fromFloats(noise, DType.BFLOAT16, Shape.of(1, 2, 4));
             Tensor out = sampler.run(z, recording)) {
            viaSampler = backend.toFloats(out);
            assertEquals(DType.BFLOAT16, out.dtype());
        }
        // The same loop written out from diffusers' pipeline.
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        double mu = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.of(768, 512)), 4);
        scheduler.setTimesteps(ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(4)).withMu(mu));
        scheduler.setBeginIndex(0);
        Tensor latents = backend.fromFloats(noise, DType.BFLOAT16, Shape.of(1, 2, 4));
        for (int i = 0; i < 4; i++) {
            float t = scheduler.timestep(i);
            float modelTime = DType.BFLOAT16.round(DType.BFLOAT16.round(t) / 1000f);
            assertEquals(modelTime, modelTimes.get(i));
            try (Tensor v = flow.velocity(latents, modelTime); Tensor previous = latents) {
                latents = scheduler.step(v, t, previous);
            }
        }
        assertArrayEquals(backend.toFloats(latents), viaSampler);
        latents.close();
    }

    @Test
    void listenerSeesEveryStepAndInputStaysOpen() {
        List<StepEvent> events = new ArrayList<>();
        Sampler sampler = Sampler.builder().numSteps(3).listener(events::add).build();
        try (Tensor z = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4));
             Tensor out = sampler.run(z, flow)) {
            assertFalse(z.isClosed());
            assertFalse(out.isClosed());
            assertEquals(3, events.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(i, events.get(i).index());
                assertEquals(events.get(i).sigmaNext(), i == 2 ? 0f : events.get(i + 1).sigma());
                // The input is the caller's; every intermediate the loop made is closed once used.
                assertEquals(i > 0, events.get(i).sample().isClosed(), "sample of step " + i);
                assertTrue(events.get(i).velocity().isClosed());
            }
            assertTrue(events.get(2).next() == out);
        }
    }

    @Test
    void cancellationStopsBeforeTheNextStep() {
        AtomicInteger calls = new AtomicInteger();
        Sampler sampler = Sampler.builder().numSteps(4).cancelWhen(() -> calls.get() >= 2).build();
        VelocityModel counting = (latents, t) -> {
            calls.incrementAndGet();
            return flow.velocity(latents, t);
        };
        try (Tensor z = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4))) {
            CancellationException e = assertThrows(CancellationException.class, () -> sampler.run(z, counting));
            assertTrue(e.getMessage().contains("before step 2"), e.getMessage());
        }
        assertEquals(2, calls.get());
    }

    @Test
    void nanGuardNamesTheStep() {
        java.util.function.Supplier<VelocityModel> breaksAtStepTwo = () -> new VelocityModel() {
            int step;

            @Override
            public Tensor velocity(Tensor latents, float t) {
                float value = step++ == 2 ? Float.NaN : 0.1f;
                return backend.fromFloats(new float[] {value, 0.1f, 0.1f, 0.1f}, latents.dtype(), latents.shape());
            }
        };
        try (Tensor z = backend.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4))) {
            NonFiniteLatentsException e = assertThrows(NonFiniteLatentsException.class,
                    () -> Sampler.builder().numSteps(4).nanGuard(true).build().run(z, breaksAtStepTwo.get()));
            assertEquals(2, e.stepIndex());
            assertTrue(e.getMessage().contains("model output at step 2"), e.getMessage());
            // Without the guard the NaN flows through (the hot path does not scan values).
            try (Tensor out = Sampler.builder().numSteps(4).build().run(z, breaksAtStepTwo.get())) {
                assertTrue(Float.isNaN(backend.toFloats(out)[0]));
            }
        }
    }
}

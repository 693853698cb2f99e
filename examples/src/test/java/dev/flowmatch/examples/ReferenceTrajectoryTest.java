package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.noise.Noise;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.Guidance;
import dev.flowmatch.sampling.GuidedModel;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * flowmatch against the reference trajectories (torch 1.13 + diffusers v0.40.0, {@link Trajectories}), given the
 * model outputs torch recorded, on each backend: for every recorded scheduler of the family, the schedule, the
 * starting noise, the model's time input, core's guidance and every step, bit for bit; and the same run through
 * core's {@link Sampler} with the setup {@code flowmatch generate} uses ({@link FlowSchedulers}).
 *
 * <p>A recorded scheduler class flowmatch does not have (not in {@link SchedulerType}) would be skipped with the
 * reason printed; today every recorded class is in the family.
 */
class ReferenceTrajectoryTest {
    static final List<String> BACKENDS = List.of("java", "djl", "mlx");

    static Stream<Arguments> backendsAndRuns() {
        List<Arguments> out = new ArrayList<>();
        for (String backend : BACKENDS) {
            for (Trajectories.Run run : Trajectories.runs()) {
                out.add(Arguments.of(backend, run.name()));
            }
        }
        return out.stream();
    }

    /** The run's scheduler class in flowmatch's family, or a skipped test naming why it is not replayed. */
    static SchedulerType schedulerType(Trajectories.Run run) {
        Optional<SchedulerType> type = Arrays.stream(SchedulerType.values())
                .filter(t -> t.className().equals(run.scheduler())).findFirst();
        if (type.isEmpty()) {
            String reason = "reference run '" + run.name() + "' not replayed: " + run.scheduler()
                    + " is not in flowmatch's SchedulerType yet";
            System.out.println("SKIPPED " + reason);
            Assumptions.abort(reason);
        }
        return type.get();
    }

    /** Step by step with the recorded config and set_timesteps call, as the reference script called diffusers. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndRuns")
    void everyStepIsReproducedBitForBit(String backendName, String runName) {
        Trajectories.Run run = Trajectories.run(runName);
        SchedulerType type = schedulerType(run);
        TensorBackend backend = TestBackends.backend(backendName);

        Scheduler scheduler = Schedulers.fromConfig(run.config(), type);
        scheduler.setTimesteps(run.request());
        scheduler.setBeginIndex(0);
        assertArrayEquals(bitsOf(run.sigmaValues()), bitsOf(scheduler.sigmas()), "sigmas");
        assertArrayEquals(bitsOf(run.timestepValues()), bitsOf(scheduler.timesteps()), "timesteps");
        assertEquals(run.stepGenerator(), scheduler.isStochastic(), "a stochastic scheduler was given the generator");

        // generator = torch.Generator().manual_seed(seed); torch.randn(shape, generator=generator) on the CPU
        TorchGenerator generator = new TorchGenerator(run.seed());
        Shape shape = run.shape();
        Tensor sample = generator.normal(backend, shape, DType.FLOAT32);
        assertArrayEquals(run.initialSample(), backend.toBits(sample), "initial noise");
        int n = Math.toIntExact(shape.numel());
        float[] timesteps = scheduler.timesteps();
        try {
            for (Trajectories.Step step : run.steps()) {
                int i = step.index();
                float timestep = timesteps[i];
                assertEquals(step.timestep().get("value").asDouble(), timestep, 0.0, "timestep " + i);
                // The pipelines feed the model timestep.to(latents.dtype) / 1000.
                assertEquals(step.modelTimeBits(), Float.floatToRawIntBits(Flux2.modelTime(timestep, DType.FLOAT32)),
                        "model t, call " + i);
                Tensor next;
                try (Tensor cond = backend.fromBits(Trajectories.rows(step.modelOutput(), 0, n), DType.FLOAT32, shape);
                     Tensor uncond = backend.fromBits(Trajectories.rows(step.modelOutput(), n, 2 * n), DType.FLOAT32,
                             shape);
                     Tensor noisePred = Guidance.combine(cond, uncond, run.guidanceScale())) {
                    assertArrayEquals(step.noisePred(), backend.toBits(noisePred), "noise_pred, call " + i);
                    next = run.stepGenerator() ? scheduler.step(noisePred, timestep, sample, generator)
                            : scheduler.step(noisePred, timestep, sample);
                }
                sample.close();
                sample = next; // fed forward: our own result is the next step's sample
                assertArrayEquals(step.prevSample(), backend.toBits(sample), "prev_sample, call " + i);
            }
        } finally {
            sample.close();
        }
    }

    /**
     * The whole loop in core's {@link Sampler} (classifier-free guidance from the model's batched
     * {@link GuidedModel#velocities}, the model time, the steps, the generator continuing from the latents' draw),
     * with the scheduler and the {@code set_timesteps} call that {@code flowmatch generate} makes
     * ({@link FlowSchedulers}), the model replaced by torch's recorded outputs: every input the model gets and every
     * step's result are torch's, bit for bit.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndRuns")
    void theSamplerWithGenerateSetupReproducesTheRun(String backendName, String runName) {
        Trajectories.Run run = Trajectories.run(runName);
        SchedulerType type = schedulerType(run);
        TensorBackend backend = TestBackends.backend(backendName);
        int numSteps = numInferenceSteps(Schedulers.fromConfig(run.config(), type), run);
        ScheduleRequest request = FlowSchedulers.request(FlowSchedulers.create(type, 1.0), numSteps, 0.0);
        Scheduler generateSetup = FlowSchedulers.create(type, 1.0);
        generateSetup.setTimesteps(request);
        assertArrayEquals(bitsOf(run.sigmaValues()), bitsOf(generateSetup.sigmas()), "generate's sigmas");
        assertArrayEquals(bitsOf(run.timestepValues()), bitsOf(generateSetup.timesteps()), "generate's timesteps");

        Replay replay = new Replay(backend, run);
        List<int[]> results = new ArrayList<>();
        Sampler sampler = Sampler.builder().scheduler(() -> FlowSchedulers.create(type, 1.0)).schedule(request)
                .numSteps(numSteps).guidanceScale(run.guidanceScale()).distilled(false)
                .listener(event -> results.add(event.next().backend().toBits(event.next())))
                .build();
        TorchGenerator generator = new TorchGenerator(run.seed());
        try (Tensor noise = generator.normal(backend, run.shape(), DType.FLOAT32);
             Tensor out = sampler.run(noise, replay, generator)) {
            assertArrayEquals(run.finalSample(), backend.toBits(out), "end point");
        }
        assertEquals(run.steps().size(), replay.calls, "model calls");
        for (int i = 0; i < results.size(); i++) {
            assertArrayEquals(run.steps().get(i).prevSample(), results.get(i), "prev_sample, call " + i);
        }
    }

    /** {@code num_inference_steps} of the recorded run (the Sampler's N for the generate setup). */
    private static int numInferenceSteps(Scheduler scheduler, Trajectories.Run run) {
        scheduler.setTimesteps(run.request());
        return scheduler.numInferenceSteps();
    }

    /** A guided model that returns torch's recorded outputs after checking that it is asked what torch was asked. */
    private static final class Replay implements GuidedModel {
        private final TensorBackend backend;
        private final Trajectories.Run run;
        private final int n;
        int calls;

        Replay(TensorBackend backend, Trajectories.Run run) {
            this.backend = backend;
            this.run = run;
            this.n = Math.toIntExact(run.shape().numel());
        }

        @Override
        public Predictions velocities(Tensor latents, float t) {
            int i = calls++;
            Trajectories.Step step = run.steps().get(i);
            assertArrayEquals(run.input(i), backend.toBits(latents), "model input, call " + i);
            assertEquals(step.modelTimeBits(), Float.floatToRawIntBits(t), "model t, call " + i);
            return new Predictions(
                    backend.fromBits(Trajectories.rows(step.modelOutput(), 0, n), DType.FLOAT32, latents.shape()),
                    backend.fromBits(Trajectories.rows(step.modelOutput(), n, 2 * n), DType.FLOAT32, latents.shape()));
        }

        @Override
        public Tensor velocity(Tensor latents, float t) {
            throw new AssertionError("a guiding sampler asks for both predictions in one call");
        }

        @Override
        public Tensor unconditionalVelocity(Tensor latents, float t) {
            throw new AssertionError("a guiding sampler asks for both predictions in one call");
        }
    }

    /** The guidance of every recorded model call (all runs) is core's {@link Guidance#combine}, bit for bit. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void guidanceOfEveryRecordedCallIsBitExact(String backendName) {
        TensorBackend backend = TestBackends.backend(backendName);
        int calls = 0;
        for (Trajectories.Run run : Trajectories.runs()) {
            Shape shape = run.shape();
            int n = Math.toIntExact(shape.numel());
            for (Trajectories.Step step : run.steps()) {
                try (Tensor cond = backend.fromBits(Trajectories.rows(step.modelOutput(), 0, n), DType.FLOAT32, shape);
                     Tensor uncond = backend.fromBits(Trajectories.rows(step.modelOutput(), n, 2 * n), DType.FLOAT32,
                             shape);
                     Tensor noisePred = Guidance.combine(cond, uncond, run.guidanceScale())) {
                    assertArrayEquals(step.noisePred(), backend.toBits(noisePred), run.name() + " call " + step.index());
                }
                calls++;
            }
        }
        assertEquals(52, calls);
    }

    static Stream<String> backends() {
        return BACKENDS.stream();
    }

    /** The file holds the runs of the family, each a whole trajectory; the starting noise is Noise.initNoise's. */
    @Test
    void theRecordedRuns() {
        List<String> names = Trajectories.runs().stream().map(Trajectories.Run::name).toList();
        assertEquals(List.of("euler", "heun", "dpmpp-2m", "unipc", "lcm", "euler-ancestral-rf"), names);
        assertTrue(Trajectories.root().get("source").asText().contains("v0.40.0"));
        TensorBackend java = TestBackends.backend("java");
        for (Trajectories.Run run : Trajectories.runs()) {
            assertEquals(run.timesteps().get("shape").get(0).asInt(), run.steps().size(), run.name());
            try (Tensor noise = Noise.initNoise(java, run.shape(), run.seed(), DType.FLOAT32)) {
                assertArrayEquals(run.initialSample(), java.toBits(noise), run.name());
            }
        }
        // Euler's recorded call is the FLUX pipelines' linspace(1, 1/N, N); LTX's ends with the terminal 0, and its
        // last model call is at t = 0.
        assertArrayEquals(Flux2.pipelineSigmas(10), Trajectories.run("euler").request().sigmas());
        Trajectories.Run ltx = Trajectories.run("euler-ancestral-rf");
        assertEquals(0, Float.intBitsToFloat(ltx.steps().getLast().modelTimeBits()));
        assertThrows(IllegalArgumentException.class, () -> Trajectories.run("no-such-run"));
    }

    static int[] bitsOf(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}

package dev.flowmatch.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * flowmatch against the reference trajectories (torch 1.13 + diffusers v0.40.0, {@link Trajectories}), given the
 * model outputs torch recorded: the schedule, the starting noise, the model's time input, the guidance and every
 * Euler step, bit for bit, on each backend.
 */
class ReferenceTrajectoryTest {

    @ParameterizedTest
    @ValueSource(strings = {"java", "djl"})
    void eulerRunIsReproducedBitForBit(String backendName) {
        TensorBackend backend = TestBackends.backend(backendName);
        Trajectories.Run run = Trajectories.run("euler");
        assertEquals("FlowMatchEulerDiscreteScheduler", run.scheduler());

        // set_timesteps(sigmas=np.linspace(1, 1/N, N)), the call of diffusers' FLUX pipelines, then set_begin_index(0)
        double[] sigmas = doubles(run.setTimesteps().get("sigmas").get("values"));
        assertArrayEquals(Flux2.pipelineSigmas(sigmas.length), sigmas, "the pipelines' linspace(1, 1/N, N)");
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfigJson.fromTree(run.config()));
        scheduler.setTimesteps(ScheduleRequest.ofSigmas(sigmas));
        scheduler.setBeginIndex(0);
        assertArrayEquals(Trajectories.bits(run.sigmas()), bitsOf(scheduler.sigmas()), "sigmas");
        assertArrayEquals(Trajectories.bits(run.timesteps()), bitsOf(scheduler.timesteps()), "timesteps");

        // torch.randn(shape, generator=torch.Generator().manual_seed(seed)) on the CPU
        Shape shape = run.shape();
        Tensor sample = Noise.initNoise(backend, shape, run.seed(), DType.FLOAT32);
        assertArrayEquals(run.initialSample(), backend.toBits(sample), "initial noise");

        int n = Math.toIntExact(shape.numel());
        try {
            for (Trajectories.Step step : run.steps()) {
                int i = step.index();
                float timestep = scheduler.timestep(i);
                assertEquals(step.timestep().get("bits").asInt(), Float.floatToRawIntBits(timestep), "timestep " + i);
                // The pipelines feed the model timestep.to(latents.dtype) / 1000: float32 division here.
                assertEquals(step.modelTimeBits(), Float.floatToRawIntBits(timestep / 1000f), "model t, step " + i);
                Tensor next;
                try (Tensor cond = backend.fromBits(Trajectories.rows(step.modelOutput(), 0, n), DType.FLOAT32, shape);
                     Tensor uncond = backend.fromBits(Trajectories.rows(step.modelOutput(), n, 2 * n), DType.FLOAT32,
                             shape);
                     Tensor noisePred = Guidance.combine(cond, uncond, run.guidanceScale())) {
                    assertArrayEquals(step.noisePred(), backend.toBits(noisePred), "noise_pred, step " + i);
                    next = scheduler.step(noisePred, timestep, sample);
                }
                sample.close();
                sample = next; // fed forward: our own result is the next step's sample
                assertArrayEquals(step.prevSample(), backend.toBits(sample), "prev_sample, step " + i);
            }
        } finally {
            sample.close();
        }
        assertEquals(run.steps().size(), (int) scheduler.stepIndex());
    }

    /** The guidance of every recorded model call (41 calls over four schedulers) is diffusers' bit for bit. */
    @ParameterizedTest
    @ValueSource(strings = {"java", "djl"})
    void guidanceOfEveryRecordedCallIsBitExact(String backendName) {
        TensorBackend backend = TestBackends.backend(backendName);
        List<Trajectories.Run> runs = Trajectories.runs();
        int calls = 0;
        for (Trajectories.Run run : runs) {
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
        assertEquals(41, calls);
    }

    /** The file holds the runs the lead wires once the scheduler interface lands; each is a whole trajectory. */
    @Test
    void extraSchedulerRunsAreRecorded() {
        List<String> names = Trajectories.runs().stream().map(Trajectories.Run::name).toList();
        assertEquals(List.of("euler", "heun", "dpmpp-2m", "unipc"), names);
        for (Trajectories.Run run : Trajectories.runs()) {
            JsonNode timesteps = run.timesteps();
            assertEquals(timesteps.get("shape").get(0).asInt(), run.steps().size(), run.name());
            assertTrue(Trajectories.root().get("source").asText().contains("v0.40.0"));
        }
    }

    static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    static int[] bitsOf(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}

package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.sampling.Guidance;
import dev.flowmatch.sampling.Inpainting;
import dev.flowmatch.sampling.Strength;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;

/**
 * The sections of {@code klein-goldens.json}: the arithmetic of diffusers' FLUX.2 klein pipelines around the
 * scheduler (guidance, the inpaint pipeline's strength, start latents and blend, the model's timestep).
 */
final class KleinGoldens {
    private KleinGoldens() {}

    /** A case kept as JSON: the fields are read where they are checked. */
    record Case(String name, JsonNode json) {
        static Case of(JsonNode n) {
            return new Case(n.path("name").asText(), n);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static void cfg(Case c, TensorBackend backend) {
        JsonNode n = c.json();
        try (Tensor cond = place(backend, n.get("noise_pred"));
             Tensor neg = place(backend, n.get("neg_noise_pred"));
             Tensor out = Guidance.combine(cond, neg, n.get("guidance_scale").asDouble())) {
            assertExpected(backend, n.get("expected"), out, c.name());
        }
    }

    static void getTimesteps(Case c, TensorBackend backend) {
        JsonNode n = c.json();
        int steps = n.get("num_inference_steps").asInt();
        int seqLen = Flux2.imageSeqLen(ImageSize.of(n.get("height").asInt(), n.get("width").asInt()));
        assertEquals(n.get("image_seq_len").asInt(), seqLen, "image_seq_len");
        double mu = Flux2.computeEmpiricalMu(seqLen, steps);
        assertEquals(n.get("mu").asDouble(), mu, 0.0, "mu");
        FlowMatchScheduler scheduler = kleinScheduler(steps, mu);
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits")), bits(scheduler.sigmas()), "sigmas");
        assertArrayEquals(Goldens.ints(n.get("timesteps_bits")), bits(scheduler.timesteps()), "timesteps");
        double strength = n.get("strength").asDouble();
        if (n.get("raises").asBoolean()) {
            assertThrows(IllegalArgumentException.class, () -> Strength.of(steps, strength, scheduler.order()));
            return;
        }
        Strength s = Strength.of(steps, strength, scheduler.order());
        assertEquals(n.get("t_start").asInt(), s.tStart(), "t_start");
        assertEquals(n.get("begin_index").asInt(), s.beginIndex(), "begin_index");
        assertEquals(n.get("num_inference_steps_after").asInt(), s.numInferenceSteps(), "num_inference_steps after");
        float[] timesteps = scheduler.timesteps();
        float[] kept = Arrays.copyOfRange(timesteps, s.beginIndex(), timesteps.length);
        assertArrayEquals(Goldens.ints(n.get("kept_timesteps_bits")), bits(kept), "kept timesteps");
        assertEquals(Goldens.ints(n.get("latent_timestep_bits"))[0], Float.floatToRawIntBits(kept[0]),
                "latent timestep");
    }

    static void blend(Case c, TensorBackend backend) {
        JsonNode n = c.json();
        FlowMatchScheduler scheduler = kleinScheduler(n.get("num_inference_steps").asInt(), n.get("mu").asDouble());
        int i = n.get("i").asInt();
        int tStart = n.get("t_start").asInt();
        // The loop is at kept step i: the scheduler's step index is t_start + i when this step begins.
        scheduler.setBeginIndex(tStart + i);
        float timestep = Float.intBitsToFloat(n.get("timestep_bits").asInt());
        try (Tensor sample = place(backend, n.get("step_sample"));
             Tensor modelOutput = place(backend, n.get("step_model_output"));
             Tensor image = place(backend, n.get("image_latents"));
             Tensor noise = place(backend, n.get("noise"));
             Tensor mask = place(backend, n.get("mask"));
             Tensor latents = scheduler.step(modelOutput, timestep, sample)) {
            assertExpected(backend, n.get("latents"), latents, "latents after the step");
            assertEquals(n.get("step_index_after_step").asInt(), scheduler.stepIndex(), "step index after the step");
            JsonNode noiseTimestep = n.get("noise_timestep_bits");
            if (noiseTimestep == null || noiseTimestep.isNull()) {
                try (Tensor out = Inpainting.blend(mask, image, latents)) {
                    assertExpected(backend, n.get("expected"), out, c.name());
                }
            } else {
                try (Tensor kept = scheduler.scaleNoise(image, Float.intBitsToFloat(noiseTimestep.asInt()), noise);
                     Tensor out = Inpainting.blend(mask, kept, latents)) {
                    assertExpected(backend, n.get("init_latents_proper"), kept, "init_latents_proper");
                    assertExpected(backend, n.get("expected"), out, c.name());
                }
            }
        }
    }

    static void initialLatents(Case c, TensorBackend backend) {
        JsonNode n = c.json();
        int steps = n.get("num_inference_steps").asInt();
        FlowMatchScheduler scheduler = kleinScheduler(steps, n.get("mu").asDouble());
        Strength s = Strength.of(steps, n.get("strength").asDouble(), scheduler.order());
        assertEquals(n.get("begin_index").asInt(), s.beginIndex(), "begin_index");
        scheduler.setBeginIndex(s.beginIndex());
        float latentTimestep = scheduler.timesteps()[s.beginIndex()];
        assertEquals(Goldens.ints(n.get("latent_timestep_bits"))[0], Float.floatToRawIntBits(latentTimestep),
                "latent timestep");
        Goldens.GoldenTensor expectedPacked = Goldens.GoldenTensor.of(n.get("expected_packed"));
        try (Tensor image = place(backend, n.get("image_latents"));
             Tensor noise = place(backend, n.get("noise"));
             Tensor latents = scheduler.scaleNoise(image, latentTimestep, noise)) {
            assertExpected(backend, n.get("expected"), latents, c.name());
            assertArrayEquals(expectedPacked.bits(), Flux2Latents.pack(backend.toBits(latents), latents.shape()),
                    "packed");
        }
    }

    static void modelTimestep(Case c, TensorBackend backend) {
        JsonNode n = c.json();
        int steps = n.get("num_steps").asInt();
        double mu = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.of(n.get("height").asInt(), n.get("width").asInt())), steps);
        assertEquals(n.get("mu").asDouble(), mu, 0.0, "mu");
        DType dtype = DType.parse(n.get("dtype").asText());
        FlowMatchScheduler scheduler = kleinScheduler(steps, mu);
        float[] timesteps = scheduler.timesteps();
        assertArrayEquals(Goldens.ints(n.get("timesteps_bits")), bits(timesteps), "timesteps");
        int[] timestep = new int[steps];
        int[] modelInput = new int[steps];
        int[] transformer = new int[steps];
        for (int i = 0; i < steps; i++) {
            timestep[i] = dtype.floatToBits(dtype.round(timesteps[i]));
            float modelTime = Flux2.modelTime(timesteps[i], dtype);
            modelInput[i] = dtype.floatToBits(modelTime);
            transformer[i] = dtype.floatToBits(Flux2.transformerTimestep(modelTime, dtype));
        }
        assertArrayEquals(Goldens.ints(n.get("timestep_bits")), timestep, "timestep");
        assertArrayEquals(Goldens.ints(n.get("model_input_bits")), modelInput, "model input");
        assertArrayEquals(Goldens.ints(n.get("transformer_timestep_bits")), transformer, "transformer timestep");
    }

    /** The klein pipelines' scheduler with their set_timesteps call. */
    private static FlowMatchScheduler kleinScheduler(int steps, double mu) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimesteps(ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(steps)).withMu(mu));
        return scheduler;
    }

    private static Tensor place(TensorBackend backend, JsonNode tensor) {
        Goldens.GoldenTensor t = Goldens.GoldenTensor.of(tensor);
        return backend.fromBits(t.bits(), t.dtype(), t.shape());
    }

    private static void assertExpected(TensorBackend backend, JsonNode expectedNode, Tensor actual, String what) {
        Goldens.GoldenTensor expected = Goldens.GoldenTensor.of(expectedNode);
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        Conformance.assertConforms(backend, actual.dtype(), expected.bits(), backend.toBits(actual), what);
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}

package dev.flowmatch.convention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.noise.MlxRandom;
import dev.flowmatch.noise.NoiseGenerator;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.VelocityModel;
import dev.flowmatch.schedule.DiffusersRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The conventions wired into the scheduler, the sampler and the noise, and their bad input. */
class ConventionTest {
    private final JavaBackend backend = new JavaBackend();

    @Test
    void namesParse() {
        for (Convention c : Convention.values()) {
            assertEquals(c, Convention.parse(c.cliName()));
            assertEquals(c, Convention.parse(c.name().toLowerCase(java.util.Locale.ROOT)));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Convention.parse("mlx"));
        assertTrue(e.getMessage().contains("'mlx'") && e.getMessage().contains("ollama-arm64"), e.getMessage());
    }

    /** The image sequence lengths DESIGN.md records for 1000x1000: diffusers 3844, Ollama 3969, ComfyUI 3906. */
    @Test
    void imageSequenceLengthsDifferByEngine() {
        ImageSize thousand = ImageSize.square(1000);
        assertEquals(3844, Convention.DIFFUSERS.imageSeqLen(thousand));
        assertEquals(3969, Convention.OLLAMA.imageSeqLen(thousand));
        assertEquals(3969, Convention.OLLAMA_ARM64.imageSeqLen(thousand));
        assertEquals(3906, Convention.COMFYUI.imageSeqLen(thousand));
        assertEquals(ImageSize.square(1008), OllamaSchedule.outputSize(thousand));
        // Ollama: its default side; the 4-megapixel cap keeps the aspect ratio
        assertEquals(4096, OllamaSchedule.imageSeqLen(ImageSize.square(OllamaSchedule.DEFAULT_SIDE)));
        assertEquals(OllamaSchedule.imageSeqLen(ImageSize.square(2048)), OllamaSchedule.imageSeqLen(ImageSize.square(4096)));
        ImageSize wide = OllamaSchedule.outputSize(ImageSize.of(1000, 4000));
        assertTrue(wide.pixels() <= OllamaSchedule.MAX_OUTPUT_PIXELS + 16 * 4000, wide.toString());
        assertTrue(wide.width() > 3 * wide.height(), "height and width are not swapped: " + wide);
        // ComfyUI: Python's round, half to even
        assertEquals(2, ComfyUiSchedule.imageSeqLen(ImageSize.of(16, 24)));
        assertEquals(2, ComfyUiSchedule.imageSeqLen(ImageSize.of(16, 40)));
    }

    @Test
    void badSizesNameTheParameter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageSize.of(16, -1));
        assertTrue(e.getMessage().startsWith("width: -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OllamaSchedule.imageSeqLen(ImageSize.of(1024, 4)));
        assertTrue(e.getMessage().contains("height 1024 x width 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> OllamaSchedule.imageSeqLen(ImageSize.of(Integer.MAX_VALUE, 1)));
        assertTrue(e.getMessage().contains("0 pixels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ComfyUiSchedule.flux2Scheduler(4, ImageSize.square(8),
                TorchBuild.STANDARD));
        assertTrue(e.getMessage().contains("height 8 x width 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ComfyUiSchedule.simpleFlux(1.15, 0));
        assertTrue(e.getMessage().startsWith("steps: 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OllamaSchedule.AMD64.setTimestepsWithMu(
                OllamaSchedule.Config.DEFAULT, 0, 1f));
        assertTrue(e.getMessage().startsWith("numSteps: 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> OllamaSchedule.AMD64.setTimestepsWithMu(
                OllamaSchedule.Config.DEFAULT, 4, Float.NaN));
        assertTrue(e.getMessage().startsWith("mu: NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TorchLinspace.linspace(1f, 0f, 40000,
                new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_1_13)));
        assertTrue(e.getMessage().startsWith("steps: 40000"), e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Convention.class)
    void schedulerComputesTheConventionsSchedule(Convention convention) {
        SchedulerConfig config = SchedulerConfig.flux2Klein();
        double mu = convention.empiricalMu(convention.imageSeqLen(ImageSize.of(768, 1024)), 8);
        FlowMatchScheduler scheduler = new FlowMatchScheduler(config).setConvention(convention);
        scheduler.setTimestepsWithMu(8, mu);
        Schedule expected = switch (convention) {
            case DIFFUSERS -> Schedules.compute(config, ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(8)).withMu(mu));
            case OLLAMA, OLLAMA_ARM64 -> convention.ollama().orElseThrow()
                    .setTimestepsWithMu(OllamaSchedule.Config.DEFAULT, 8, (float) mu).schedule();
            case COMFYUI -> ComfyUiSchedule.flux2Scheduler(8, ImageSize.of(768, 1024), TorchBuild.STANDARD);
        };
        assertEquals(expected, scheduler.schedule());
        if (convention != Convention.DIFFUSERS) {
            assertThrows(IllegalStateException.class, () -> scheduler.setTimesteps(ScheduleRequest.steps(4)));
        }
    }

    @Test
    void ollamaCalculateShiftIsFloat32() {
        double mu = Convention.OLLAMA.empiricalMu(4096, 4);
        assertEquals(OllamaSchedule.AMD64.calculateShift(4096, 4), (float) mu);
        assertNotEquals(Flux2.computeEmpiricalMu(4096, 4), mu);
    }

    /** Ollama's Step: float32 arithmetic, a bfloat16 result whatever the model output's dtype and the precision. */
    @Test
    void ollamaStepIsFloat32WithABfloat16Result() {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein())
                .setConvention(Convention.OLLAMA).setPrecision(Precision.DIFFUSERS);
        scheduler.setTimestepsWithMu(4, 2.0);
        float[] x = {0.1f, -0.7f, 1.3f, 2.5f};
        float[] v = {0.33f, 1.1f, -0.9f, 0.07f};
        float dt = scheduler.sigmas()[2] - scheduler.sigmas()[1];
        for (DType d : DType.values()) {
            try (Tensor sample = backend.fromFloats(x, d, Shape.of(4));
                 Tensor output = backend.fromFloats(v, d, Shape.of(4));
                 Tensor out = scheduler.step(output, sample, 1)) {
                assertEquals(DType.BFLOAT16, out.dtype());
                float[] got = backend.toFloats(out);
                for (int i = 0; i < 4; i++) {
                    float expected = DType.BFLOAT16.round(d.round(x[i]) + dt * d.round(v[i]));
                    assertEquals(expected, got[i], d + " " + i);
                }
            }
        }
    }

    /** Ollama's loop: its schedule, bf16(t / 1000) for the model, its Step. */
    @ParameterizedTest
    @EnumSource(value = Convention.class, names = {"OLLAMA", "OLLAMA_ARM64"})
    void samplerRunsOllamasLoop(Convention convention) {
        GaussianFlow flow = new GaussianFlow(new float[] {0.5f, -1f, 0.25f, 2f}, 0.3);
        List<Float> modelTimes = new ArrayList<>();
        VelocityModel recording = (latents, t) -> {
            modelTimes.add(t);
            return flow.velocity(latents, t);
        };
        Sampler sampler = Sampler.builder().numSteps(4).imageSize(ImageSize.square(1000)).convention(convention).build();
        float[] noise = {0.3f, -1.2f, 0.8f, 0.05f, 1.1f, -0.4f, 0.0f, 2.2f};
        float[] viaSampler;
        try (Tensor z = backend.fromFloats(noise, DType.BFLOAT16, Shape.of(1, 2, 4));
             Tensor out = sampler.run(z, recording)) {
            viaSampler = backend.toFloats(out);
        }
        OllamaSchedule engine = convention.ollama().orElseThrow();
        float mu = engine.calculateShift(3969, 4);
        OllamaSchedule.Result schedule = engine.setTimestepsWithMu(OllamaSchedule.Config.DEFAULT, 4, mu);
        float[] sigmas = schedule.sigmas();
        float[] x = noise.clone();
        for (int i = 0; i < x.length; i++) {
            x[i] = DType.BFLOAT16.round(x[i]);
        }
        for (int i = 0; i < 4; i++) {
            float modelTime = DType.BFLOAT16.round(schedule.timesteps()[i] / 1000f);
            assertEquals(modelTime, modelTimes.get(i), "model timestep " + i);
            float[] v;
            try (Tensor latents = backend.fromFloats(x, DType.BFLOAT16, Shape.of(1, 2, 4));
                 Tensor velocity = flow.velocity(latents, modelTime)) {
                v = backend.toFloats(velocity);
            }
            float dt = sigmas[i + 1] - sigmas[i];
            for (int j = 0; j < x.length; j++) {
                x[j] = DType.BFLOAT16.round(x[j] + dt * v[j]);
            }
        }
        assertArrayEquals(x, viaSampler);
    }

    @Test
    void samplerRefusesComfyUi() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sampler.builder().convention(Convention.COMFYUI));
        assertTrue(e.getMessage().startsWith("convention: COMFYUI"), e.getMessage());
    }

    /** Ollama's InitNoise([1, 128, H/16, W/16], seed) in bfloat16, packed as packLatents packs it. */
    @Test
    void mlxLatentsAreOllamasPackedInitNoise() {
        try (Tensor latents = Flux2Latents.initLatents(backend, 1, ImageSize.of(48, 64), 1234, DType.BFLOAT16, NoiseGenerator.MLX)) {
            assertEquals(Shape.of(1, 12, 128), latents.shape());
            int[] drawn = MlxRandom.normalBits(1234, Shape.of(1, 128, 3, 4), DType.BFLOAT16);
            int[] packed = backend.toBits(latents);
            for (int c = 0; c < 128; c++) {
                for (int p = 0; p < 12; p++) {
                    assertEquals(drawn[c * 12 + p], packed[p * 128 + c]);
                }
            }
        }
    }

    /** diffusers 0.39 returned custom timesteps as given; 0.40 recomputes them from the sigmas (#14011). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void diffusersReleasesDifferOnlyForCustomTimesteps(boolean invert) {
        SchedulerConfig config = SchedulerConfig.builder().shift(3.0).invertSigmas(invert).build();
        double[] given = {1000, 750.3, 500.9, 250.1};
        ScheduleRequest request = ScheduleRequest.ofTimesteps(given);
        Schedule v40 = Schedules.compute(config, config.shift(), request, DiffusersRelease.V0_40);
        Schedule v39 = Schedules.compute(config, config.shift(), request, DiffusersRelease.V0_39);
        assertArrayEquals(v40.sigmas(), v39.sigmas());
        if (invert) {
            assertArrayEquals(v40.timesteps(), v39.timesteps()); // recomputed from the inverted sigmas in both
        } else {
            float[] asGiven = {1000f, 750.3f, 500.9f, 250.1f};
            assertArrayEquals(asGiven, v39.timesteps());
            assertNotEquals(v40.timesteps()[1], v39.timesteps()[1]);
        }
        ScheduleRequest sigmas = ScheduleRequest.ofSigmas(1, 0.5, 0.25);
        assertEquals(Schedules.compute(config, config.shift(), sigmas, DiffusersRelease.V0_40),
                Schedules.compute(config, config.shift(), sigmas, DiffusersRelease.V0_39));
        FlowMatchScheduler scheduler = new FlowMatchScheduler(config).setDiffusersRelease(DiffusersRelease.V0_39);
        scheduler.setTimesteps(request);
        assertEquals(v39, scheduler.schedule());
    }
}

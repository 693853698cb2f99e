package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.convention.ComfyUiSchedule;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.MlxRandom;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.noise.NoiseGenerator;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.TimeShiftType;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The sections of {@code conventions-goldens.json} (Ollama's scheduler on amd64 and arm64, ComfyUI's schedules)
 * and {@code mlx-noise-goldens.json} (MLX's {@code random.normal}). Schedules are host math; each case carries its
 * numbers through the backend (placed with {@code fromFloats} / {@code fromBits}, rounded and scaled by the
 * backend's {@code affine}) so every backend is held to the engine's bits.
 */
final class ConventionGoldens {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ConventionGoldens() {}

    // ---- ollama_amd64 / ollama_arm64 ------------------------------------------------------------------------

    /** One case of an {@code ollama_*} section: a schedule or a {@code calculate_shift}, with its architecture. */
    record OllamaCase(OllamaSchedule engine, boolean schedule, JsonNode node) {}

    /** The cases of an {@code ollama_*} section: its {@code schedules[]}, then its {@code calculate_shift[]}. */
    static List<JsonNode> ollamaCases(JsonNode section) {
        List<JsonNode> out = new ArrayList<>();
        for (String part : new String[] {"schedules", "calculate_shift"}) {
            for (JsonNode n : section.path(part)) {
                out.add(MAPPER.createObjectNode()
                        .put("name", (part.equals("schedules") ? "" : "calculate_shift ")
                                + n.path("name").asText("seq=" + n.path("image_seq_len").asText() + " steps="
                                + n.path("num_steps").asText()))
                        .put("arch", section.path("arch").asText())
                        .put("part", part)
                        .set("case", n));
            }
        }
        return out;
    }

    static Function<JsonNode, OllamaCase> ollamaParser(OllamaSchedule expectedEngine) {
        return n -> {
            String arch = n.get("arch").asText();
            OllamaSchedule engine = arch.equals("arm64") ? OllamaSchedule.ARM64 : OllamaSchedule.AMD64;
            if (engine != expectedEngine) {
                throw new IllegalArgumentException("section arch " + arch + " does not match the section name");
            }
            return new OllamaCase(engine, n.get("part").asText().equals("schedules"), n.get("case"));
        };
    }

    static void ollama(OllamaCase c, TensorBackend backend) {
        JsonNode n = c.node();
        if (!c.schedule()) {
            float mu = c.engine().calculateShift(n.get("image_seq_len").asInt(), n.get("num_steps").asInt());
            assertEquals(n.get("mu_bits").asInt(), Float.floatToRawIntBits(mu), "CalculateShift");
            return;
        }
        JsonNode parsed = n.get("parsed_config");
        OllamaSchedule.Config config = new OllamaSchedule.Config(parsed.get("num_train_timesteps").asInt(),
                Float.intBitsToFloat(parsed.get("shift_bits").asInt()), parsed.get("use_dynamic_shifting").asBoolean(),
                TimeShiftType.parse(parsed.get("time_shift_type").asText()));
        assertEquals(config, OllamaSchedule.Config.of(SchedulerConfigJson.fromTree(n.get("config"))), "parsed config");
        JsonNode request = n.get("request");
        int seqLen = OllamaSchedule.imageSeqLen(ImageSize.of(request.get("height").asInt(), request.get("width").asInt()));
        assertEquals(n.get("image_seq_len").asInt(), seqLen, "image_seq_len");
        int steps = request.get("num_steps").asInt();
        float mu = switch (request.get("mu").asText()) {
            case "calculate_shift" -> c.engine().calculateShift(seqLen, steps);
            case "zero" -> 0f;
            case "bits" -> Float.intBitsToFloat(request.get("mu_bits").asInt());
            default -> throw new IllegalArgumentException("mu mode " + request.get("mu"));
        };
        OllamaSchedule.Result result = c.engine().setTimestepsWithMu(config, steps, mu);
        assertEquals(n.get("branch").asText(), result.branch().name().toLowerCase(java.util.Locale.ROOT), "branch");
        if (n.hasNonNull("mu_bits")) {
            assertEquals(n.get("mu_bits").asInt(), Float.floatToRawIntBits(mu), "mu");
        }
        if (n.hasNonNull("exp_mu_bits")) {
            assertEquals(n.get("exp_mu_bits").asInt(), Float.floatToRawIntBits(OllamaSchedule.expMu(mu)), "exp_mu");
        }
        float[] sigmas = result.sigmas();
        float t = (float) config.numTrainTimesteps();
        try (Tensor s = backend.fromFloats(sigmas, DType.FLOAT32, Shape.of(sigmas.length));
             Tensor timesteps = backend.affine(t, s, 0f, s, AffineSpec.float32(DType.FLOAT32))) {
            assertArrayEquals(Goldens.ints(n.get("sigmas_bits")), backend.toBits(s), "sigmas");
            assertArrayEquals(Goldens.ints(n.get("timesteps_bits")), backend.toBits(timesteps), "timesteps");
            assertArrayEquals(Goldens.ints(n.get("timesteps_bits")), bits(result.timesteps()), "timesteps (host)");
        }
        // flux2.go: mlx.ToBFloat16(Timesteps[i] / NumTrainTimesteps); the transformer: MulScalar(t, 1000) in bf16
        float[] modelT = new float[steps];
        for (int i = 0; i < steps; i++) {
            modelT[i] = result.timesteps()[i] / t;
        }
        assertArrayEquals(Goldens.ints(n.get("model_t_f32_bits")), bits(modelT), "model t (float32)");
        try (Tensor model = backend.fromFloats(modelT, DType.BFLOAT16, Shape.of(steps));
             Tensor transformer = backend.affine(1000f, model, 0f, model, AffineSpec.float32(DType.BFLOAT16))) {
            assertArrayEquals(Goldens.ints(n.get("model_timestep_bf16_bits")), backend.toBits(model), "model timestep");
            assertArrayEquals(Goldens.ints(n.get("transformer_timestep_bf16_bits")), backend.toBits(transformer),
                    "transformer timestep");
            for (int i = 0; i < steps; i++) {
                float host = OllamaSchedule.modelTimestep(result.timesteps()[i], config.numTrainTimesteps());
                assertEquals(DType.BFLOAT16.bitsToFloat(backend.toBits(model)[i]), host, "model timestep (host) " + i);
            }
        }
    }

    // ---- comfyui_flux2_scheduler / comfyui_simple_flux --------------------------------------------------------

    static void comfyFlux2(Goldens.GoldenFile file, JsonNode n, TensorBackend backend) {
        TorchRelease release = TorchRelease.parse(source(file));
        int steps = n.get("steps").asInt();
        ImageSize size = ImageSize.of(n.get("height").asInt(), n.get("width").asInt());
        int seqLen = ComfyUiSchedule.imageSeqLen(size);
        assertEquals(n.get("image_seq_len").asInt(), seqLen, "image_seq_len");
        assertEquals(n.get("mu").asDouble(), Flux2.computeEmpiricalMu(seqLen, steps), 0.0, "mu");
        for (TorchCpuKernel kernel : TorchCpuKernel.values()) {
            float[] sigmas = ComfyUiSchedule.flux2Scheduler(steps, size, new TorchBuild(kernel, release))
                    .sigmas();
            String field = kernel == TorchCpuKernel.AVX2 ? "sigmas_bits" : "sigmas_bits_default_kernel";
            assertArrayEquals(Goldens.ints(n.get(field)), throughBackend(backend, sigmas), field);
        }
    }

    static void comfySimple(JsonNode n, TensorBackend backend) {
        int steps = n.get("steps").asInt();
        assertEquals(ComfyUiSchedule.MODEL_SAMPLING_TABLE_SIZE, n.get("table_size").asInt(), "table_size");
        if (n.has("table_indices")) {
            assertArrayEquals(Goldens.ints(n.get("table_indices")),
                    ComfyUiSchedule.simpleIndices(ComfyUiSchedule.MODEL_SAMPLING_TABLE_SIZE, steps), "table_indices");
        }
        int[] sigmas = throughBackend(backend, ComfyUiSchedule.simpleFlux(n.get("shift").asDouble(), steps).sigmas());
        // no torch kernel enters: the table's divisions and reciprocals are correctly rounded under both
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits")), sigmas, "sigmas_bits");
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits_default_kernel")), sigmas, "sigmas_bits_default_kernel");
    }

    // ---- mlx_normal -----------------------------------------------------------------------------------------

    /** {@code mlx_random_normal(shape, dtype, 0, 1, mlx_random_key(seed))}: seed (a uint64), shape, dtype, bits. */
    record MlxNormalCase(long seed, Shape shape, DType dtype, int[] bits) {
        static MlxNormalCase of(JsonNode n) {
            return new MlxNormalCase(n.get("seed").bigIntegerValue().longValue(), Shape.of(Goldens.longs(n.get("shape"))),
                    DType.parse(n.get("dtype").asText()), Goldens.ints(n.get("bits")));
        }
    }

    /** {@link NoiseGenerator#MLX} on the backend; on a backend whose own generator is MLX's, that one too. */
    static void mlxNormal(MlxNormalCase c, TensorBackend backend) {
        try (Tensor noise = Noise.initNoise(backend, c.shape(), c.seed(), c.dtype(), NoiseGenerator.MLX)) {
            assertEquals(c.shape(), noise.shape());
            assertEquals(c.dtype(), noise.dtype());
            assertArrayEquals(c.bits(), backend.toBits(noise), "NoiseGenerator.MLX");
        }
        assertArrayEquals(c.bits(), MlxRandom.normalBits(c.seed(), c.shape(), c.dtype()), "MlxRandom");
        if (backend.name().equals("mlx")) {
            try (Tensor nativeNoise = Noise.initNoise(backend, c.shape(), c.seed(), c.dtype(), NoiseGenerator.NATIVE)) {
                assertArrayEquals(c.bits(), backend.toBits(nativeNoise), "mlx NATIVE");
            }
        }
    }

    private static int[] throughBackend(TensorBackend backend, float[] values) {
        try (Tensor t = backend.fromFloats(values, DType.FLOAT32, Shape.of(values.length))) {
            int[] out = backend.toBits(t);
            assertArrayEquals(bits(values), out, "fromFloats/toBits");
            return out;
        }
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    private static String source(Goldens.GoldenFile file) {
        return file.root().path("source").asText("");
    }
}

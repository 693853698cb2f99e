package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.abort;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.StepOptions;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.scheduler.TimestepType;
import dev.flowmatch.scheduler.UniPCMultistepScheduler;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * The sections of {@code sampler-goldens.json} (diffusers v0.40.0's flow sampler family run step by step):
 * {@code sampler_runs} replays each whole run through {@link Schedulers} — config, {@code set_timesteps}, sigmas,
 * timesteps, order, then every step with the recorded model output and, for stochastic classes, a
 * {@link TorchGenerator} seeded as the run's generator — and {@code scale_noise} the forward-process calls.
 * Every step's result must equal diffusers' bit for bit; the recorded result is fed forward, so one wrong step
 * is reported alone.
 */
final class SamplerGoldens {
    private SamplerGoldens() {}

    /** One {@code sampler_runs[]} entry, kept as JSON: the fields are read where they are checked. */
    record Run(String name, JsonNode json) {
        static Run of(JsonNode n) {
            return new Run(n.path("name").asText(), n);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static void run(Goldens.GoldenFile file, Run run, TensorBackend backend) {
        JsonNode r = run.json();
        Scheduler scheduler;
        try {
            scheduler = scheduler(r.get("scheduler").asText(), r.get("config"));
        } catch (IllegalArgumentException refused) {
            if (!r.has("requires")) {
                throw refused;
            }
            // A run that needs more than the scheduler arithmetic (LCM's torch interpolation kernels) and that this
            // build refuses is skipped, visibly, with the refusal.
            abort("needs " + r.get("requires") + ", refused by this build: " + refused.getMessage());
            throw refused;
        }
        scheduler.setTimesteps(request(r.get("set_timesteps")));
        checkSchedule(scheduler, r);
        assertEquals(r.get("order").asInt(), scheduler.order(), "order");
        assertEquals(r.get("num_inference_steps").asInt(), scheduler.numInferenceSteps(), "num_inference_steps");
        if (!r.path("init_noise_sigma").isNull()) {
            assertEquals((float) r.get("init_noise_sigma").asDouble(), scheduler.initNoiseSigma(), "init_noise_sigma");
        }
        applyStepKwargs(scheduler, r.path("step_kwargs"));
        if (!r.path("begin_index").isNull()) {
            scheduler.setBeginIndex(r.get("begin_index").asInt());
        }
        NoiseSource generator = r.path("generator_seed").isNull() ? null
                : new TorchGenerator(r.get("generator_seed").asLong(), torchBuild(file));
        Goldens.GoldenTensor sample = Goldens.GoldenTensor.of(r.get("initial_sample"));
        for (JsonNode step : r.get("steps")) {
            String where = run.name() + ", step i=" + step.get("i").asInt();
            Goldens.GoldenTensor modelOutput = Goldens.GoldenTensor.of(step.get("model_output"));
            Goldens.GoldenTensor expected = Goldens.GoldenTensor.of(step.get("prev_sample"));
            RecordingNoise noise = generator == null ? null : new RecordingNoise(generator);
            float timestep = (float) step.get("timestep").get("value").asDouble();
            try (Tensor x = place(backend, sample);
                 Tensor v = place(backend, modelOutput);
                 Tensor out = noise == null ? scheduler.step(v, timestep, x) : scheduler.step(v, timestep, x, noise)) {
                if (noise != null) {
                    noise.check(step.path("noise"), where);
                }
                assertEquals(expected.dtype(), out.dtype(), where + ": prev_sample dtype");
                assertEquals(expected.shape(), out.shape(), where + ": prev_sample shape");
                Conformance.assertConforms(backend, out.dtype(), expected.bits(), backend.toBits(out),
                        where + ": prev_sample", referenceFusedUlps(scheduler, out));
            }
            assertEquals(step.get("step_index_after").asInt(), scheduler.stepIndex(), where + ": step_index after");
            sample = expected;
        }
    }

    /**
     * The one case whose reference fuses multiply-adds: UniPC at {@code solver_order} 3 in float32 with 200 elements
     * or more, where torch's {@code einsum} over two history terms runs OpenBLAS's {@code sgemm} and its kernel
     * computes {@code fma(rho1, D1, rho0 * D0)}. flowmatch emulates that fused multiply-add with float32 operations
     * ({@code UniPCMultistepScheduler.fusedMultiplyAdd}), exact except where the emulated sum lands exactly halfway
     * between two floats (about one element in 2^22), so such runs are allowed one ulp. Every other case: 0.
     */
    static long referenceFusedUlps(Scheduler scheduler, Tensor out) {
        return scheduler instanceof UniPCMultistepScheduler unipc && unipc.config().solverOrder() == 3
                && out.dtype() == DType.FLOAT32
                && 2 * out.shape().numel() >= UniPCMultistepScheduler.BMM_BLAS_THRESHOLD ? 1 : 0;
    }

    /** One {@code scale_noise[]} entry. */
    record ScaleNoise(String name, JsonNode json) {
        static ScaleNoise of(JsonNode n) {
            return new ScaleNoise(n.path("name").asText(), n);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static void scaleNoise(ScaleNoise c, TensorBackend backend) {
        JsonNode n = c.json();
        Scheduler scheduler = scheduler(n.get("scheduler").asText(), n.get("config"));
        scheduler.setTimesteps(request(n.get("set_timesteps")));
        checkSchedule(scheduler, n);
        if (!n.path("begin_index").isNull()) {
            scheduler.setBeginIndex(n.get("begin_index").asInt());
        }
        JsonNode timestepNode = n.get("timestep");
        // float32 timesteps are given as bits, int64 ones as values; every batch entry has the same timestep.
        float timestep = timestepNode.has("bits") ? Float.intBitsToFloat(Goldens.ints(timestepNode.get("bits"))[0])
                : (float) timestepNode.get("values").get(0).asDouble();
        Goldens.GoldenTensor expected = Goldens.GoldenTensor.of(n.get("expected"));
        try (Tensor sample = place(backend, Goldens.GoldenTensor.of(n.get("sample")));
             Tensor noise = place(backend, Goldens.GoldenTensor.of(n.get("noise")));
             Tensor out = scheduler.scaleNoise(sample, timestep, noise)) {
            assertEquals(expected.dtype(), out.dtype(), "dtype");
            Conformance.assertConforms(backend, out.dtype(), expected.bits(), backend.toBits(out), c.name());
        }
        JsonNode after = n.path("step_index_after");
        assertEquals(after.isNull() || after.isMissingNode() ? null : after.asInt(), scheduler.stepIndex(),
                "step_index after");
    }

    /** The class that ran, built from the run's config as diffusers' {@code from_config} does. */
    private static Scheduler scheduler(String className, JsonNode config) {
        SchedulerType type;
        try {
            type = SchedulerType.parse(className);
        } catch (IllegalArgumentException e) {
            abort(className + " is not in this build");
            throw e;
        }
        return Schedulers.fromConfig(config, type);
    }

    static ScheduleRequest request(JsonNode call) {
        return new ScheduleRequest(
                call.path("num_inference_steps").isNull() ? null : call.get("num_inference_steps").asInt(),
                Goldens.doublesOrNull(call.get("sigmas")),
                call.path("mu").isNull() || call.path("mu").isMissingNode() ? null : call.get("mu").asDouble(),
                Goldens.doublesOrNull(call.get("timesteps")));
    }

    /** The scheduler's sigmas (float32 bits) and timesteps (float32 bits, or int64 values) against diffusers'. */
    private static void checkSchedule(Scheduler scheduler, JsonNode n) {
        assertArrayEquals(Goldens.ints(n.get("sigmas").get("bits")), bits(scheduler.sigmas()), "sigmas");
        JsonNode timesteps = n.get("timesteps");
        if ("int64".equals(timesteps.get("dtype").asText())) {
            assertEquals(TimestepType.INT64, scheduler.timestepType(), "timesteps dtype");
            long[] expected = Goldens.longs(timesteps.get("values"));
            float[] actual = scheduler.timesteps();
            assertEquals(expected.length, actual.length, "number of timesteps");
            for (int i = 0; i < expected.length; i++) {
                assertEquals((float) expected[i], actual[i], "timesteps[" + i + "]");
            }
        } else {
            assertEquals(TimestepType.FLOAT32, scheduler.timestepType(), "timesteps dtype");
            assertArrayEquals(Goldens.ints(timesteps.get("bits")), bits(scheduler.timesteps()), "timesteps");
        }
    }

    /**
     * Keyword arguments diffusers passed to every {@code step} call of a run (Heun's churn options), set by name on a
     * scheduler that takes step options ({@link StepOptions}). A run with keyword arguments the class does not take
     * fails rather than silently ignoring them.
     */
    private static void applyStepKwargs(Scheduler scheduler, JsonNode kwargs) {
        if (kwargs.isMissingNode() || kwargs.isEmpty()) {
            return;
        }
        if (!(scheduler instanceof StepOptions options)) {
            throw new AssertionError("step keyword arguments " + kwargs + " are not supported for "
                    + scheduler.className() + " in this build");
        }
        kwargs.properties().forEach(e -> options.setStepOption(e.getKey(), number(e.getValue())));
    }

    /** A JSON number, or Python's non-finite floats as the goldens write them ({@code "inf"}, {@code "-inf"}). */
    private static double number(JsonNode value) {
        if (value.isTextual()) {
            return switch (value.textValue()) {
                case "inf" -> Double.POSITIVE_INFINITY;
                case "-inf" -> Double.NEGATIVE_INFINITY;
                default -> throw new AssertionError("not a number: " + value);
            };
        }
        return value.asDouble();
    }

    private static TorchBuild torchBuild(Goldens.GoldenFile file) {
        String capability = file.root().path("environment").path("torch_cpu_capability").asText("avx2");
        return TorchBuild.parse(capability, file.root().path("source").asText(""));
    }

    private static Tensor place(TensorBackend backend, Goldens.GoldenTensor t) {
        return backend.fromBits(t.bits(), t.dtype(), t.shape());
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    /** A noise source that remembers what it drew, to compare with the noise diffusers drew in the same call. */
    private static final class RecordingNoise implements NoiseSource {
        private final NoiseSource source;
        private final List<int[]> drawn = new ArrayList<>();
        private final List<DType> dtypes = new ArrayList<>();

        RecordingNoise(NoiseSource source) {
            this.source = source;
        }

        @Override
        public Tensor normal(TensorBackend backend, Shape shape, DType dtype) {
            Tensor t = source.normal(backend, shape, dtype);
            drawn.add(backend.toBits(t));
            dtypes.add(dtype);
            return t;
        }

        void check(JsonNode expected, String where) {
            int count = expected.isArray() ? expected.size() : 0;
            assertEquals(count, drawn.size(), where + ": number of noise draws");
            for (int i = 0; i < count; i++) {
                Goldens.GoldenTensor e = Goldens.GoldenTensor.of(expected.get(i));
                assertEquals(e.dtype(), dtypes.get(i), where + ": noise draw " + i + " dtype");
                assertArrayEquals(e.bits(), drawn.get(i), where + ": noise draw " + i);
            }
        }
    }
}

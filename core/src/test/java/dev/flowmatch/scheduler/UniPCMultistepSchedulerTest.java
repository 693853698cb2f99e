package dev.flowmatch.scheduler;

import static dev.flowmatch.testing.Properties.qt;
import static dev.flowmatch.testing.Properties.qtFew;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UniPCMultistepSchedulerTest {
    private static final String FLOW = "\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\"";
    private static final JavaBackend SHARED = new JavaBackend();
    private final JavaBackend backend = SHARED;

    private static UniPCMultistepScheduler unipc(String keys) {
        return (UniPCMultistepScheduler) Schedulers.fromConfig(
                Schedulers.parseJson("{" + FLOW + (keys.isEmpty() ? "" : ", " + keys) + "}"), SchedulerType.UNIPC);
    }

    private static IllegalArgumentException refused(String keys) {
        return assertThrows(IllegalArgumentException.class, () -> unipc(keys));
    }

    // ---- config ----------------------------------------------------------------------------------------------

    @Test
    void flowConfigTakesDiffusersDefaults() {
        assertEquals(UniPCMultistepScheduler.Config.flowDefaults(), unipc("").config());
        UniPCMultistepScheduler.Config c = unipc("\"solver_type\": \"midpoint\", \"solver_order\": 3,"
                + " \"disable_corrector\": [0, 2], \"final_sigmas_type\": \"sigma_min\", \"shift_terminal\": 0.1,"
                + " \"time_shift_type\": \"linear\", \"timestep_spacing\": \"trailing\"").config();
        assertEquals(UniPCMultistepScheduler.SolverType.BH2, c.solverType()); // diffusers registers bh2
        assertEquals(3, c.solverOrder());
        assertEquals(List.of(0, 2), c.disableCorrector());
        assertEquals(UniPCMultistepScheduler.FinalSigmasType.SIGMA_MIN, c.finalSigmasType());
        assertEquals(0.1, c.shiftTerminal());
        assertEquals(TimestepType.INT64, unipc("").timestepType());
        assertEquals("UniPCMultistepScheduler", unipc("").className());
        assertEquals(SchedulerType.UNIPC, SchedulerType.parse("unipc"));
        assertEquals(SchedulerType.UNIPC, SchedulerType.parse("UniPCMultistepScheduler"));
    }

    @Test
    void whatFlowmatchDoesNotReproduceIsRefusedNamingTheKey() {
        // diffusers' own defaults are not flow mode
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.create(SchedulerType.UNIPC));
        assertTrue(e.getMessage().contains("use_flow_sigmas"), e.getMessage());
        assertRefused("prediction_type", "\"prediction_type\": \"epsilon\"");
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> Schedulers.fromConfig(
                Schedulers.parseJson("{\"use_flow_sigmas\": true}"), SchedulerType.UNIPC));
        assertTrue(absent.getMessage().startsWith("prediction_type: 'epsilon'"), absent.getMessage());
        assertRefused("predict_x0", "\"predict_x0\": false");
        assertRefused("thresholding", "\"thresholding\": true");
        assertRefused("solver_p", "\"solver_p\": {}");
        assertRefused("use_exponential_sigmas", "\"use_exponential_sigmas\": true");
        assertRefused("use_beta_sigmas", "\"use_beta_sigmas\": true");
        assertRefused("solver_order", "\"solver_order\": 0");
        assertRefused("solver_order", "\"solver_order\": 4");
        assertRefused("solver_type", "\"solver_type\": \"bh3\"");
        assertRefused("final_sigmas_type", "\"final_sigmas_type\": \"one\"");
        assertRefused("time_shift_type", "\"time_shift_type\": \"cosine\"");
        assertRefused("timestep_spacing", "\"timestep_spacing\": \"uniform\"");
        assertRefused("beta_schedule", "\"beta_schedule\": \"sigmoid\"");
        assertRefused("flow_shift", "\"flow_shift\": \"inf\"");
        assertRefused("disable_corrector", "\"disable_corrector\": [0.5]");
    }

    private static void assertRefused(String key, String keys) {
        IllegalArgumentException e = refused(keys);
        assertTrue(e.getMessage().startsWith(key + ":"), keys + " -> " + e.getMessage());
    }

    /**
     * Every UniPC probe of the goldens' {@code excluded[]} (diffusers raised or returned NaN/inf) is refused with an
     * {@link IllegalArgumentException} naming one of the keys the probe set, before any non-finite number is made.
     */
    @Test
    void diffusersFailuresOfTheGoldensAreRefused() {
        JsonNode excluded = Goldens.bundled("sampler-goldens.json").root().get("excluded");
        int probes = 0;
        for (JsonNode probe : excluded) {
            if (!probe.get("scheduler").asText().equals(UniPCMultistepScheduler.CLASS_NAME)) {
                continue;
            }
            probes++;
            JsonNode config = probe.get("config");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                Scheduler s = Schedulers.fromConfig(config, SchedulerType.UNIPC);
                s.setTimesteps(ScheduleRequest.steps(probe.get("set_timesteps").get("num_inference_steps").asInt()));
                runToTheEnd(s, DType.FLOAT32);
            }, probe.get("name").asText());
            List<String> keys = new ArrayList<>();
            config.fieldNames().forEachRemaining(keys::add);
            assertTrue(keys.stream().anyMatch(k -> !k.startsWith("_") && e.getMessage().contains(k)),
                    probe.get("name").asText() + ": " + e.getMessage());
        }
        assertEquals(8, probes);
    }

    /** The rules behind the probes, on other configs: why diffusers fails, not which probe. */
    @Test
    void combinationsWithNonFiniteResultsAreRefused() {
        assertRefused("solver_type", "\"solver_type\": \"bh1\", \"use_karras_sigmas\": true");
        assertRefused("lower_order_final", "\"lower_order_final\": false, \"solver_order\": 3,"
                + " \"use_dynamic_shifting\": true");
        assertRefused("lower_order_final", "\"lower_order_final\": false, \"solver_order\": 3,"
                + " \"final_sigmas_type\": \"sigma_min\", \"use_karras_sigmas\": true");
        // what diffusers keeps finite stays allowed
        unipc("\"lower_order_final\": false, \"solver_order\": 2, \"final_sigmas_type\": \"sigma_min\"");
        unipc("\"lower_order_final\": false, \"solver_order\": 1");
        unipc("\"solver_type\": \"bh1\", \"final_sigmas_type\": \"sigma_min\", \"solver_order\": 3");
    }

    // ---- set_timesteps ---------------------------------------------------------------------------------------

    @Test
    void setTimestepsTakesDiffusersArgumentsOnly() {
        UniPCMultistepScheduler s = unipc("");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.ofTimesteps(900, 500, 100)));
        assertTrue(e.getMessage().startsWith("timesteps:"), e.getMessage());
        UniPCMultistepScheduler dynamic = unipc("\"use_dynamic_shifting\": true");
        e = assertThrows(IllegalArgumentException.class, () -> dynamic.setTimesteps(ScheduleRequest.steps(4)));
        assertTrue(e.getMessage().startsWith("mu:"), e.getMessage());
        // mu without dynamic shifting is ignored, as in diffusers
        s.setTimesteps(ScheduleRequest.steps(6));
        float[] without = s.sigmas();
        s.setTimesteps(ScheduleRequest.steps(6).withMu(2.0));
        assertArrayEquals(without, s.sigmas());
        assertThrows(IllegalStateException.class, () -> unipc("").sigmas());
    }

    @Test
    void sigmasOutsideTheOpenUnitIntervalAreRefused() {
        for (double[] sigmas : new double[][] {{1.2, 0.5}, {0.9, 0.0, 0.3}, {0.8, -0.1}, {1.0, 1.0, 0.5}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> unipc("").setTimesteps(ScheduleRequest.ofSigmas(sigmas)));
            assertTrue(e.getMessage().startsWith("sigmas"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> unipc("\"flow_shift\": 0").setTimesteps(
                ScheduleRequest.steps(4)));
        // a first sigma of 1 is lowered by 1e-6 (diffusers: "to avoid inf torch.log(alpha_si)")
        UniPCMultistepScheduler s = unipc("");
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5));
        assertEquals((float) (1.0 - 1e-6), s.sigmas()[0]);
        assertEquals(999f, s.timesteps()[0]);
    }

    @Test
    void flux2PipelineRequestPassesMuOnlyWithDynamicShifting() {
        assertEquals(ScheduleRequest.steps(4), unipc("").flux2PipelineRequest(4, 1.5));
        assertEquals(ScheduleRequest.steps(4).withMu(1.5),
                unipc("\"use_dynamic_shifting\": true").flux2PipelineRequest(4, 1.5));
    }

    /** Flow sigmas fall strictly (the appended sigma_min repeats the last), stay in (0, 1); timesteps follow them. */
    @Test
    void schedulesAreMonotone() {
        qt().forAll(integers().between(1, 60), doubles().between(0.2, 8.0), booleans().all(),
                        doubles().between(-1.0, 3.0))
                .checkAssert((steps, shift, sigmaMin, mu) -> {
                    String keys = "\"flow_shift\": " + shift + (sigmaMin ? ", \"final_sigmas_type\": \"sigma_min\"" : "");
                    for (UniPCMultistepScheduler s : List.of(unipc(keys),
                            unipc(keys + ", \"use_dynamic_shifting\": true"), unipc(keys + ", \"use_karras_sigmas\": true"))) {
                        s.setTimesteps(ScheduleRequest.steps(steps).withMu(mu));
                        float[] sigmas = s.sigmas();
                        float[] timesteps = s.timesteps();
                        assertEquals(steps + 1, sigmas.length);
                        for (int i = 0; i < steps; i++) {
                            assertTrue(sigmas[i] > 0 && sigmas[i] < 1, "sigma " + sigmas[i]);
                            assertTrue(sigmas[i + 1] < sigmas[i] || (i == steps - 1 && sigmaMin),
                                    "sigmas fall: " + java.util.Arrays.toString(sigmas));
                            assertEquals(timesteps[i], (float) Math.floor(timesteps[i]));
                            assertTrue(i == 0 || timesteps[i] <= timesteps[i - 1], "timesteps fall");
                        }
                        assertEquals(sigmaMin ? sigmas[steps - 1] : 0f, sigmas[steps]);
                    }
                });
    }

    // ---- steps -----------------------------------------------------------------------------------------------

    /** Runs every timestep with a synthetic model output (a small fixed function of the sample). */
    private static List<int[]> runToTheEnd(Scheduler s, DType dtype) {
        JavaBackend backend = SHARED;
        float[] start = {0.7f, -1.3f, 0.2f, 2.1f, -0.4f, 0.05f};
        GaussianFlow flow = new GaussianFlow(new float[] {0.5f, -0.25f, 1.0f}, 0.4);
        List<int[]> out = new ArrayList<>();
        Tensor x = backend.fromFloats(start, dtype, Shape.of(2, 3));
        for (float t : s.timesteps()) {
            try (Tensor v = flow.velocity(x, Math.max(t, 1f) / 1000f); Tensor previous = x) {
                x = s.step(v, t, previous);
            }
            out.add(backend.toBits(x));
        }
        x.close();
        return out;
    }

    @Test
    void equalSigmasWhereDiffusersDividesByZeroAreRefusedAndLeaveTheStateAlone() {
        UniPCMultistepScheduler s = unipc("\"solver_order\": 2");
        s.setTimesteps(ScheduleRequest.ofSigmas(0.5, 0.5, 0.2));
        s.setBeginIndex(0); // timesteps 500, 500, 200: looked up, 500 would start at its second occurrence
        try (Tensor x = backend.fromFloats(new float[] {0.1f, 0.2f}, DType.FLOAT32, Shape.of(1, 2));
             Tensor v = backend.fromFloats(new float[] {0.3f, -0.2f}, DType.FLOAT32, Shape.of(1, 2))) {
            s.step(v, s.timesteps()[0], x).close(); // order 1 with h = 0: finite in diffusers too
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.step(v, s.timesteps()[1], x)); // order 2: rk = 0, D1 = (m1 - m0) / 0
            assertTrue(e.getMessage().contains("rk = 0.0"), e.getMessage());
            assertEquals(1, s.stepIndex());
            assertEquals(1, s.historySize());
            assertEquals(1, s.lowerOrderNums());
        }
    }

    @Test
    void dtypesDiffusersEinsumRefusesAreRefusedAtOrderThree() {
        UniPCMultistepScheduler half = unipc("\"solver_order\": 3");
        half.setTimesteps(ScheduleRequest.steps(6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> runToTheEnd(half, DType.FLOAT16));
        assertTrue(e.getMessage().startsWith("sample: float16"), e.getMessage());
        UniPCMultistepScheduler halfOrder2 = unipc("\"solver_order\": 2");
        halfOrder2.setTimesteps(ScheduleRequest.steps(6));
        runToTheEnd(halfOrder2, DType.FLOAT16); // order 2: one history term, a plain product in torch too

        UniPCMultistepScheduler wide = unipc("\"solver_order\": 3");
        wide.setTimesteps(ScheduleRequest.steps(5));
        float[] values = {0.3f, -0.6f};
        e = assertThrows(IllegalArgumentException.class, () -> {
            Tensor x = backend.fromFloats(values, DType.BFLOAT16, Shape.of(1, 2));
            for (float t : wide.timesteps()) {
                try (Tensor v = backend.fromFloats(values, DType.FLOAT32, Shape.of(1, 2)); Tensor previous = x) {
                    x = wide.step(v, t, previous);
                }
            }
        });
        assertTrue(e.getMessage().startsWith("modelOutput:"), e.getMessage());
    }

    @Test
    void theHistoryFollowsDiffusers() {
        UniPCMultistepScheduler s = unipc("\"solver_order\": 3, \"disable_corrector\": [0, 4]");
        s.setTimesteps(ScheduleRequest.steps(6));
        assertEquals(0, s.thisOrder());
        assertFalse(s.hasLastSample());
        JavaBackend b = backend;
        Tensor x = b.fromFloats(new float[] {0.4f, -0.9f, 1.5f}, DType.FLOAT32, Shape.of(1, 3));
        int[] orders = {1, 2, 3, 3, 2, 1}; // warm-up, then lower_order_final: min(3, steps left)
        for (int i = 0; i < 6; i++) {
            float t = s.timesteps()[i];
            try (Tensor v = b.fromFloats(new float[] {0.2f, 0.1f, -0.3f}, DType.FLOAT32, Shape.of(1, 3));
                 Tensor previous = x) {
                x = s.step(v, t, previous);
            }
            assertEquals(orders[i], s.thisOrder(), "order at step " + i);
            // the last step frees the kept tensors (no step can follow it)
            assertEquals(i == 5 ? 0 : Math.min(i + 1, 3), s.historySize());
            assertEquals(Math.min(i + 1, 3), s.lowerOrderNums());
            assertEquals(t, s.timestepList()[2]);
            // the corrector of step i + 1 reads last_sample unless i is in disable_corrector, or there is no step i + 1
            assertEquals(i != 0 && i != 5, s.hasLastSample(), "last_sample after step " + i);
        }
        x.close();
        s.close();
        assertEquals(0, s.historySize());
        assertThrows(IllegalStateException.class, () -> {
            try (Tensor y = b.fromFloats(new float[] {0f, 0f, 0f}, DType.FLOAT32, Shape.of(1, 3))) {
                s.step(y, 0f, y);
            }
        });
    }

    /** A scheduler reused after {@code setTimesteps} gives a fresh one's bits (any config, steps, dtype). */
    @Test
    void setTimestepsResetsTheHistory() {
        qtFew(4).forAll(integers().between(1, 3), integers().between(1, 12), booleans().all(), integers().between(0, 2))
                .checkAssert((order, steps, bh1, dtypeIndex) -> {
                    String keys = "\"solver_order\": " + order + (bh1 ? ", \"solver_type\": \"bh1\","
                            + " \"final_sigmas_type\": \"sigma_min\"" : "");
                    DType dtype = DType.values()[dtypeIndex];
                    if (dtype == DType.FLOAT16 && order == 3) {
                        return;
                    }
                    UniPCMultistepScheduler reused = unipc(keys);
                    reused.setTimesteps(ScheduleRequest.steps(steps + 2));
                    runToTheEnd(reused, dtype);
                    reused.setTimesteps(ScheduleRequest.steps(steps));
                    UniPCMultistepScheduler fresh = unipc(keys);
                    fresh.setTimesteps(ScheduleRequest.steps(steps));
                    List<int[]> a = runToTheEnd(reused, dtype);
                    List<int[]> b = runToTheEnd(fresh, dtype);
                    for (int i = 0; i < steps; i++) {
                        assertArrayEquals(b.get(i), a.get(i), "step " + i);
                    }
                });
    }

    @Test
    void aMidScheduleStartLooksTheTimestepUpAsDiffusersDoes() {
        UniPCMultistepScheduler s = unipc("\"use_karras_sigmas\": true, \"beta_schedule\": \"squaredcos_cap_v2\"");
        s.setTimesteps(ScheduleRequest.steps(9));
        float[] t = s.timesteps();
        assertEquals(999f, t[0]);
        assertEquals(999f, t[2]);
        assertEquals(1, s.indexForTimestep(999f)); // the second occurrence
        assertEquals(8, s.indexForTimestep(1f)); // not in the schedule: the last index
        assertNull(s.stepIndex());
    }

    @Test
    void addNoiseTakesTheIndexFromTheTimestepTheStepOrTheBeginIndex() {
        UniPCMultistepScheduler s = unipc("\"flow_shift\": 3.0");
        s.setTimesteps(ScheduleRequest.steps(8));
        float[] sigmas = s.sigmas();
        float[] sample = {0.5f, -1f};
        float[] noise = {1.5f, 0.25f};
        try (Tensor x = backend.fromFloats(sample, DType.FLOAT32, Shape.of(1, 2));
             Tensor n = backend.fromFloats(noise, DType.FLOAT32, Shape.of(1, 2))) {
            assertArrayEquals(noised(sigmas[3], sample, noise), backend.toFloats(s.scaleNoise(x, s.timesteps()[3], n)));
            s.setBeginIndex(2);
            assertArrayEquals(noised(sigmas[2], sample, noise), backend.toFloats(s.scaleNoise(x, s.timesteps()[5], n)));
            s.step(n, s.timesteps()[2], x).close();
            assertArrayEquals(noised(sigmas[3], sample, noise), backend.toFloats(s.scaleNoise(x, s.timesteps()[6], n)));
            assertEquals(3, s.stepIndex()); // add_noise leaves the step index
        }
    }

    private static float[] noised(float sigma, float[] sample, float[] noise) {
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (1f - sigma) * sample[i] + sigma * noise[i];
        }
        return out;
    }

    @Test
    void theSamplerRunsUniPC() {
        GaussianFlow flow = new GaussianFlow(new float[] {0.5f, -1f, 0.25f, 2f}, 0.3);
        Sampler sampler = Sampler.builder().scheduler(() -> unipc("\"solver_order\": 3")).numSteps(6).build();
        try (Tensor z = backend.fromFloats(new float[] {0.3f, -1.2f, 0.8f, 0.05f}, DType.FLOAT32, Shape.of(1, 4));
             Tensor out = sampler.run(z, flow)) {
            double error = GaussianFlow.relativeL2(backend.toFloats(out), flow.exactEndpoint(
                    new float[] {0.3f, -1.2f, 0.8f, 0.05f}));
            assertTrue(error < 0.05, "relative error " + error);
        }
    }

    // ---- the default kernel, and the fused sum ---------------------------------------------------------------

    /**
     * diffusers' runs under {@code ATEN_CPU_CAPABILITY=default} (glibc's logf / expm1f, torch's unfused
     * linspace) reproduced with {@link TorchCpuKernel#DEFAULT}, the AVX2 kernel giving other bits for some; and a
     * bfloat16 order-3 run of 2050 elements with torch's oneDNN path off (a CPU without AVX-512), reproduced only
     * with {@code avx512} false.
     */
    @Test
    void theDefaultKernelsRunsAreReproducedWithTheDefaultKernel() {
        JsonNode runs = Goldens.bundled("unipc-reference-runs-default-kernel.json").root().get("sampler_runs");
        int differsUnderAvx2 = 0;
        for (JsonNode run : runs) {
            boolean oneDnn = run.get("mkldnn").asBoolean();
            assertTrue(replay(run, TorchCpuKernel.DEFAULT, oneDnn), run.get("name").asText());
            if (!replay(run, TorchCpuKernel.AVX2, oneDnn)) {
                differsUnderAvx2++;
            }
            if (!oneDnn) {
                assertFalse(replay(run, TorchCpuKernel.DEFAULT, true), "oneDNN's single rounding differs");
            }
        }
        assertEquals(6, runs.size());
        assertTrue(differsUnderAvx2 > 0, "the kernel matters for at least one run");
    }

    /** Whether every step of a reference run (fed its recorded samples) gives the recorded bits. */
    private boolean replay(JsonNode run, TorchCpuKernel kernel, boolean avx512) {
        UniPCMultistepScheduler s = new UniPCMultistepScheduler(UniPCMultistepScheduler.Config.from(
                new ConfigKeys(run.get("config"), UniPCMultistepScheduler.CLASS_NAME)), kernel, avx512);
        JsonNode call = run.get("set_timesteps");
        s.setTimesteps(new ScheduleRequest(call.path("num_inference_steps").isNull() ? null
                : call.get("num_inference_steps").asInt(), Goldens.doublesOrNull(call.get("sigmas")),
                call.path("mu").isNull() ? null : call.get("mu").asDouble(), null));
        if (!java.util.Arrays.equals(Goldens.ints(run.get("sigmas").get("bits")), bits(s.sigmas()))) {
            return false;
        }
        Goldens.GoldenTensor sample = Goldens.GoldenTensor.of(run.get("initial_sample"));
        for (JsonNode step : run.get("steps")) {
            Goldens.GoldenTensor model = Goldens.GoldenTensor.of(step.get("model_output"));
            Goldens.GoldenTensor expected = Goldens.GoldenTensor.of(step.get("prev_sample"));
            try (Tensor x = backend.fromBits(sample.bits(), sample.dtype(), sample.shape());
                 Tensor v = backend.fromBits(model.bits(), model.dtype(), model.shape());
                 Tensor out = s.step(v, (float) step.get("timestep").get("value").asDouble(), x)) {
                if (!java.util.Arrays.equals(expected.bits(), backend.toBits(out))) {
                    return false;
                }
            }
            sample = expected;
        }
        return true;
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    /**
     * The emulated {@code fma(a, b, c)} against {@link Math#fma} on sums shaped like the order-3 history sums
     * (coefficients near 1, differences over 20 binades, a quarter of them cancelling): no difference in 200,000.
     * The one failure mode, a sum landing exactly halfway after {@code t + e} rounds, is built here by hand: one ulp.
     */
    @Test
    void theFusedMultiplyAddEmulationMatchesMathFma() {
        Random random = new Random(20261202);
        float[] element = new float[2];
        Expr[] cache = new Expr[1];
        int differences = 0;
        for (int i = 0; i < 200_000; i++) {
            float r0 = (float) random.nextGaussian();
            float r1 = (float) random.nextGaussian();
            float d0 = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(20) - 10));
            float d1 = random.nextInt(4) == 0 ? -r0 * d0 / r1 * (1 + (float) random.nextGaussian() * 1e-6f)
                    : (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(20) - 10));
            float c = 0f + r0 * d0;
            cache[0] = UniPCMultistepScheduler.fusedMultiplyAdd(r1, Expr.input(0), Expr.input(1));
            element[0] = d1;
            element[1] = c;
            if (Float.floatToRawIntBits(cache[0].apply(element)) != Float.floatToRawIntBits(Math.fma(r1, d1, c))) {
                differences++;
            }
        }
        assertEquals(0, differences);
        float a = 1f + 0x1p-23f;
        float b = 0x1p-24f * (1f - 0x1p-24f);
        float emulated = UniPCMultistepScheduler.fusedMultiplyAdd(a, Expr.input(0), Expr.input(1))
                .apply(new float[] {b, 1f});
        assertEquals(Math.fma(a, b, 1f), Math.nextUp(emulated)); // the halfway case: one ulp below
    }
}

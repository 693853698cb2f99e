package dev.flowmatch.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link DpmSolverMultistepScheduler} against data made by diffusers' own module
 * ({@code tools/reference/dpm_solver_reference.py} and the shared {@code sampler-goldens.json}): the schedule state
 * across {@code set_timesteps} calls ({@code mu} overwrites {@code flow_shift}), the final sigma of each beta
 * schedule, what diffusers refuses, and the {@code variance_noise} path. Whole runs on every backend are in the
 * conformance suite.
 */
class DpmSolverMultistepSchedulerTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNode REFERENCE = resource("/reference/dpm-solver-schedules.json");
    private final JavaBackend backend = new JavaBackend();

    private static JsonNode resource(String name) {
        try (InputStream in = DpmSolverMultistepSchedulerTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static DpmSolverMultistepScheduler dpm(JsonNode config) {
        return (DpmSolverMultistepScheduler) Schedulers.fromConfig(config, SchedulerType.DPM_SOLVER_MULTISTEP);
    }

    private static DpmSolverMultistepScheduler dpm(String json) {
        return dpm(Schedulers.parseJson(json));
    }

    private static final String FLOW = "\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\"";

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }

    private static float[] longsAsFloats(JsonNode values) {
        long[] longs = Goldens.longs(values);
        float[] out = new float[longs.length];
        for (int i = 0; i < longs.length; i++) {
            out[i] = longs[i];
        }
        return out;
    }

    @Test
    void muOverwritesFlowShiftForLaterCallsAsDiffusersDoes() {
        for (JsonNode sequence : REFERENCE.get("schedule_sequences")) {
            DpmSolverMultistepScheduler scheduler = dpm(sequence.get("config"));
            for (JsonNode call : sequence.get("calls")) {
                int steps = call.get("num_inference_steps").asInt();
                ScheduleRequest request = ScheduleRequest.steps(steps);
                scheduler.setTimesteps(call.get("mu").isNull() ? request : request.withMu(call.get("mu").asDouble()));
                String where = sequence.get("config") + " " + call.get("num_inference_steps") + " mu=" + call.get("mu");
                assertEquals(call.get("flow_shift").asDouble(), scheduler.flowShift(), where);
                assertArrayEquals(Goldens.ints(call.get("sigmas").get("bits")), bits(scheduler.sigmas()), where);
                assertArrayEquals(longsAsFloats(call.get("timesteps").get("values")), scheduler.timesteps(), where);
                assertEquals(steps, scheduler.numInferenceSteps());
            }
        }
    }

    @Test
    void flowShiftAfterSetTimestepsMatchesTheGoldenRunsConfigAttributes() {
        int checked = 0;
        for (String file : List.of("sampler-goldens.json", "dpm-solver-runs.json")) {
            for (JsonNode run : Goldens.bundled(file).root().get("sampler_runs")) {
                JsonNode after = run.path("config_attributes_after_set_timesteps").path("flow_shift");
                if (!run.get("scheduler").asText().equals(DpmSolverMultistepScheduler.CLASS_NAME) || after.isMissingNode()) {
                    continue;
                }
                DpmSolverMultistepScheduler scheduler = dpm(run.get("config"));
                JsonNode call = run.get("set_timesteps");
                scheduler.setTimesteps(ScheduleRequest.steps(call.get("num_inference_steps").asInt())
                        .withMu(call.get("mu").asDouble()));
                assertEquals(after.asDouble(), scheduler.flowShift(), run.get("name").asText());
                checked++;
            }
        }
        assertTrue(checked >= 4, "runs with mu: " + checked);
    }

    @Test
    void sigmaMinFinalSigmaComesFromTheConstructorsBetas() {
        for (JsonNode c : REFERENCE.get("final_sigmas")) {
            DpmSolverMultistepScheduler scheduler = dpm(c.get("config"));
            scheduler.setTimesteps(ScheduleRequest.steps(3));
            float[] sigmas = scheduler.sigmas();
            assertEquals(c.get("final_sigma_bits").asInt(), Float.floatToRawIntBits(sigmas[sigmas.length - 1]),
                    c.get("config").toString());
        }
    }

    static Stream<JsonNode> excludedProbes() {
        List<JsonNode> probes = new ArrayList<>();
        REFERENCE.get("excluded").forEach(probes::add);
        for (JsonNode e : Goldens.bundled("sampler-goldens.json").root().get("excluded")) {
            if (e.get("scheduler").asText().equals(DpmSolverMultistepScheduler.CLASS_NAME)) {
                probes.add(e);
            }
        }
        return probes.stream();
    }

    /** Every config or call on which diffusers raises or returns non-finite values is refused, naming its cause. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("excludedProbes")
    void whatDiffusersRejectsOrAnswersWithNaNIsAnIllegalArgument(JsonNode probe) {
        JsonNode call = probe.has("set_timesteps") ? probe.get("set_timesteps") : probe;
        Integer steps = call.path("num_inference_steps").isNumber() ? call.get("num_inference_steps").asInt() : null;
        Double mu = call.path("mu").isNumber() ? call.get("mu").asDouble() : null;
        double[] timesteps = Goldens.doublesOrNull(call.get("timesteps"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            DpmSolverMultistepScheduler scheduler = dpm(probe.get("config"));
            scheduler.setTimesteps(new ScheduleRequest(steps, null, mu, timesteps));
        }, probe.get("name").asText() + " (diffusers: " + probe.get("reason").asText() + ")");
        String message = e.getMessage();
        assertTrue(message.matches("^[a-z_]+(\\[\\d+\\])?: .*"), "the message starts with the key: " + message);
    }

    @Test
    void refusedKeysAreNamedWithTheirValue() {
        record Refusal(String json, String key) {}
        List<Refusal> refusals = List.of(
                new Refusal("{\"use_flow_sigmas\": true}", "prediction_type: 'epsilon'"),
                new Refusal("{\"prediction_type\": \"flow_prediction\"}", "use_flow_sigmas: false"),
                new Refusal("{" + FLOW + ", \"prediction_type\": \"v_prediction\"}", "prediction_type: 'v_prediction'"),
                new Refusal("{" + FLOW + ", \"thresholding\": true}", "thresholding: true"),
                new Refusal("{" + FLOW + ", \"use_karras_sigmas\": true}", "use_karras_sigmas: true"),
                new Refusal("{" + FLOW + ", \"use_exponential_sigmas\": true}", "use_exponential_sigmas: true"),
                new Refusal("{" + FLOW + ", \"use_beta_sigmas\": true}", "use_beta_sigmas: true"),
                new Refusal("{" + FLOW + ", \"solver_order\": 4}", "solver_order: 4"),
                new Refusal("{" + FLOW + ", \"solver_order\": 0}", "solver_order: 0"),
                new Refusal("{" + FLOW + ", \"algorithm_type\": \"dpmsolver\", \"final_sigmas_type\": \"sigma_min\"}",
                        "algorithm_type: 'dpmsolver'"),
                new Refusal("{" + FLOW + ", \"algorithm_type\": \"sde-dpmsolver\", \"final_sigmas_type\": \"sigma_min\"}",
                        "algorithm_type: 'sde-dpmsolver'"),
                new Refusal("{" + FLOW + ", \"rescale_betas_zero_snr\": true, \"final_sigmas_type\": \"sigma_min\"}",
                        "rescale_betas_zero_snr: true"),
                new Refusal("{" + FLOW + ", \"flow_shift\": \"inf\"}", "flow_shift: Infinity"));
        for (Refusal r : refusals) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dpm(r.json()), r.json());
            assertTrue(e.getMessage().startsWith(r.key()), r.json() + " -> " + e.getMessage());
        }
        // Keys that only matter in the modes flowmatch refuses are accepted, as diffusers' flow mode ignores them.
        DpmSolverMultistepScheduler s = dpm("{" + FLOW + ", \"variance_type\": \"learned\", \"lambda_min_clipped\":"
                + " -5.1, \"steps_offset\": 1, \"rescale_betas_zero_snr\": true, \"thresholding\": null,"
                + " \"dynamic_thresholding_ratio\": 0.9, \"sample_max_value\": 3.0}");
        s.setTimesteps(ScheduleRequest.steps(4));
        assertEquals(5, s.sigmas().length);
    }

    @Test
    void setTimestepsRefusesSigmasAndMuWithoutDynamicShiftingAndKeepsTheOldState() {
        DpmSolverMultistepScheduler s = dpm("{" + FLOW + ", \"flow_shift\": 3.0}");
        s.setTimesteps(ScheduleRequest.steps(6));
        float[] before = s.sigmas();
        IllegalArgumentException sigmas = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5)));
        assertTrue(sigmas.getMessage().startsWith("sigmas: "), sigmas.getMessage());
        IllegalArgumentException mu = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.steps(6).withMu(1.0)));
        assertTrue(mu.getMessage().startsWith("mu: 1.0"), mu.getMessage());
        assertArrayEquals(before, s.sigmas());
        assertEquals(3.0, s.flowShift());
    }

    @Test
    void theFlux2PipelineCallPassesMuOnlyWhereDiffusersTakesIt() {
        DpmSolverMultistepScheduler dynamic = dpm("{" + FLOW + ", \"use_dynamic_shifting\": true}");
        assertEquals(ScheduleRequest.steps(4).withMu(1.15), dynamic.flux2PipelineRequest(4, 1.15));
        dynamic.setTimesteps(dynamic.flux2PipelineRequest(4, 1.15));
        assertEquals(3.158192909689767, dynamic.flowShift());
        DpmSolverMultistepScheduler fixed = dpm("{" + FLOW + ", \"flow_shift\": 3.0}");
        assertEquals(ScheduleRequest.steps(4), fixed.flux2PipelineRequest(4, 1.15));
    }

    /** The family's Sampler runs this class as a pipeline does: the same bits as the loop written out. */
    @Test
    void theSamplerRunsItAsTheLoopWrittenOut() {
        String json = "{" + FLOW + ", \"flow_shift\": 3.0, \"algorithm_type\": \"sde-dpmsolver++\", \"solver_order\": 3}";
        float[] mean = new float[48];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) Math.sin(i);
        }
        GaussianFlow flow = new GaussianFlow(mean, 0.5);
        Sampler sampler = Sampler.builder().scheduler(() -> dpm(json)).numSteps(8).build();
        try (Tensor z = new TorchGenerator(1).normal(backend, Shape.of(1, 4, 12), DType.BFLOAT16);
             Tensor viaSampler = sampler.run(z, flow, new TorchGenerator(2))) {
            DpmSolverMultistepScheduler s = dpm(json);
            s.setTimesteps(ScheduleRequest.steps(8));
            s.setBeginIndex(0);
            TorchGenerator generator = new TorchGenerator(2);
            Tensor x = backend.convert(z, z.dtype());
            for (float t : s.timesteps()) {
                try (Tensor v = flow.velocity(x, Flux2.modelTime(t, x.dtype())); Tensor previous = x) {
                    x = s.step(v, t, previous, generator);
                }
            }
            try (Tensor manual = x) {
                assertArrayEquals(backend.toBits(manual), backend.toBits(viaSampler));
            }
        }
    }

    @Test
    void stateRulesMatchTheSchedulerContract() {
        DpmSolverMultistepScheduler s = dpm("{" + FLOW + ", \"flow_shift\": 3.0, \"algorithm_type\": \"sde-dpmsolver++\"}");
        assertThrows(IllegalStateException.class, s::sigmas);
        s.setTimesteps(ScheduleRequest.steps(3));
        assertEquals(TimestepType.INT64, s.timestepType());
        assertEquals(1, s.order());
        assertEquals(1f, s.initNoiseSigma());
        assertTrue(s.isStochastic());
        assertNull(s.stepIndex());
        try (Tensor x = backend.fromFloats(new float[] {0.5f, -1f}, DType.FLOAT32, Shape.of(1, 2));
             Tensor v = backend.fromFloats(new float[] {0.25f, 2f}, DType.FLOAT32, Shape.of(1, 2))) {
            float t0 = s.timesteps()[0];
            assertThrows(IllegalStateException.class, () -> s.step(v, t0, x), "sde needs a NoiseSource");
            TorchGenerator generator = new TorchGenerator(7);
            for (int i = 0; i < 3; i++) {
                s.step(v, s.timesteps()[i], x, generator).close();
            }
            assertEquals(3, s.stepIndex());
            assertThrows(IllegalStateException.class, () -> s.step(v, t0, x, generator), "past the last step");
            s.setBeginIndex(1);
            s.setTimesteps(ScheduleRequest.steps(3));
            assertNull(s.stepIndex());
            assertNull(s.beginIndex());
            assertThrows(IllegalArgumentException.class, () -> s.setBeginIndex(3));
        }
        s.close();
    }

    @Test
    void indexForTimestepTakesTheSecondOfRepeatedTimestepsAndTheLastForUnknownOnes() {
        DpmSolverMultistepScheduler s = dpm("{" + FLOW + ", \"num_train_timesteps\": 20}");
        s.setTimesteps(ScheduleRequest.steps(40));
        float[] t = s.timesteps();
        int repeated = 1;
        while (t[repeated] != t[repeated - 1]) {
            repeated++;
        }
        assertEquals(repeated, s.indexForTimestep(t[repeated - 1]));
        assertEquals(t.length - 1, s.indexForTimestep(12345f));
        assertEquals(t.length - 1, s.indexForTimestep(t[3] + 0.5f));
    }

    /**
     * The {@code variance_noise} path: replaying each stochastic golden run with the noise diffusers drew, given as
     * {@code variance_noise}, gives diffusers' bits (diffusers uses the given noise exactly as a drawn one).
     */
    @Test
    void varianceNoiseReplaysTheGeneratorRuns() {
        int replayed = 0;
        for (String file : List.of("sampler-goldens.json", "dpm-solver-runs.json")) {
            for (JsonNode run : Goldens.bundled(file).root().get("sampler_runs")) {
                if (!run.get("scheduler").asText().equals(DpmSolverMultistepScheduler.CLASS_NAME)
                        || run.get("generator_seed").isNull()) {
                    continue;
                }
                DpmSolverMultistepScheduler scheduler = dpm(run.get("config"));
                JsonNode call = run.get("set_timesteps");
                ScheduleRequest request = ScheduleRequest.steps(call.get("num_inference_steps").asInt());
                scheduler.setTimesteps(call.get("mu").isNull() ? request : request.withMu(call.get("mu").asDouble()));
                if (!run.get("begin_index").isNull()) {
                    scheduler.setBeginIndex(run.get("begin_index").asInt());
                }
                Goldens.GoldenTensor sample = Goldens.GoldenTensor.of(run.get("initial_sample"));
                for (JsonNode step : run.get("steps")) {
                    Goldens.GoldenTensor out = Goldens.GoldenTensor.of(step.get("prev_sample"));
                    try (Tensor x = place(sample);
                         Tensor v = place(Goldens.GoldenTensor.of(step.get("model_output")));
                         Tensor noise = place(Goldens.GoldenTensor.of(step.get("noise").get(0)));
                         Tensor prev = scheduler.stepWithVarianceNoise(v, (float) step.get("timestep").get("value")
                                 .asDouble(), x, noise)) {
                        assertArrayEquals(out.bits(), backend.toBits(prev), run.get("name").asText() + " step "
                                + step.get("i"));
                    }
                    sample = out;
                }
                scheduler.close();
                replayed++;
            }
        }
        assertTrue(replayed >= 40, "stochastic runs replayed: " + replayed);
    }

    private Tensor place(Goldens.GoldenTensor t) {
        return backend.fromBits(t.bits(), t.dtype(), t.shape());
    }
}

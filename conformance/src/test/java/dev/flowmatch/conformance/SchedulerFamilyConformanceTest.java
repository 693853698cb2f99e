package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.scheduler.StepOptions;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties every scheduler of the family has, on every backend: schedules are monotone, {@code setTimesteps}
 * resets all state (a loop after an abandoned one gives the bits of a fresh instance), a seed gives the same bits
 * on every run, and every backend gives the java backend's bits for the whole loop. Adding a scheduler (or a
 * setting of one) is one line in {@link #CASES}.
 */
class SchedulerFamilyConformanceTest {

    /**
     * One scheduler setting.
     *
     * @param name        the name shown in the report
     * @param type        the class, built from {@code config} as diffusers' {@code from_config} builds it
     * @param config      a {@code scheduler_config.json} (of this class or a compatible one)
     * @param request     its {@code set_timesteps} call
     * @param stepOptions step keyword arguments ({@link StepOptions}), empty for none
     * @param dtype       the dtype of the sample and the model output
     */
    record Case(String name, SchedulerType type, String config, ScheduleRequest request,
                Map<String, Double> stepOptions, DType dtype) {
        @Override
        public String toString() {
            return name;
        }

        Scheduler newScheduler() {
            Scheduler s = Schedulers.fromConfig(Schedulers.parseJson(config), type);
            stepOptions.forEach((k, v) -> ((StepOptions) s).setStepOption(k, v));
            s.setTimesteps(request);
            return s;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("FlowMatchEuler", SchedulerType.FLOW_MATCH_EULER, "{\"shift\": 3.0}", ScheduleRequest.steps(6),
                    Map.of(), DType.BFLOAT16),
            new Case("FlowMatchEuler stochastic", SchedulerType.FLOW_MATCH_EULER, "{\"stochastic_sampling\": true}",
                    ScheduleRequest.steps(5), Map.of(), DType.FLOAT32),
            new Case("FlowMatchHeun", SchedulerType.FLOW_MATCH_HEUN, "{\"shift\": 3.0}", ScheduleRequest.steps(5),
                    Map.of(), DType.FLOAT32),
            new Case("FlowMatchHeun churn", SchedulerType.FLOW_MATCH_HEUN, "{\"shift\": 2.0}",
                    ScheduleRequest.steps(4), Map.of("s_churn", 1.5, "s_noise", 0.9), DType.BFLOAT16),
            new Case("FlowMatchLCM", SchedulerType.FLOW_MATCH_LCM, "{\"shift\": 3.0}", ScheduleRequest.steps(4),
                    Map.of(), DType.FLOAT32),
            new Case("FlowMatchLCM karras", SchedulerType.FLOW_MATCH_LCM, "{\"use_karras_sigmas\": true}",
                    ScheduleRequest.steps(6), Map.of(), DType.BFLOAT16),
            new Case("LTXEulerAncestralRF", SchedulerType.LTX_EULER_ANCESTRAL_RF, "{\"eta\": 0.8}",
                    ScheduleRequest.ofSigmas(1.0, 0.9, 0.7, 0.4, 0.1, 0.0), Map.of(), DType.FLOAT32),
            new Case("LTXEulerAncestralRF from FlowMatchEuler", SchedulerType.LTX_EULER_ANCESTRAL_RF,
                    "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 2.0}", ScheduleRequest.steps(5),
                    Map.of(), DType.BFLOAT16),
            new Case("DPMSolverMultistep 2M", SchedulerType.DPM_SOLVER_MULTISTEP,
                    "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0}",
                    ScheduleRequest.steps(6), Map.of(), DType.BFLOAT16),
            new Case("DPMSolverMultistep SDE 3M", SchedulerType.DPM_SOLVER_MULTISTEP,
                    "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0,"
                            + " \"algorithm_type\": \"sde-dpmsolver++\", \"solver_order\": 3}",
                    ScheduleRequest.steps(7), Map.of(), DType.FLOAT32),
            new Case("UniPCMultistep bh2 order 3", SchedulerType.UNIPC,
                    "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0,"
                            + " \"solver_order\": 3}", ScheduleRequest.steps(7), Map.of(), DType.FLOAT32),
            new Case("UniPCMultistep bh1 sigma_min", SchedulerType.UNIPC,
                    "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"solver_type\": \"bh1\","
                            + " \"final_sigmas_type\": \"sigma_min\", \"disable_corrector\": [1]}",
                    ScheduleRequest.steps(6), Map.of(), DType.BFLOAT16));

    static Stream<Arguments> casesOnBackends() {
        return CASES.stream().flatMap(c -> Conformance.backends().map(b -> Arguments.of(c, b)));
    }

    @Test
    void everyClassOfTheFamilyHasACase() {
        Set<SchedulerType> covered = CASES.stream().map(Case::type).collect(Collectors.toSet());
        Set<SchedulerType> missing = EnumSet.allOf(SchedulerType.class);
        missing.removeAll(covered);
        assertTrue(missing.isEmpty(), "no family case for " + missing);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void schedulesAreMonotone(Case c) {
        Scheduler s = c.newScheduler();
        float[] sigmas = s.sigmas();
        float[] timesteps = s.timesteps();
        for (int i = 0; i + 1 < sigmas.length; i++) {
            assertTrue(sigmas[i] >= sigmas[i + 1], c + ": sigmas " + Arrays.toString(sigmas));
        }
        for (int i = 0; i + 1 < timesteps.length; i++) {
            assertTrue(timesteps[i] >= timesteps[i + 1], c + ": timesteps " + Arrays.toString(timesteps));
        }
    }

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesOnBackends")
    void setTimestepsResetsEveryState(Case c, TensorBackend backend) {
        Conformance.use(backend);
        int[] fresh = loop(c, backend, c.newScheduler(), 5, Integer.MAX_VALUE);
        try (Scheduler reused = c.newScheduler()) {
            // Abandon a loop after three calls (mid-step for Heun), then start again.
            loop(c, backend, reused, 9, 3);
            reused.setTimesteps(c.request());
            assertArrayEquals(fresh, loop(c, backend, reused, 5, Integer.MAX_VALUE), c + ": after setTimesteps");
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesOnBackends")
    void aSeedGivesTheJavaBackendsBitsOnEveryRun(Case c, TensorBackend backend) {
        Conformance.use(backend);
        int[] first = loop(c, backend, c.newScheduler(), 5, Integer.MAX_VALUE);
        assertArrayEquals(first, loop(c, backend, c.newScheduler(), 5, Integer.MAX_VALUE), c + ": same seed");
        int[] reference = loop(c, Conformance.reference(), c.newScheduler(), 5, Integer.MAX_VALUE);
        Conformance.assertConforms(backend, c.dtype(), reference, first, c + ": whole loop");
        if (c.newScheduler().isStochastic()) {
            int[] other = loop(c, backend, c.newScheduler(), 6, Integer.MAX_VALUE);
            assertTrue(!Arrays.equals(first, other), c + ": another seed drew the same noise");
        }
    }

    /**
     * Runs {@code calls} step calls (or all) of a loop from timestep 0 with a fixed model {@code v = 0.5 x + 0.1}
     * computed on the backend; returns the final sample's bits.
     */
    private static int[] loop(Case c, TensorBackend backend, Scheduler scheduler, long seed, int calls) {
        float[] start = new float[2 * 8 * 16];
        for (int i = 0; i < start.length; i++) {
            start[i] = (float) Math.sin(0.37 * i + 0.1) * 1.3f;
        }
        TorchGenerator generator = new TorchGenerator(seed);
        Expr model = Expr.add(Expr.mul(Expr.input(0), Expr.scalar(0.5f), c.dtype()), Expr.scalar(0.1f), c.dtype());
        Tensor sample = backend.fromFloats(start, c.dtype(), Shape.of(2, 8, 16));
        try {
            float[] timesteps = scheduler.timesteps();
            for (int i = 0; i < Math.min(calls, timesteps.length); i++) {
                try (Tensor v = backend.elementwise(model, sample)) {
                    Tensor next = scheduler.isStochastic() ? scheduler.step(v, timesteps[i], sample, generator)
                            : scheduler.step(v, timesteps[i], sample);
                    sample.close();
                    sample = next;
                }
            }
            return backend.toBits(sample);
        } finally {
            sample.close();
        }
    }
}

package dev.flowmatch.scheduler;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Generators;
import org.junit.jupiter.api.Test;

class LTXEulerAncestralRFSchedulerTest {
    private final TensorBackend backend = new JavaBackend();

    private static LTXEulerAncestralRFScheduler fromJson(String json) {
        return (LTXEulerAncestralRFScheduler) Schedulers.fromConfig(Schedulers.parseJson(json),
                SchedulerType.LTX_EULER_ANCESTRAL_RF);
    }

    @Test
    void explicitSigmasKeepTheTerminalZeroAndScaleTimesteps() {
        LTXEulerAncestralRFScheduler s = fromJson("{\"num_train_timesteps\": 100}");
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.7, 0.3, 0.0));
        assertArrayEquals(new float[] {1f, 0.7f, 0.3f, 0f}, s.sigmas());
        assertArrayEquals(new float[] {100f, 0.7f * 100f, 0.3f * 100f, 0f}, s.timesteps());
        assertEquals(3, s.numInferenceSteps());
        // timesteps= is taken as sigmas, as in diffusers.
        s.setTimesteps(ScheduleRequest.ofTimesteps(1.0, 0.5, 0.0));
        assertArrayEquals(new float[] {1f, 0.5f, 0f}, s.sigmas());
    }

    @Test
    void numInferenceStepsUsesTheFlowMatchEulerScheduleOfTheConfig() {
        qt().forAll(Generators.configs(), integers().between(2, 40)).checkAssert((c, n) -> {
            String json = "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": " + c.shift()
                    + ", \"use_karras_sigmas\": " + c.useKarrasSigmas() + ", \"use_exponential_sigmas\": "
                    + c.useExponentialSigmas() + ", \"use_beta_sigmas\": " + c.useBetaSigmas() + "}";
            LTXEulerAncestralRFScheduler s = fromJson(json);
            s.setTimesteps(ScheduleRequest.steps(n));
            Schedule euler = Schedules.compute(s.config().flowMatchEuler(), ScheduleRequest.steps(n));
            assertArrayEquals(euler.sigmas(), s.sigmas());
            assertArrayEquals(euler.timesteps(), s.timesteps());
        });
    }

    /** sampler-goldens.json excluded: "LTX auto schedule ... without mu but dynamic shifting" (diffusers raises). */
    @Test
    void dynamicShiftingWithoutMuIsRefusedAsDiffusersRaises() {
        LTXEulerAncestralRFScheduler s = fromJson(
                "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"use_dynamic_shifting\": true, \"shift\": 1.0}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.steps(4)));
        assertTrue(e.getMessage().startsWith("mu:"), e.getMessage());
        s.setTimesteps(ScheduleRequest.steps(4).withMu(1.2));
        assertEquals(5, s.sigmas().length);
    }

    @Test
    void aZeroSigmaBeforeANonZeroOneIsRefused() {
        LTXEulerAncestralRFScheduler s = fromJson("{}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.0, 0.5, 0.0)));
        assertTrue(e.getMessage().startsWith("sigmas: element 2 is 0.5, above element 1"), e.getMessage());
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5, 0.0, 0.0));
    }

    @Test
    void configValuesAreChecked() {
        IllegalArgumentException eta = assertThrows(IllegalArgumentException.class,
                () -> fromJson("{\"eta\": \"nan\"}"));
        assertTrue(eta.getMessage().startsWith("eta:"), eta.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fromJson("{\"s_noise\": \"inf\"}"));
        assertTrue(fromJson("{}").isStochastic());
        assertTrue(!fromJson("{\"eta\": 0}").isStochastic());
    }

    @Test
    void theStepAtTheTerminalSigmaReturnsTheSampleInItsDtype() {
        LTXEulerAncestralRFScheduler s = fromJson("{\"eta\": 0.0}");
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5, 0.0));
        try (Tensor x = backend.fromFloats(new float[] {0.25f, -1.5f}, DType.FLOAT16, Shape.of(1, 1, 2));
             Tensor v = backend.fromFloats(new float[] {0.5f, 0.5f}, DType.BFLOAT16, Shape.of(1, 1, 2))) {
            s.setBeginIndex(2);
            try (Tensor out = s.step(v, 0f, x)) {
                assertEquals(DType.FLOAT16, out.dtype());
                assertArrayEquals(backend.toBits(x), backend.toBits(out));
            }
            assertEquals(2, s.stepIndex());
        }
    }

    @Test
    void hasNoScaleNoise() {
        LTXEulerAncestralRFScheduler s = fromJson("{}");
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.5, 0.0));
        try (Tensor x = backend.fromFloats(new float[] {0.25f}, DType.FLOAT32, Shape.of(1, 1, 1))) {
            assertThrows(UnsupportedOperationException.class, () -> s.scaleNoise(x, 1000f, x));
        }
    }
}

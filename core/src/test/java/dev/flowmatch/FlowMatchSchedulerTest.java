package dev.flowmatch;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Oracle;
import org.junit.jupiter.api.Test;

class FlowMatchSchedulerTest {
    private final JavaBackend backend = new JavaBackend();

    private static FlowMatchScheduler flux2(int steps) {
        FlowMatchScheduler s = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        s.setTimestepsWithMu(steps, 2.29);
        return s;
    }

    // ---- the seed's API ------------------------------------------------------------------------------------

    @Test
    void seedApiShapes() {
        FlowMatchScheduler s = flux2(4);
        assertEquals(4, s.numSteps());
        assertEquals(5, s.sigmas().length);
        assertEquals(4, s.timesteps().length);
        assertEquals(0f, s.sigmas()[4]);
        assertEquals(1000f, s.timestep(0));
        assertEquals(s.sigmas()[2] * 1000f, s.timestep(2));
        assertThrows(IndexOutOfBoundsException.class, () -> s.timestep(4));
    }

    @Test
    void muZeroMeansTheFixedShiftAsInTheSeed() {
        FlowMatchScheduler a = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        a.setTimestepsWithMu(4, 0);
        FlowMatchScheduler b = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        b.setTimesteps(4);
        FlowMatchScheduler fixed = new FlowMatchScheduler(
                SchedulerConfig.flux2Klein().toBuilder().useDynamicShifting(false).build());
        fixed.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.75, 0.5, 0.25));
        assertArrayEquals(fixed.sigmas(), a.sigmas());
        assertArrayEquals(fixed.sigmas(), b.sigmas());
        // shift 3 at t = 0.5: 1.5 / 2 = 0.75 exactly.
        assertEquals(0.75f, a.sigmas()[2]);
    }

    @Test
    void muZeroInTheDiffusersFormIsTheIdentityShift() {
        // diffusers: e^0 / (e^0 + (1/t - 1)) = t, so the custom sigmas come back unshifted (not the fixed shift 3).
        FlowMatchScheduler s = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        s.setTimesteps(ScheduleRequest.ofSigmas(1.0, 0.75, 0.5, 0.25).withMu(0.0));
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f, 0f}, s.sigmas());
    }

    @Test
    void diffusersApiNeedsMuWhenDynamic() {
        FlowMatchScheduler s = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.setTimesteps(ScheduleRequest.steps(4)));
        assertTrue(e.getMessage().contains("mu"), e.getMessage());
    }

    @Test
    void badArgumentsAreClearErrors() {
        FlowMatchScheduler s = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0));
        assertThrows(IllegalArgumentException.class, () -> s.setTimestepsWithMu(4, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> s.setShift(0));
        IllegalStateException before = assertThrows(IllegalStateException.class, s::sigmas);
        assertTrue(before.getMessage().contains("setTimesteps"));
    }

    // ---- step precision ------------------------------------------------------------------------------------

    @Test
    void fp32StepIsUpcastMultiplyAddRoundOnce() {
        // The expected value is built independently: exact decimal products and sums rounded once to
        // float32 (BigDecimal), then the Veltkamp split for bfloat16.
        FlowMatchScheduler s = flux2(4);
        int i = 0;
        float dt = s.sigmas()[i + 1] - s.sigmas()[i];
        s.setPrecision(Precision.FP32);
        try (Tensor x = backend.fromFloats(new float[] {1f}, DType.BFLOAT16, Shape.of(1));
             Tensor v = backend.fromFloats(new float[] {1.0078125f}, DType.BFLOAT16, Shape.of(1));
             Tensor out = s.step(v, x, i)) {
            float expected = Oracle.bf16(Oracle.add(1f, Oracle.mul(dt, 1.0078125f)));
            assertEquals(expected, backend.toFloats(out)[0]);
        }
    }

    @Test
    void bothPrecisionsMatchTheOracleOnRandomBf16Data() {
        FlowMatchScheduler s = flux2(8);
        float[] sigmas = s.sigmas();
        qt().forAll(integers().between(0, 7), floats().between(-8f, 8f), floats().between(-8f, 8f))
                .checkAssert((i, xRaw, vRaw) -> {
                    float x = Oracle.bf16OrZero(xRaw);
                    float v = Oracle.bf16OrZero(vRaw);
                    float dt = sigmas[i + 1] - sigmas[i];
                    float fp32 = Oracle.bf16OrZero(Oracle.add(x, Oracle.mul(dt, v)));
                    float diffusers = Oracle.bf16OrZero(
                            Oracle.add(x, Oracle.bf16OrZero(Oracle.mul(Oracle.bf16OrZero(dt), v))));
                    assertEquals(fp32, stepOne(s.setPrecision(Precision.FP32), x, v, i), () -> "FP32 i=" + i);
                    assertEquals(diffusers, stepOne(s.setPrecision(Precision.DIFFUSERS), x, v, i),
                            () -> "DIFFUSERS i=" + i);
                });
    }

    @Test
    void precisionsDifferOnSomeBf16Inputs() {
        // The two modes are not the same function: find a witness among a fixed grid.
        FlowMatchScheduler s = flux2(4);
        boolean differ = false;
        for (int k = 1; k < 2000 && !differ; k++) {
            float v = DType.BFLOAT16.round(k * 0.0137f);
            float a = stepOne(s.setPrecision(Precision.FP32), 0.3f, v, 0);
            float b = stepOne(s.setPrecision(Precision.DIFFUSERS), 0.3f, v, 0);
            differ = a != b;
        }
        assertTrue(differ);
    }

    private float stepOne(FlowMatchScheduler s, float x, float v, int i) {
        try (Tensor tx = backend.fromFloats(new float[] {x}, DType.BFLOAT16, Shape.of(1));
             Tensor tv = backend.fromFloats(new float[] {v}, DType.BFLOAT16, Shape.of(1));
             Tensor out = s.step(tv, tx, i)) {
            return backend.toFloats(out)[0];
        }
    }

    @Test
    void outputDtypeIsTheModelOutputDtype() {
        FlowMatchScheduler s = flux2(4);
        try (Tensor x = backend.fromFloats(new float[] {1, 2}, DType.FLOAT32, Shape.of(2));
             Tensor v = backend.fromFloats(new float[] {1, 2}, DType.FLOAT16, Shape.of(2));
             Tensor out = s.step(v, x, 0)) {
            assertEquals(DType.FLOAT16, out.dtype());
        }
    }

    // ---- diffusers' step-index rules -----------------------------------------------------------------------

    @Test
    void indexForTimestepTakesTheSecondMatch() {
        FlowMatchScheduler s = new FlowMatchScheduler(SchedulerConfig.defaults());
        s.setTimesteps(ScheduleRequest.ofTimesteps(1000, 500, 500, 250));
        assertEquals(0, s.indexForTimestep(1000f));
        assertEquals(2, s.indexForTimestep(500f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.indexForTimestep(123f));
        assertTrue(e.getMessage().contains("123"), e.getMessage());
    }

    @Test
    void diffusersFormAdvancesOnePerCallAndStopsAtTheEnd() {
        FlowMatchScheduler s = flux2(3);
        assertNull(s.stepIndex());
        try (Tensor x = backend.fromFloats(new float[] {0.5f}, DType.FLOAT32, Shape.of(1));
             Tensor v = backend.fromFloats(new float[] {1f}, DType.FLOAT32, Shape.of(1))) {
            float[] t = s.timesteps();
            // The first call looks its index up from the timestep (t[1]); later calls ignore the timestep.
            s.step(v, t[1], x).close();
            assertEquals(2, s.stepIndex());
            s.step(v, t[0], x).close();
            assertEquals(3, s.stepIndex());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.step(v, t[0], x));
            assertTrue(e.getMessage().contains("step index 3"), e.getMessage());
        }
    }

    @Test
    void setTimestepsResetsIndices() {
        FlowMatchScheduler s = flux2(3);
        s.setBeginIndex(1);
        assertEquals(1, s.beginIndex());
        s.setTimestepsWithMu(3, 2.0);
        assertNull(s.beginIndex());
        assertNull(s.stepIndex());
        assertThrows(IllegalArgumentException.class, () -> s.setBeginIndex(3));
    }

    @Test
    void stepIndexOutOfRangeIsAnError() {
        FlowMatchScheduler s = flux2(2);
        try (Tensor x = backend.fromFloats(new float[] {0.5f}, DType.FLOAT32, Shape.of(1))) {
            assertThrows(IllegalArgumentException.class, () -> s.step(x, x, 2));
            assertThrows(IllegalArgumentException.class, () -> s.step(x, x, -1));
        }
    }

    @Test
    void mismatchedOrClosedTensorsAreErrorsNamingBothSides() {
        FlowMatchScheduler s = flux2(2);
        try (Tensor a = backend.fromFloats(new float[] {1, 2}, DType.FLOAT32, Shape.of(2));
             Tensor b = backend.fromFloats(new float[] {1, 2, 3}, DType.FLOAT32, Shape.of(3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.step(a, b, 0));
            assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[3]"), e.getMessage());
            Tensor closed = backend.fromFloats(new float[] {1, 2}, DType.FLOAT32, Shape.of(2));
            closed.close();
            IllegalStateException c = assertThrows(IllegalStateException.class, () -> s.step(closed, a, 0));
            assertTrue(c.getMessage().contains("closed"), c.getMessage());
            TensorBackend other = new JavaBackend();
            try (Tensor foreign = other.fromFloats(new float[] {1, 2}, DType.FLOAT32, Shape.of(2))) {
                assertThrows(IllegalArgumentException.class, () -> s.step(foreign, a, 0));
            }
        }
    }

    // ---- scale_noise and stochastic sampling ---------------------------------------------------------------

    @Test
    void scaleNoiseFollowsDiffusersIndexRules() {
        FlowMatchScheduler s = flux2(4);
        float[] sigmas = s.sigmas();
        try (Tensor sample = backend.fromFloats(new float[] {2f}, DType.FLOAT32, Shape.of(1));
             Tensor noise = backend.fromFloats(new float[] {-1f}, DType.FLOAT32, Shape.of(1))) {
            // No begin index: looked up from the timestep.
            assertEquals(Oracle.add(Oracle.mul(sigmas[2], -1f), Oracle.mul(1f - sigmas[2], 2f)),
                    scaled(s, sample, s.timestep(2), noise));
            // Begin index set, no step yet: the begin index, whatever the timestep.
            s.setBeginIndex(1);
            assertEquals(Oracle.add(Oracle.mul(sigmas[1], -1f), Oracle.mul(1f - sigmas[1], 2f)),
                    scaled(s, sample, s.timestep(3), noise));
        }
    }

    @Test
    void scaleNoiseInBf16RoundsEveryOperationAsTorchDoes() {
        FlowMatchScheduler s = flux2(4);
        float sigma = s.sigmas()[1];
        try (Tensor sample = backend.fromFloats(new float[] {0.7f}, DType.BFLOAT16, Shape.of(1));
             Tensor noise = backend.fromFloats(new float[] {-1.3f}, DType.BFLOAT16, Shape.of(1));
             Tensor out = s.scaleNoise(sample, s.timestep(1), noise)) {
            float sb = Oracle.bf16(sigma);
            float x = Oracle.bf16(0.7f);
            float n = Oracle.bf16(-1.3f);
            float expected = Oracle.bf16(Oracle.add(Oracle.bf16(Oracle.mul(sb, n)),
                    Oracle.bf16(Oracle.mul(Oracle.bf16(1f - sb), x))));
            assertEquals(DType.BFLOAT16, out.dtype());
            assertEquals(expected, backend.toFloats(out)[0]);
        }
    }

    private float scaled(FlowMatchScheduler s, Tensor sample, float t, Tensor noise) {
        try (Tensor out = s.scaleNoise(sample, t, noise)) {
            return backend.toFloats(out)[0];
        }
    }

    @Test
    void stochasticStepRenoisesWithTheGivenNoise() {
        FlowMatchScheduler s = new FlowMatchScheduler(
                SchedulerConfig.flux2Klein().toBuilder().stochasticSampling(true).build());
        s.setTimestepsWithMu(4, 2.29);
        float[] sigmas = s.sigmas();
        float noiseValue = 0.25f;
        NoiseSource constant = (b, shape, dtype) -> b.fromFloats(new float[] {noiseValue}, dtype, shape);
        try (Tensor x = backend.fromFloats(new float[] {0.5f}, DType.FLOAT32, Shape.of(1));
             Tensor v = backend.fromFloats(new float[] {1.5f}, DType.FLOAT32, Shape.of(1))) {
            assertThrows(IllegalStateException.class, () -> s.step(v, s.timestep(0), x));
            try (Tensor out = s.step(v, s.timestep(0), x, constant)) {
                float x0 = Oracle.add(0.5f, Oracle.mul(-sigmas[0], 1.5f));
                float expected = Oracle.add(Oracle.mul(1f - sigmas[1], x0), Oracle.mul(sigmas[1], noiseValue));
                assertEquals(expected, backend.toFloats(out)[0]);
                assertNotEquals(0.5f + (sigmas[1] - sigmas[0]) * 1.5f, expected);
            }
        }
    }
}

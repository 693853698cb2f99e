package dev.flowmatch.conformance;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.schedule.Shifts;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Generators;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Schedule, shift and empirical-mu properties, each run per backend: the schedule is computed in core, placed
 * on the backend, and its timesteps computed there ({@code T * sigma}); what the backend reads back must keep
 * every property and equal core's values bit for bit.
 */
class ScheduleConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    /** The schedule's sigmas as the backend holds them, and the timesteps the backend computes from them. */
    private static float[][] onBackend(TensorBackend backend, Schedule schedule, int numTrainTimesteps) {
        float[] sigmas = schedule.sigmas();
        float[] head = Arrays.copyOf(sigmas, sigmas.length - 1);
        try (Tensor s = backend.fromFloats(sigmas, DType.FLOAT32, Shape.of(sigmas.length));
             Tensor h = backend.fromFloats(head, DType.FLOAT32, Shape.of(head.length));
             Tensor t = backend.affine(numTrainTimesteps, h, 0f, h, AffineSpec.float32(DType.FLOAT32))) {
            return new float[][] {backend.toFloats(s), backend.toFloats(t)};
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sigmasAreNonIncreasingInUnitIntervalEndAtZeroAndTimestepsAreSigmaTimesT(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(Generators.configs(), integers().between(2, 60), doubles().between(-3, 4), booleans().all())
                .checkAssert((c, n, mu, custom) -> {
                    ScheduleRequest r = custom ? ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(n)) : ScheduleRequest.steps(n);
                    Schedule schedule = Schedules.compute(c, c.useDynamicShifting() ? r.withMu(Generators.muFor(c, mu)) : r);
                    float[][] held = onBackend(backend, schedule, c.numTrainTimesteps());
                    float[] sigmas = held[0];
                    assertArrayEquals(schedule.sigmas(), sigmas);
                    assertArrayEquals(schedule.timesteps(), held[1]);
                    assertEquals(0f, sigmas[n]);
                    for (int i = 0; i < n; i++) {
                        assertTrue(sigmas[i] >= sigmas[i + 1], () -> "not non-increasing: " + schedule);
                        // The reference itself can land a few float32 ulps above 1 (see SchedulePropertiesTest).
                        assertTrue(sigmas[i] >= 0 && sigmas[i] <= 1 + slack(c), () -> "outside [0, 1]: " + schedule);
                        assertEquals(sigmas[i] * c.numTrainTimesteps(), held[1][i]);
                    }
                });
    }

    /**
     * How far above 1 the reference's own rounding can put a sigma: a few float32 ulps, amplified by
     * {@code 1 / scale} when {@code shift_terminal} stretches the schedule (a first sigma one ulp above 1, as the
     * float32 fixed shift can give, becomes {@code 1 + ulp / scale}).
     */
    static float slack(SchedulerConfig c) {
        return c.shiftTerminal() == null ? 1e-6f : 1e-4f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void invertedSchedulesAreNonDecreasingToOne(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(doubles().between(0.2, 12), integers().between(1, 60)).checkAssert((shift, n) -> {
            SchedulerConfig c = SchedulerConfig.builder().shift(shift).invertSigmas(true).build();
            Schedule schedule = Schedules.compute(c, ScheduleRequest.steps(n));
            float[][] held = onBackend(backend, schedule, c.numTrainTimesteps());
            assertEquals(1f, held[0][n]);
            for (int i = 0; i < n; i++) {
                assertTrue(held[0][i] <= held[0][i + 1], () -> "not non-decreasing: " + schedule);
                assertEquals(held[0][i] * 1000f, held[1][i]);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void shiftIdentitiesAndMonotonicity(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(doubles().between(0.1, 12), doubles().between(0, 3), integers().between(2, 50))
                .checkAssert((shift, delta, n) -> {
                    float[] base = new float[n];
                    double[] pipeline = Flux2.pipelineSigmas(n);
                    for (int i = 0; i < n; i++) {
                        base[i] = (float) pipeline[i];
                    }
                    float[] fixed = new float[n], more = new float[n], exponential = new float[n], linear = new float[n];
                    for (int i = 0; i < n; i++) {
                        fixed[i] = Shifts.fixed(shift, base[i]);
                        more[i] = (float) Shifts.fixed(shift + delta, (double) base[i]);
                        exponential[i] = Shifts.exponential(Math.log(shift), base[i]);
                        linear[i] = Shifts.linear(shift, base[i]);
                        // shift 1 is the identity; exponential with mu = ln(shift) and linear with mu = shift are
                        // the fixed shift up to float32 rounding; a larger shift never lowers a sigma.
                        assertEquals(base[i], Shifts.fixed(1.0, base[i]));
                        // 1 + (s - 1) t cancels for small s: rounding errors grow like 1 / s.
                        float tolerance = 8 * Math.ulp(fixed[i]) * (float) Math.max(1, 1 / shift);
                        assertEquals(fixed[i], exponential[i], tolerance);
                        assertEquals(fixed[i], linear[i], tolerance);
                        assertTrue(more[i] >= (float) Shifts.fixed(shift, (double) base[i]));
                    }
                    try (Tensor t = backend.fromFloats(fixed, DType.FLOAT32, Shape.of(n))) {
                        float[] held = backend.toFloats(t);
                        for (int i = 0; i + 1 < n; i++) {
                            assertTrue(held[i] >= held[i + 1], "shifted sigmas stay non-increasing");
                        }
                    }
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void empiricalMuIsLinearInStepsBelow4300AndConstantAbove(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(integers().between(1, 20_000), integers().between(1, 100), integers().between(1, 100))
                .checkAssert((len, a, b) -> {
                    double muA = Flux2.computeEmpiricalMu(len, a);
                    double muB = Flux2.computeEmpiricalMu(len, b);
                    if (len > 4300) {
                        assertEquals(muA, muB, 0.0);
                    } else {
                        // mu(steps) is a line: the midpoint of two step counts has the mean mu.
                        // mu is a line in the step count: mu(2a) + mu(2b) = 2 mu(a + b).
                        double ends = Flux2.computeEmpiricalMu(len, 2 * a) + Flux2.computeEmpiricalMu(len, 2 * b);
                        assertEquals(2 * Flux2.computeEmpiricalMu(len, a + b), ends, 1e-9);
                    }
                });
    }
}

package dev.flowmatch.schedule;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import dev.flowmatch.testing.Generators;

/** Properties of the pure schedule math, over random configs, step counts, shifts and mu. */
class SchedulePropertiesTest {

    @Test
    void sigmasAreNonIncreasingInUnitIntervalWithTerminalZero() {
        qt().forAll(Generators.configs(), integers().between(1, 60), doubles().between(-3, 4), booleans().all())
                .checkAssert((c, n, rawMu, custom) -> {
                    ScheduleRequest r = custom ? ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(n))
                            : ScheduleRequest.steps(n);
                    ScheduleRequest call = c.useDynamicShifting() ? r.withMu(Generators.muFor(c, rawMu)) : r;
                    Schedule s;
                    try {
                        s = Schedules.compute(c, call);
                    } catch (IllegalArgumentException e) {
                        // Only a one-step schedule whose sigma is 1 cannot be stretched to shift_terminal
                        // (diffusers divides by zero and returns NaN): an error, never NaN sigmas.
                        assertTrue(n == 1 && c.shiftTerminal() != null, e::getMessage);
                        return;
                    }
                    float[] sigmas = s.sigmas();
                    assertEquals(n + 1, sigmas.length);
                    assertEquals(0f, sigmas[n]);
                    for (int i = 0; i < n; i++) {
                        assertTrue(sigmas[i] >= sigmas[i + 1], () -> "not non-increasing: " + s);
                        // In [0, 1] up to rounding: the reference itself can land a few ulps above 1 (for
                        // example pow(pow(max, 1/7), 7) in the Karras spacing, or (s - 1) + 1 != s).
                        assertTrue(sigmas[i] >= 0 && sigmas[i] <= 1 + slack(c), () -> "outside [0, 1]: " + s);
                        assertEquals(sigmas[i] * c.numTrainTimesteps(), s.timesteps()[i]);
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

    @Test
    void invertedSchedulesAreNonDecreasingToOne() {
        qt().forAll(doubles().between(0.2, 12), integers().between(1, 60)).checkAssert((shift, n) -> {
            SchedulerConfig c = SchedulerConfig.builder().shift(shift).invertSigmas(true).build();
            Schedule s = Schedules.compute(c, ScheduleRequest.steps(n));
            float[] sigmas = s.sigmas();
            assertEquals(1f, sigmas[n]);
            for (int i = 0; i < n; i++) {
                assertTrue(sigmas[i] <= sigmas[i + 1], () -> "not non-decreasing: " + s);
                assertEquals(sigmas[i] * 1000f, s.timesteps()[i]);
            }
        });
    }

    @Test
    void shiftOneIsTheIdentity() {
        qt().forAll(doubles().between(0, 1)).checkAssert(t -> {
            assertEquals(t, Shifts.fixed(1.0, t), 0.0);
            assertEquals((float) (double) t, Shifts.fixed(1.0, (float) (double) t));
        });
    }

    @Test
    void exponentialShiftWithLogShiftIsTheFixedShift() {
        // e^ln(s) / (e^ln(s) + 1/t - 1) = s t / (1 + (s - 1) t): equal up to rounding.
        qt().forAll(doubles().between(0.1, 20), doubles().between(1e-3, 1)).checkAssert((shift, t) ->
                assertEquals(Shifts.fixed(shift, t), Shifts.exponential(Math.log(shift), t), 1e-12));
    }

    @Test
    void linearShiftWithShiftEqualsTheFixedShift() {
        qt().forAll(doubles().between(0.1, 20), doubles().between(1e-3, 1)).checkAssert((shift, t) ->
                assertEquals(Shifts.fixed(shift, t), Shifts.linear(shift, t), 1e-12));
    }

    @Test
    void shiftsAreMonotoneInShiftMuAndT() {
        qt().forAll(doubles().between(0.1, 10), doubles().between(0, 5), doubles().between(1e-3, 0.999))
                .checkAssert((shift, delta, t) -> {
                    assertTrue(Shifts.fixed(shift + delta, t) >= Shifts.fixed(shift, t));
                    assertTrue(Shifts.exponential(shift - 5 + delta, t) >= Shifts.exponential(shift - 5, t));
                    assertTrue(Shifts.linear(shift + delta, t) >= Shifts.linear(shift, t));
                    double t2 = Math.min(1, t + delta / 10);
                    assertTrue(Shifts.fixed(shift, t2) >= Shifts.fixed(shift, t));
                    assertTrue(Shifts.exponential(shift, (float) t2) >= Shifts.exponential(shift, (float) (double) t));
                });
    }

    @Test
    void shiftsFixTheEndPoints() {
        qt().forAll(doubles().between(0.1, 10)).checkAssert(s -> {
            // A few ulps: s / (1 + (s - 1)) rounds twice, and (s - 1) + 1 need not give back s.
            assertEquals(1.0, Shifts.fixed(s, 1.0), 4 * Math.ulp(1.0));
            assertEquals(0.0, Shifts.fixed(s, 0.0), 0.0);
            assertEquals(1.0, Shifts.exponential(s, 1.0), 0.0);
            assertEquals(0.0, Shifts.exponential(s, 0.0), 0.0);
            assertEquals(1f, Shifts.linear(s, 1f));
        });
    }

    @Test
    void terminalStretchEndsAtShiftTerminal() {
        qt().forAll(integers().between(2, 50), doubles().between(0.01, 0.9), doubles().between(0.5, 3))
                .checkAssert((n, terminal, mu) -> {
                    SchedulerConfig c = SchedulerConfig.flux2Klein().toBuilder().shiftTerminal(terminal).build();
                    ScheduleRequest r = ScheduleRequest.steps(n).withMu(mu);
                    float[] sigmas = Schedules.compute(c, r).sigmas();
                    assertEquals(terminal, sigmas[n - 1], 1e-6);
                });
    }

    @Test
    void karrasExponentialAndBetaKeepTheEndPoints() {
        qt().forAll(integers().between(2, 50), doubles().between(0.001, 0.5), doubles().between(0.6, 1))
                .checkAssert((n, min, max) -> {
                    for (double[] s : new double[][] {Spacings.karras(min, max, n), Spacings.exponential(min, max, n),
                            Spacings.beta(min, max, n)}) {
                        assertEquals(max, s[0], 1e-12 * max);
                        assertEquals(min, s[n - 1], 1e-12);
                        for (int i = 0; i + 1 < n; i++) {
                            assertTrue(s[i] >= s[i + 1]);
                        }
                    }
                });
    }

    @Test
    void linspaceMatchesNumpyCornerCases() {
        assertEquals(1, Spacings.linspace(3, 7, 1).length);
        assertEquals(3.0, Spacings.linspace(3, 7, 1)[0]);
        assertEquals(0, Spacings.linspace(3, 7, 0).length);
        double[] y = Spacings.linspace(1.0, 0.25, 4);
        assertEquals(1.0, y[0]);
        assertEquals(0.75, y[1]);
        assertEquals(0.25, y[3]);
    }

    @Test
    void empiricalMuIsContinuousAt4300AndLinearInSteps() {
        // Above 4300 tokens mu does not depend on the step count.
        qt().forAll(integers().between(4301, 100_000), integers().between(1, 200), integers().between(1, 200))
                .checkAssert((len, a, b) -> assertEquals(Flux2.computeEmpiricalMu(len, a),
                        Flux2.computeEmpiricalMu(len, b), 0.0));
        // At 200 steps the interpolation returns the 200-step line.
        qt().forAll(integers().between(1, 4300)).checkAssert(len ->
                assertEquals(0.00016927 * len + 0.45666666, Flux2.computeEmpiricalMu(len, 200), 1e-12));
    }

    @Test
    void imageSeqLenAndLinearMu() {
        assertEquals(4096, Flux2.imageSeqLen(ImageSize.square(1024)));
        assertEquals(3072, Flux2.imageSeqLen(ImageSize.of(768, 1024)));
        assertEquals(4096, Flux2.imageSeqLen(ImageSize.of(1031, 1039)));
        assertEquals(20 * 30, Flux2.imageSeqLen(ImageSize.of(335, 490))); // floor(335/16) = 20, floor(490/16) = 30
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> Flux2.imageSeqLen(ImageSize.of(512, 8)));
        assertEquals("width: 8 must lie in [16, 16384] pixels", small.getMessage());
        small = assertThrows(IllegalArgumentException.class, () -> Flux2.imageSeqLen(ImageSize.of(15, 512)));
        assertEquals("height: 15 must lie in [16, 16384] pixels", small.getMessage());
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> Flux2.imageSeqLen(ImageSize.square(Integer.MAX_VALUE)));
        assertEquals("width: 2147483647 must lie in [16, 16384] pixels", huge.getMessage()); // Limits.MAX_IMAGE_SIDE
        SchedulerConfig c = SchedulerConfig.defaults();
        assertEquals(0.5, Flux2.linearMu(c, 256), 1e-15);
        assertEquals(1.15, Flux2.linearMu(c, 4096), 1e-15);
    }

    @Test
    void badRequestsAreClearErrors() {
        assertMessage(() -> ScheduleRequest.steps(0), "num_inference_steps: 0");
        assertMessage(() -> ScheduleRequest.ofSigmas(), "sigmas: must not be empty");
        assertMessage(() -> ScheduleRequest.ofSigmas(1.0, Double.NaN), "sigmas[1]: NaN");
        assertMessage(() -> ScheduleRequest.ofTimesteps(1000, Double.POSITIVE_INFINITY), "timesteps[1]: Infinity");
        assertMessage(() -> new ScheduleRequest(null, new double[] {1, 0.5}, null, new double[] {1000}),
                "same length");
        assertMessage(() -> new ScheduleRequest(3, new double[] {1, 0.5}, null, null), "num_inference_steps: 3");
        assertMessage(() -> new ScheduleRequest(null, null, null, null), "all three are absent");
        assertMessage(() -> ScheduleRequest.steps(4).withMu(Double.NaN), "mu: NaN");
        assertMessage(() -> Schedules.compute(SchedulerConfig.flux2Klein(), ScheduleRequest.steps(4)), "mu");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }
}

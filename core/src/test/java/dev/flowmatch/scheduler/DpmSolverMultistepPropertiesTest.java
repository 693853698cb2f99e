package dev.flowmatch.scheduler;

import static dev.flowmatch.testing.Properties.qt;
import static dev.flowmatch.testing.Properties.qtFew;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.AlgorithmType;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.BetaSchedule;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.FinalSigmasType;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.SolverType;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Properties of {@link DpmSolverMultistepScheduler} over random configs, step counts, shifts and seeds. */
class DpmSolverMultistepPropertiesTest {
    private static final JavaBackend BACKEND = new JavaBackend();
    private static final Shape SHAPE = Shape.of(1, 3, 7);

    /** Random flow-mode configs: every algorithm, order, solver type, final sigma and lower-order rule. */
    static Gen<DpmSolverMultistepConfig> configs() {
        Gen<Integer> orders = integers().between(1, 3);
        Gen<Boolean> flags = booleans().all();
        return orders.zip(flags, flags, flags, (order, sde, heun, zero) -> new int[] {order, sde ? 1 : 0,
                heun ? 1 : 0, zero ? 1 : 0}).zip(flags, flags, doubles().between(0.2, 12.0), (a, lof, eaf, shift) ->
                new DpmSolverMultistepConfig(1000, BetaSchedule.LINEAR, 0.0001, 0.02, null, a[0],
                        a[1] == 1 ? AlgorithmType.SDE_DPMSOLVER_PLUS_PLUS : AlgorithmType.DPMSOLVER_PLUS_PLUS,
                        a[2] == 1 ? SolverType.HEUN : SolverType.MIDPOINT, lof, eaf, shift,
                        a[3] == 1 ? FinalSigmasType.ZERO : FinalSigmasType.SIGMA_MIN, "linspace", false,
                        "exponential"));
    }

    @Test
    void sigmasDecreaseInsideTheUnitIntervalAndTimestepsAreTruncatedIntegers() {
        qt().forAll(configs(), integers().between(1, 300)).checkAssert((config, n) -> {
            DpmSolverMultistepScheduler s = new DpmSolverMultistepScheduler(
                    config.withAlgorithmType(AlgorithmType.DPMSOLVER_PLUS_PLUS));
            s.setTimesteps(ScheduleRequest.steps(n));
            float[] sigmas = s.sigmas();
            float[] timesteps = s.timesteps();
            assertEquals(n + 1, sigmas.length);
            assertEquals(n, timesteps.length);
            for (int i = 0; i < n; i++) {
                // The flow sigmas decrease; the sigma_min final sigma (from the DDPM betas) can lie above the last
                // of them for small shifts, as in diffusers, so only a zero final sigma is below them all.
                if (i < n - 1 || config.finalSigmasType() == FinalSigmasType.ZERO) {
                    assertTrue(sigmas[i] > sigmas[i + 1], () -> "not decreasing: " + Arrays.toString(sigmas));
                }
                assertTrue(sigmas[i] > 0 && sigmas[i] <= 1, () -> "outside (0, 1]: " + Arrays.toString(sigmas));
                assertEquals(Math.floor(timesteps[i]), timesteps[i]);
                assertTrue(timesteps[i] >= 0 && timesteps[i] < 1000);
                // sigma * 1000 truncated from the float64 sigma: within one of the float32 sigma's product
                assertTrue(Math.abs(timesteps[i] - Math.floor(sigmas[i] * 1000.0)) <= 1, () -> Arrays.toString(timesteps));
                if (i > 0) {
                    assertTrue(timesteps[i] <= timesteps[i - 1]);
                }
            }
            assertTrue(config.finalSigmasType() == FinalSigmasType.ZERO ? sigmas[n] == 0 : sigmas[n] > 0);
            // SDE-DPM-Solver++ on a last step that goes up (sigma_min above the last flow sigma) takes the square
            // root of a negative number: diffusers returns NaN there, flowmatch refuses the schedule.
            DpmSolverMultistepScheduler sde = new DpmSolverMultistepScheduler(
                    config.withAlgorithmType(AlgorithmType.SDE_DPMSOLVER_PLUS_PLUS));
            if (sigmas[n - 1] < sigmas[n]) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> sde.setTimesteps(ScheduleRequest.steps(n)));
                assertTrue(e.getMessage().startsWith("num_inference_steps: " + n), e.getMessage());
            } else {
                sde.setTimesteps(ScheduleRequest.steps(n));
                assertArrayEquals(sigmas, sde.sigmas());
            }
        });
    }

    /**
     * A run from the first timestep: the model is a fixed affine function of the sample, the generator (for the SDE
     * variant) {@code torch.Generator().manual_seed(seed)}. Returns the bits of every step's result.
     */
    private static int[][] run(DpmSolverMultistepScheduler s, int n, long seed, DType dtype, long dataSeed) {
        s.setTimesteps(ScheduleRequest.steps(n));
        TorchGenerator generator = new TorchGenerator(seed);
        int[][] out = new int[n][];
        Tensor base = new TorchGenerator(dataSeed).normal(BACKEND, SHAPE, DType.FLOAT32);
        Tensor x;
        try (Tensor start = new TorchGenerator(dataSeed + 1).normal(BACKEND, SHAPE, DType.FLOAT32)) {
            x = BACKEND.convert(start, dtype);
        }
        // v = (0.75 * x - 0.5 * base) in float32, rounded to the run's dtype
        Expr model = Expr.cast(Expr.sub(Expr.mul(Expr.scalar(0.75f), Expr.input(0), DType.FLOAT32),
                Expr.mul(Expr.scalar(0.5f), Expr.input(1), DType.FLOAT32), DType.FLOAT32), dtype);
        try (base) {
            for (int i = 0; i < n; i++) {
                try (Tensor v = BACKEND.elementwise(model, x, base); Tensor previous = x) {
                    x = s.step(v, s.timesteps()[i], previous, generator);
                }
                out[i] = BACKEND.toBits(x);
            }
        } finally {
            x.close();
        }
        return out;
    }

    // The runs below keep n <= 18 with flow_shift >= 0.2, where every last flow sigma is above sigma_min.

    @Test
    void setTimestepsResetsTheHistorySoARepeatedRunGivesTheSameBits() {
        qtFew(10).forAll(configs(), integers().between(1, 18), longs().between(0, 1L << 40), booleans().all())
                .checkAssert((config, n, seed, bf16) -> {
                    DType dtype = bf16 ? DType.BFLOAT16 : DType.FLOAT32;
                    try (DpmSolverMultistepScheduler fresh = new DpmSolverMultistepScheduler(config);
                         DpmSolverMultistepScheduler reused = new DpmSolverMultistepScheduler(config)) {
                        int[][] expected = run(fresh, n, seed, dtype, 3);
                        run(reused, Math.max(1, n - 1), seed + 1, dtype, 4); // leaves history and a step index behind
                        reused.setTimesteps(ScheduleRequest.steps(n + 2));
                        reused.setBeginIndex(1);
                        int[][] again = run(reused, n, seed, dtype, 3);
                        for (int i = 0; i < n; i++) {
                            assertArrayEquals(expected[i], again[i], "step " + i);
                        }
                    }
                });
    }

    @Test
    void theSameSeedGivesTheSameBitsAndAnotherSeedOtherBits() {
        qtFew(10).forAll(configs(), integers().between(2, 12), longs().between(0, 1L << 40)).checkAssert(
                (config, n, seed) -> {
                    DpmSolverMultistepConfig sde = config.withAlgorithmType(AlgorithmType.SDE_DPMSOLVER_PLUS_PLUS);
                    try (DpmSolverMultistepScheduler a = new DpmSolverMultistepScheduler(sde);
                         DpmSolverMultistepScheduler b = new DpmSolverMultistepScheduler(sde);
                         DpmSolverMultistepScheduler c = new DpmSolverMultistepScheduler(sde)) {
                        int[][] first = run(a, n, seed, DType.FLOAT32, 5);
                        int[][] second = run(b, n, seed, DType.FLOAT32, 5);
                        int[][] other = run(c, n, seed + 1, DType.FLOAT32, 5);
                        assertTrue(Arrays.deepEquals(first, second), "same seed, other bits");
                        // n >= 2: the first step lands on a sigma > 0, where the noise term is not zero.
                        assertFalse(Arrays.equals(first[0], other[0]), "another seed, same first step");
                    }
                });
    }
}

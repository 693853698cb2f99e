package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.Expr;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every mlx_array is freed: MLX's active memory (mlx_get_active_memory) stays flat over a long denoising loop,
 * and the graph stays lazy until someone reads or evaluates. These tests measure growth, never time.
 */
class MlxMemoryTest {
    private static final Shape LATENT = Shape.of(1, 4096, 128);
    private static final long LATENT_BYTES = 4096L * 128 * 4;

    @Test
    void tenThousandStepsLeaveActiveMemoryFlat() {
        MlxBackend mlx = MlxTests.backend();
        long openBefore = MlxTensor.OPEN.get();
        float[] ones = new float[LATENT.numelAsInt()];
        java.util.Arrays.fill(ones, 1f);
        AffineSpec spec = AffineSpec.float32(DType.FLOAT32);
        long baseline;
        long afterWarmup = 0;
        long maxDuring = 0;
        try (Tensor velocity = mlx.fromFloats(ones, DType.FLOAT32, LATENT)) {
            mlx.eval(velocity);
            baseline = mlx.memory().active();
            Tensor x = mlx.fromFloats(new float[ones.length], DType.FLOAT32, LATENT);
            for (int step = 1; step <= 10_000; step++) {
                Tensor next = mlx.affine(1f, x, -1e-4f, velocity, spec);
                x.close();
                x = next;
                mlx.eval(x); // as the model's forward pass would, consuming the latent
                long active = mlx.memory().active();
                maxDuring = Math.max(maxDuring, active);
                if (step == 100) {
                    afterWarmup = active;
                }
            }
            long atEnd = mlx.memory().active();
            float first = mlx.toFloats(x)[0];
            x.close();
            long afterClose = mlx.memory().active();
            System.out.printf("[mlx] 10,000 steps on %s float32: active memory %d B with v only, %d B after step "
                            + "100, %d B after step 10,000 (growth %d B), max %d B, %d B after closing x; x[0] = %s%n",
                    LATENT, baseline, afterWarmup, atEnd, atEnd - afterWarmup, maxDuring, afterClose, first);
            assertEquals(-1f, first, 1e-3f);
            assertTrue(atEnd - afterWarmup <= 0, "active memory grew by " + (atEnd - afterWarmup) + " bytes");
            assertTrue(maxDuring <= baseline + 3 * LATENT_BYTES, "max " + maxDuring + " with baseline " + baseline);
            assertEquals(baseline, afterClose, "closing the last step returns to the baseline");
        }
        assertEquals(openBefore, MlxTensor.OPEN.get(), "every tensor's handle was freed");
    }

    /**
     * A run cancelled mid-schedule leaves no tensor behind: the sampler closes the scheduler it made, which frees the
     * multistep history (DPM-Solver, UniPC) and Heun's first-order state that a finished run would have released.
     */
    @ParameterizedTest
    @EnumSource(SchedulerType.class)
    void aCancelledRunOfEverySchedulerFreesWhatItKept(SchedulerType type) {
        MlxBackend mlx = MlxTests.backend();
        String flowConfig = "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\","
                + " \"solver_order\": 3}";
        AtomicInteger calls = new AtomicInteger();
        Sampler sampler = Sampler.builder().numSteps(8).imageSeqLen(16)
                .scheduler(() -> Schedulers.fromConfig(Schedulers.parseJson(
                        type == SchedulerType.DPM_SOLVER_MULTISTEP || type == SchedulerType.UNIPC ? flowConfig : "{}"),
                        type))
                .cancelWhen(() -> calls.get() >= 3)
                .build();
        Expr velocity = Expr.mul(Expr.input(0), Expr.scalar(-0.5f), DType.FLOAT32);
        long openBefore = MlxTensor.OPEN.get();
        try (Tensor noise = mlx.fromFloats(new float[] {1f, -2f, 0.5f, 3f, -1f, 0.25f, 2f, -0.75f}, DType.FLOAT32,
                Shape.of(1, 2, 4))) {
            assertThrows(CancellationException.class, () -> sampler.run(noise, (x, t) -> {
                calls.incrementAndGet();
                return mlx.elementwise(velocity, x);
            }, new TorchGenerator(7)));
        }
        assertEquals(3, calls.get(), "the run was cancelled after three model calls (mid-step for Heun)");
        assertEquals(openBefore, MlxTensor.OPEN.get(), type + ": every tensor of the cancelled run was freed");
    }

    @Test
    void closingASchedulerFreesItsHistory() {
        MlxBackend mlx = MlxTests.backend();
        long openBefore = MlxTensor.OPEN.get();
        try (Scheduler dpm = Schedulers.fromConfig(Schedulers.parseJson("{\"use_flow_sigmas\": true,"
                + " \"prediction_type\": \"flow_prediction\"}"), SchedulerType.DPM_SOLVER_MULTISTEP);
             Tensor sample = mlx.fromFloats(new float[] {1f, 2f, 3f, 4f}, DType.FLOAT32, Shape.of(1, 4));
             Tensor v = mlx.fromFloats(new float[] {0.5f, -1f, 0.25f, 2f}, DType.FLOAT32, Shape.of(1, 4))) {
            dpm.setTimesteps(dev.flowmatch.schedule.ScheduleRequest.steps(6));
            try (Tensor next = dpm.step(v, dpm.timesteps()[0], sample)) {
                assertEquals(openBefore + 4, MlxTensor.OPEN.get(), "the step's result and the kept data prediction");
            }
            dpm.close();
            assertEquals(openBefore + 2, MlxTensor.OPEN.get(), "close() freed the history");
        }
        assertEquals(openBefore, MlxTensor.OPEN.get());
    }

    @Test
    void affineIsLazyAndAGraphOfStepsIsFreedAfterEvaluation() {
        MlxBackend mlx = MlxTests.backend();
        try (Tensor velocity = mlx.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT)) {
            mlx.eval(velocity);
            Tensor x = mlx.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT);
            mlx.eval(x);
            long before = mlx.memory().active();
            for (DType out : DType.values()) {
                AffineSpec spec = new AffineSpec(DType.FLOAT32, out, DType.FLOAT32, out);
                List<Tensor> steps = new ArrayList<>();
                Tensor current = x;
                for (int i = 0; i < 50; i++) {
                    current = mlx.affine(1f, current, 0.01f, velocity, spec);
                    steps.add(current);
                }
                // only the coefficients (4-byte scalar arrays) exist before evaluation, no step's data
                long lazy = mlx.memory().active() - before;
                assertTrue(lazy < 50 * 64, "50 lazy steps allocated " + lazy + " bytes before evaluation");
                mlx.eval(current);
                long evaluated = mlx.memory().active();
                assertTrue(evaluated > before, "evaluation computes the result");
                steps.forEach(Tensor::close);
                assertEquals(before, mlx.memory().active(), "closing every step frees the graph (" + out + ")");
            }
            x.close();
        }
    }

    /** The safety net: a tensor nobody closed is freed once it is garbage (bounded wait, not a timing). */
    @Test
    void theCleanerFreesTensorsNobodyClosed() throws InterruptedException {
        MlxBackend mlx = MlxTests.backend();
        long before = mlx.memory().active();
        forget(mlx);
        assertTrue(mlx.memory().active() >= before + LATENT_BYTES, "the forgotten tensor holds its memory");
        for (int i = 0; i < 100 && mlx.memory().active() >= before + LATENT_BYTES; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(mlx.memory().active() < before + LATENT_BYTES, "the Cleaner freed the forgotten tensor");
    }

    private static void forget(MlxBackend mlx) {
        Tensor t = mlx.fromFloats(new float[LATENT.numelAsInt()], DType.FLOAT32, LATENT);
        mlx.eval(t);
    }

    @Test
    void readingToTheHostLeavesNoCopyBehind() {
        MlxBackend mlx = MlxTests.backend();
        long before = mlx.memory().active();
        for (DType dtype : DType.values()) {
            try (Tensor t = mlx.fromFloats(new float[LATENT.numelAsInt()], dtype, LATENT);
                 Tensor c = mlx.convert(t, DType.FLOAT32)) {
                mlx.toBits(t);
                mlx.toFloats(c);
                mlx.nativeNormal(3, dtype, LATENT).close();
            }
        }
        assertEquals(before, mlx.memory().active());
    }
}

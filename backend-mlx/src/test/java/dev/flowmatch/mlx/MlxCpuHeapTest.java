package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On the CPU (Linux, glibc), the memory MLX frees stays in the process, so a bfloat16 step on a large latent does
 * not page-fault its intermediates back in every time ({@link dev.flowmatch.tensor.NativeHeap}). A count of page
 * faults, not a timing.
 */
class MlxCpuHeapTest {
    private static final Path STAT = Path.of("/proc/self/stat");

    @Test
    void bfloat16StepsOnALargeLatentDoNotFaultTheirIntermediatesInAgain() throws IOException, InterruptedException {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        assumeTrue(!runtime.gpu && Files.isReadable(STAT), "the CPU device on Linux");
        assumeTrue(runtime.cpuHeap.startsWith("glibc malloc keeps freed memory"), runtime.cpuHeap);
        Shape latent = Shape.of(1, 16384, 128);
        float[] values = new float[latent.numelAsInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 1000) / 250f - 2f;
        }
        AffineSpec diffusersStep = new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16);
        try (Tensor x = mlx.fromFloats(values, DType.BFLOAT16, latent);
             Tensor v = mlx.fromFloats(values, DType.BFLOAT16, latent)) {
            for (int i = 0; i < 3; i++) {
                step(mlx, x, v, diffusersStep);
            }
            // The count is the whole process's: let the java backend's background warm-ups (vector kernels, fused
            // loops of earlier tests in this JVM) finish first, or their allocations and compiled code count too
            // (a CI run saw 619 faults per step with nothing of mlx's changed).
            JavaBackend.awaitVectorKernels(2, TimeUnit.MINUTES);
            JavaBackend.awaitFusedLoops(2, TimeUnit.MINUTES);
            int steps = 10;
            long before = minorFaults();
            for (int i = 0; i < steps; i++) {
                step(mlx, x, v, diffusersStep);
            }
            double perStep = (minorFaults() - before) / (double) steps;
            System.out.printf("[mlx] bfloat16 step on %s: %.1f minor page faults per step%n", latent, perStep);
            // Without NativeHeap: about 7,000 per step here (28 MB of intermediates faulted in again).
            assertTrue(perStep < 500, perStep + " minor page faults per step");
        }
    }

    private static void step(MlxBackend mlx, Tensor x, Tensor v, AffineSpec spec) {
        try (Tensor out = mlx.affine(1f, x, -0.0326f, v, spec)) {
            mlx.evaluate(out);
        }
    }

    /** {@code minflt}, the 10th field of {@code /proc/self/stat} (the 8th after the command's closing parenthesis). */
    private static long minorFaults() throws IOException {
        String stat = Files.readString(STAT);
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    }
}

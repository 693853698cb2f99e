package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** NATIVE noise: MLX's random.normal with random.key(seed), as Ollama's MLX engine draws it. */
class MlxNoiseTest {

    @Test
    void sameSeedSameBitsDifferentSeedsDiffer() {
        MlxBackend mlx = MlxTests.backend();
        Shape shape = Shape.of(1, 128, 16, 16);
        for (DType dtype : DType.values()) {
            int[] a;
            int[] b;
            int[] c;
            try (Tensor t1 = mlx.nativeNormal(42, dtype, shape); Tensor t2 = mlx.nativeNormal(42, dtype, shape);
                 Tensor t3 = mlx.nativeNormal(43, dtype, shape)) {
                assertEquals(dtype, t1.dtype());
                assertEquals(shape, t1.shape());
                a = mlx.toBits(t1);
                b = mlx.toBits(t2);
                c = mlx.toBits(t3);
            }
            assertArrayEquals(a, b, "same seed, same bits");
            assertFalse(Arrays.equals(a, c), "different seeds differ");
        }
    }

    @Test
    void standardNormalMoments() {
        MlxBackend mlx = MlxTests.backend();
        try (Tensor t = mlx.nativeNormal(-7, DType.FLOAT32, Shape.of(1, 4096, 128))) { // negative seeds work
            float[] v = mlx.toFloats(t);
            double sum = 0;
            double squares = 0;
            for (float x : v) {
                assertTrue(Float.isFinite(x));
                sum += x;
                squares += (double) x * x;
            }
            double mean = sum / v.length;
            double variance = squares / v.length - mean * mean;
            // n = 524288: the standard error of the mean is 0.0014, of the variance 0.002
            assertEquals(0, mean, 0.01, "mean");
            assertEquals(1, variance, 0.015, "variance");
        }
    }

    /** The backend draws exactly what mlx_random_normal(shape, dtype, 0, 1, mlx_random_key(seed)) draws. */
    @Test
    void equalsTheMlxCallOllamaMakes() {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        long seed = 1234567890123L;
        int[] dims = {1, 128, 8, 8};
        MemorySegment direct;
        try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
            MemorySegment shape = arena.allocate(JAVA_INT, dims.length);
            MemorySegment.copy(dims, 0, shape, JAVA_INT, 0, dims.length);
            MemorySegment key = g.temp(g.c().randomKey(seed));
            direct = g.c().randomNormal(shape, dims.length, MlxC.MLX_BFLOAT16, key, g.stream());
        }
        try (MlxTensor expected = mlx.wrap(direct);
             Tensor actual = mlx.nativeNormal(seed, DType.BFLOAT16, Shape.of(1, 128, 8, 8))) {
            assertArrayEquals(mlx.toBits(expected), mlx.toBits(actual));
        } finally {
            runtime.free(direct);
        }
    }
}

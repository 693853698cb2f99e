package dev.flowmatch.conformance;

import static dev.flowmatch.testing.Properties.qt;
import static dev.flowmatch.testing.Properties.qtFew;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.noise.NoiseGenerator;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.Statistics;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reproducible noise on every backend: the same seed gives the same bits as on the java backend (and so on
 * every backend), different seeds differ, the values are standard normal, and the backend's own generator is
 * at least deterministic.
 */
class NoiseConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sameSeedSameBitsAsTheReference(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        qt().forAll(longs().all(), integers().between(0, 2), longs().all()).checkAssert((seed, dtype, shapeSeed) -> {
            DType d = Data.dtype(dtype);
            Shape shape = Data.shape(shapeSeed, 3000);
            try (Tensor expected = Noise.initNoise(reference, shape, seed, d);
                 Tensor actual = Noise.initNoise(backend, shape, seed, d)) {
                assertEquals(shape, actual.shape());
                assertEquals(d, actual.dtype());
                assertArrayEquals(reference.toBits(expected), backend.toBits(actual), () -> "seed " + seed);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void flux2LatentsAreTheSameOnEveryBackend(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        qtFew(10).forAll(longs().all(), integers().between(1, 2), integers().between(1, 8), integers().between(1, 8))
                .checkAssert((seed, batch, w, h) -> {
                    try (Tensor expected = Flux2Latents.initLatents(reference, batch, ImageSize.of(16 * h, 16 * w), seed, DType.BFLOAT16);
                         Tensor actual = Flux2Latents.initLatents(backend, batch, ImageSize.of(16 * h, 16 * w), seed, DType.BFLOAT16)) {
                        assertEquals(Shape.of(batch, w * h, 128), actual.shape());
                        assertArrayEquals(reference.toBits(expected), backend.toBits(actual));
                    }
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void differentSeedsDifferAndValuesAreStandardNormal(TensorBackend backend) {
        Conformance.use(backend);
        qtFew(10).forAll(longs().all(), integers().between(0, 2)).checkAssert((seed, dtype) -> {
            DType d = Data.dtype(dtype);
            Shape shape = Shape.of(4096);
            try (Tensor a = Noise.initNoise(backend, shape, seed, d);
                 Tensor b = Noise.initNoise(backend, shape, seed + 1, d)) {
                float[] values = backend.toFloats(a);
                assertFalse(java.util.Arrays.equals(backend.toBits(a), backend.toBits(b)), "seeds " + seed + ", +1");
                String problem = Statistics.notStandardNormal(values);
                assertTrue(problem == null, () -> problem + " (" + d + ", seed " + seed + ")");
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nativeNoiseIsDeterministicOrUnsupported(TensorBackend backend) {
        Conformance.use(backend);
        Shape shape = Shape.of(2, 300);
        for (DType d : DType.values()) {
            Tensor first;
            try {
                first = Noise.initNoise(backend, shape, 1234, d, NoiseGenerator.NATIVE);
            } catch (UnsupportedOperationException e) {
                assertTrue(e.getMessage().contains(backend.name()), e.getMessage());
                continue;
            }
            try (Tensor a = first; Tensor b = Noise.initNoise(backend, shape, 1234, d, NoiseGenerator.NATIVE)) {
                assertEquals(d, a.dtype());
                assertArrayEquals(backend.toBits(a), backend.toBits(b), "NATIVE noise, same seed, " + d);
            }
        }
    }

    /**
     * {@link NoiseGenerator#MLX} (MLX's {@code random.normal} computed in Java) gives the same bits on every
     * backend, and on the mlx backend it is exactly the backend's own generator ({@code NATIVE}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void mlxNoiseIsTheSameEverywhereAndIsMlxsOwn(TensorBackend backend) {
        Conformance.use(backend);
        TensorBackend reference = Conformance.reference();
        boolean mlx = backend.name().equals("mlx");
        qtFew(mlx ? 2 : 10).forAll(longs().all(), integers().between(0, 2), longs().all())
                .checkAssert((seed, dtype, shapeSeed) -> {
                    DType d = Data.dtype(dtype);
                    Shape shape = Data.shape(shapeSeed, 5000);
                    try (Tensor expected = Noise.initNoise(reference, shape, seed, d, NoiseGenerator.MLX);
                         Tensor actual = Noise.initNoise(backend, shape, seed, d, NoiseGenerator.MLX)) {
                        int[] bits = reference.toBits(expected);
                        assertArrayEquals(bits, backend.toBits(actual), () -> "seed " + seed + " " + shape + " " + d);
                        if (mlx) {
                            try (Tensor own = Noise.initNoise(backend, shape, seed, d, NoiseGenerator.NATIVE)) {
                                assertArrayEquals(bits, backend.toBits(own),
                                        () -> "mlx NATIVE, seed " + seed + " " + shape + " " + d);
                            }
                        }
                    }
                });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void badShapesAreClearErrors(TensorBackend backend) {
        Conformance.use(backend);
        assertThrows(IllegalArgumentException.class,
                () -> Noise.initNoise(backend, Shape.of(1L << 32, 1L << 32), 1, DType.FLOAT32));
        assertThrows(IllegalArgumentException.class,
                () -> Noise.initNoise(backend, Shape.of(Integer.MAX_VALUE, 4), 1, DType.BFLOAT16));
        try (Tensor empty = Noise.initNoise(backend, Shape.of(3, 0), 1, DType.FLOAT32)) {
            assertEquals(0, backend.toBits(empty).length);
        }
        // a backend's own generator is held to the same cap, checked before its engine allocates
        Shape huge = Shape.of(1L << 20, 128, 256, 256);
        boolean ownGenerator;
        try (Tensor small = backend.nativeNormal(1, DType.BFLOAT16, Shape.of(2))) {
            ownGenerator = true;
        } catch (UnsupportedOperationException none) {
            ownGenerator = false;
        }
        if (ownGenerator) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.nativeNormal(1, DType.BFLOAT16, huge));
            assertTrue(e.getMessage().startsWith("noise shape [1048576, 128, 256, 256] has"), e.getMessage());
        }
    }
}

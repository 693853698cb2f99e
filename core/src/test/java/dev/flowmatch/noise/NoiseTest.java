package dev.flowmatch.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.Limits;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Noise}: placement on a backend, the generator choice, shape checks and the element cap. */
class NoiseTest {
    private final JavaBackend backend = new JavaBackend();

    @AfterEach
    void clearCap() {
        System.clearProperty(Limits.MAX_ELEMENTS_PROPERTY);
    }

    @Test
    void torchCpuNoiseIsTheGeneratorsBitsOnTheBackend() {
        Shape shape = Shape.of(2, 3, 7);
        for (DType dtype : DType.values()) {
            try (Tensor t = Noise.initNoise(backend, shape, 42, dtype)) {
                assertSame(backend, t.backend());
                assertEquals(shape, t.shape());
                assertEquals(dtype, t.dtype());
                assertArrayEquals(new TorchGenerator(42).randnBits(shape, dtype), backend.toBits(t));
            }
            try (Tensor t = Noise.initNoise(backend, shape, 42, dtype, NoiseGenerator.TORCH_CPU)) {
                assertArrayEquals(new TorchGenerator(42).randnBits(shape, dtype), backend.toBits(t));
            }
        }
    }

    @Test
    void nativeNoiseAsksTheBackend() {
        assertThrows(UnsupportedOperationException.class,
                () -> Noise.initNoise(backend, Shape.of(4), 1, DType.FLOAT32, NoiseGenerator.NATIVE));
        long[] seen = new long[1];
        TensorBackend withGenerator = new Delegating(backend) {
            @Override
            public Tensor nativeNormal(long seed, DType dtype, Shape shape) {
                seen[0] = seed;
                return backend.fromFloats(new float[Math.toIntExact(shape.numel())], dtype, shape);
            }
        };
        try (Tensor t = Noise.initNoise(withGenerator, Shape.of(2, 2), 77, DType.FLOAT16, NoiseGenerator.NATIVE)) {
            assertEquals(77, seen[0]);
            assertEquals(Shape.of(2, 2), t.shape());
        }
        // zero elements: an empty tensor, without asking the backend
        try (Tensor t = Noise.initNoise(backend, Shape.of(0, 3), 1, DType.FLOAT32, NoiseGenerator.NATIVE)) {
            assertEquals(0, backend.toBits(t).length);
        }
    }

    @Test
    void zeroElementShapesGiveEmptyTensors() {
        for (Shape shape : new Shape[] {Shape.of(0), Shape.of(3, 0), Shape.of(0, 128, 64)}) {
            try (Tensor t = Noise.initNoise(backend, shape, 5, DType.BFLOAT16)) {
                assertEquals(shape, t.shape());
                assertEquals(0, backend.toBits(t).length);
            }
        }
    }

    @Test
    void aScalarShapeIsOneValue() {
        try (Tensor t = Noise.initNoise(backend, Shape.of(new long[0]), 5, DType.FLOAT32)) {
            assertArrayEquals(new TorchGenerator(5).randnBits(Shape.of(1), DType.FLOAT32), backend.toBits(t));
        }
    }

    @Test
    void badShapesAreRejectedClearly() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> Noise.initNoise(backend, Shape.of(2, -1), 0, DType.FLOAT32));
        assertTrue(negative.getMessage().contains("-1"), negative::getMessage);
        IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                () -> Noise.initNoise(backend, Shape.of(1L << 32, 1L << 32), 0, DType.FLOAT32));
        assertTrue(overflow.getMessage().contains("overflows"), overflow::getMessage);
        IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                () -> new TorchGenerator(0).randnBits(Shape.of(1L << 20, 1L << 20), DType.FLOAT32));
        assertTrue(huge.getMessage().contains(Limits.MAX_ELEMENTS_PROPERTY), huge::getMessage);
        assertThrows(IllegalArgumentException.class,
                () -> Flux2Latents.initLatents(backend, 1 << 20, ImageSize.square(4096), 0, DType.FLOAT32));
    }

    @Test
    void theCapIsConfigurable() {
        assertEquals(Limits.DEFAULT_MAX_ELEMENTS, Limits.maxElements());
        System.setProperty(Limits.MAX_ELEMENTS_PROPERTY, "1000");
        assertEquals(1000, Limits.maxElements());
        assertEquals(1000, new TorchGenerator(1).randnBits(Shape.of(10, 100), DType.FLOAT32).length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TorchGenerator(1).randnBits(Shape.of(1001), DType.FLOAT32));
        assertTrue(e.getMessage().contains("1001") && e.getMessage().contains("1000"), e::getMessage);
        System.setProperty(Limits.MAX_ELEMENTS_PROPERTY, "1_000_000_000_000");
        assertEquals(Limits.ARRAY_LIMIT, Limits.maxElements());
        System.setProperty(Limits.MAX_ELEMENTS_PROPERTY, "lots");
        assertThrows(IllegalArgumentException.class, Limits::maxElements);
        System.setProperty(Limits.MAX_ELEMENTS_PROPERTY, "0");
        assertThrows(IllegalArgumentException.class, Limits::maxElements);
    }

    @Test
    void buildsAreNamedAsTorchNamesThem() {
        assertEquals(TorchCpuKernel.AVX2, TorchCpuKernel.parse("avx2"));
        assertEquals(TorchCpuKernel.AVX2, TorchCpuKernel.parse("AVX512"));
        assertEquals(TorchCpuKernel.DEFAULT, TorchCpuKernel.parse("default"));
        assertEquals(TorchCpuKernel.DEFAULT, TorchCpuKernel.parse("sve256"));
        assertThrows(IllegalArgumentException.class, () -> TorchCpuKernel.parse("vsx"));
        assertEquals(TorchRelease.TORCH_1_13, TorchRelease.parse("1.13.0a0"));
        assertEquals(TorchRelease.TORCH_1_13, TorchRelease.parse("2.0.1+cpu"));
        assertEquals(TorchRelease.TORCH_2_7, TorchRelease.parse("2.1.0"));
        assertEquals(TorchRelease.TORCH_2_7, TorchRelease.parse("2.7.1"));
        assertEquals(TorchRelease.TORCH_1_13,
                TorchRelease.parse("diffusers FlowMatchEulerDiscreteScheduler (torch 1.13.0a0, numpy 1.24.2)"));
        assertEquals(TorchRelease.TORCH_2_7, TorchRelease.parse("torch_2_7"));
        assertThrows(IllegalArgumentException.class, () -> TorchRelease.parse("latest"));
        assertEquals(new TorchBuild(TorchCpuKernel.DEFAULT, TorchRelease.TORCH_1_13),
                TorchBuild.parse("default", "1.13.1"));
        assertEquals(TorchBuild.STANDARD, new TorchGenerator(0).build());
        assertEquals(new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_2_7), TorchBuild.STANDARD);
    }

    /** A backend that forwards everything to another one (to give it a native generator in a test). */
    private static class Delegating implements TensorBackend {
        private final TensorBackend inner;

        Delegating(TensorBackend inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return "delegating";
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public Availability availability() {
            return inner.availability();
        }

        @Override
        public Tensor fromFloats(float[] values, DType dtype, Shape shape) {
            return inner.fromFloats(values, dtype, shape);
        }

        @Override
        public Tensor fromBits(int[] bits, DType dtype, Shape shape) {
            return inner.fromBits(bits, dtype, shape);
        }

        @Override
        public float[] toFloats(Tensor tensor) {
            return inner.toFloats(tensor);
        }

        @Override
        public int[] toBits(Tensor tensor) {
            return inner.toBits(tensor);
        }

        @Override
        public Tensor convert(Tensor tensor, DType dtype) {
            return inner.convert(tensor, dtype);
        }

        @Override
        public Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec) {
            return inner.affine(a, x, b, y, spec);
        }
    }
}

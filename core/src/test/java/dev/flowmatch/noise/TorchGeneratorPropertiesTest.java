package dev.flowmatch.noise;

import static dev.flowmatch.testing.Properties.qt;
import static dev.flowmatch.testing.Properties.qtFew;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.arbitrary;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.Arrays;
import dev.flowmatch.testing.Statistics;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Properties of {@link TorchGenerator}: determinism, seeds, the stream as torch defines it, and statistics. */
class TorchGeneratorPropertiesTest {

    static Gen<DType> dtypes() {
        return arbitrary().enumValues(DType.class);
    }

    static Gen<TorchBuild> builds() {
        return arbitrary().enumValues(TorchCpuKernel.class).zip(arbitrary().enumValues(TorchRelease.class),
                TorchBuild::new);
    }

    /** Sizes around the paths' edges: small (double path), 16 and its neighbours, multi-block with and without tail. */
    static Gen<Integer> sizes() {
        return arbitrary().pick(0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 1000, 1024, 4099)
                .mix(integers().between(0, 3000));
    }

    @Test
    void sameSeedGivesIdenticalBitsOnEveryCall() {
        JavaBackend backend = new JavaBackend();
        qt().forAll(longs().all(), sizes(), dtypes(), builds()).checkAssert((seed, n, dtype, build) -> {
            Shape shape = Shape.of(n);
            int[] a = new TorchGenerator(seed, build).randnBits(shape, dtype);
            int[] b = new TorchGenerator(seed, build).randnBits(shape, dtype);
            assertArrayEquals(a, b);
            try (Tensor t = Noise.initNoise(backend, shape, seed, dtype, build)) {
                assertArrayEquals(a, backend.toBits(t));
                assertEquals(dtype, t.dtype());
                assertEquals(shape, t.shape());
            }
        });
    }

    @Test
    void onlyTheLow32BitsOfTheSeedMatter() {
        // at::mt19937 keeps seed & 0xffffffff; initial_seed() keeps all 64 bits (negative = Python's 2^64 + seed)
        qt().forAll(longs().all(), integers().between(1, Integer.MAX_VALUE), sizes(), dtypes())
                .checkAssert((seed, high, n, dtype) -> {
                    long other = seed + ((long) high << 32);
                    TorchGenerator a = new TorchGenerator(seed);
                    TorchGenerator b = new TorchGenerator(other);
                    assertArrayEquals(a.randnBits(Shape.of(n), dtype), b.randnBits(Shape.of(n), dtype));
                    assertEquals(seed, a.initialSeed());
                    assertEquals(other, b.initialSeed());
                });
        assertEquals("18446744073709551615", Long.toUnsignedString(new TorchGenerator(-1).initialSeed()));
    }

    @Test
    void differentSeedsDiffer() {
        qt().forAll(longs().all(), longs().all(), dtypes(), arbitrary().pick(16, 40, 1000))
                .assuming((a, b, dtype, n) -> (int) (long) a != (int) (long) b)
                .checkAssert((a, b, dtype, n) -> assertFalse(Arrays.equals(
                        new TorchGenerator(a).randnBits(Shape.of(n), dtype),
                        new TorchGenerator(b).randnBits(Shape.of(n), dtype))));
    }

    @Test
    void meanVarianceAndDistributionAreStandardNormal() {
        // 4096 values per example; bounds at about 6 standard errors (mean, variance) and alpha = 1e-6 (KS), so a
        // correct generator essentially never fails, while a wrong transform or a biased stream does.
        qtFew(10).forAll(longs().all(), dtypes(), builds()).checkAssert((seed, dtype, build) -> {
            float[] x = new TorchGenerator(seed, build).randn(Shape.of(4096), dtype);
            String problem = Statistics.notStandardNormal(x);
            assertTrue(problem == null, () -> problem + " for " + dtype);
        });
    }

    @Test
    void smallDrawsConcatenate() {
        // Below 16 elements every value comes from normal_distribution<double>, pairs cached across calls:
        // randn(a) then randn(b) is randn(a + b), split.
        qt().forAll(longs().all(), integers().between(0, 15), integers().between(0, 1 << 20), dtypes())
                .checkAssert((seed, a, raw, dtype) -> {
                    int b = raw % (16 - a); // a + b <= 15
                    TorchGenerator split = new TorchGenerator(seed);
                    int[] first = split.randnBits(Shape.of(a), dtype);
                    int[] second = split.randnBits(Shape.of(b), dtype);
                    int[] whole = new TorchGenerator(seed).randnBits(Shape.of(a + b), dtype);
                    assertArrayEquals(Arrays.copyOfRange(whole, 0, a), first);
                    assertArrayEquals(Arrays.copyOfRange(whole, a, a + b), second);
                });
    }

    @Test
    void theCachedNormalOutlivesBlockDraws() {
        // normal_fill never touches next_double_normal_sample_: an odd small draw leaves its sine half for the next
        // small draw, whatever large draws come between.
        qt().forAll(longs().all(), integers().between(16, 3000), dtypes(), dtypes()).checkAssert((seed, n, d1, d2) -> {
            TorchGenerator g = new TorchGenerator(seed);
            g.randnBits(Shape.of(1), DType.FLOAT32);
            g.randnBits(Shape.of(n), d1);
            int[] last = g.randnBits(Shape.of(1), d2);
            float[] pair = new TorchGenerator(seed).randn(Shape.of(2), d2);
            assertEquals(d2.floatToBits(pair[1]), last[0]);
        });
    }

    @Test
    void drawsConsumeTheWordsTorchConsumes() {
        // normal_fill: one word per element, plus 16 to recompute a partial last block; normal_distribution<double>:
        // two random64() (four words) per pair of values.
        qt().forAll(longs().all(), sizes(), dtypes(), builds()).checkAssert((seed, n, dtype, build) -> {
            TorchGenerator g = new TorchGenerator(seed, build);
            TorchGenerator words = new TorchGenerator(seed, build);
            g.randnBits(Shape.of(n), dtype);
            int consumed = n >= 16 ? n + (n % 16 == 0 ? 0 : 16) : 4 * ((n + 1) / 2);
            for (int i = 0; i < consumed; i++) {
                words.random();
            }
            assertEquals(words.random(), g.random());
            int hi = words.random();
            int lo = words.random();
            assertEquals(((long) hi << 32) | (lo & 0xffffffffL), g.random64());
        });
    }

    @Test
    void zeroElementShapesDrawNothing() {
        TorchGenerator g = new TorchGenerator(3);
        assertEquals(0, g.randnBits(Shape.of(0), DType.FLOAT32).length);
        assertEquals(0, g.randnBits(Shape.of(4, 0, 2), DType.BFLOAT16).length);
        assertEquals(new TorchGenerator(3).random(), g.random());
    }

    @Test
    void kernelsDifferOnlyInLastBitsAndDrawTheSameWords() {
        qtFew(4).forAll(longs().all(), sizes()).checkAssert((seed, n) -> {
            TorchGenerator avx2 = new TorchGenerator(seed, TorchBuild.of(TorchCpuKernel.AVX2));
            TorchGenerator portable = new TorchGenerator(seed, TorchBuild.of(TorchCpuKernel.DEFAULT));
            float[] a = avx2.randn(Shape.of(n), DType.FLOAT32);
            float[] b = portable.randn(Shape.of(n), DType.FLOAT32);
            for (int i = 0; i < n; i++) {
                assertEquals(a[i], b[i], 1e-5f, "element " + i);
            }
            assertEquals(avx2.random(), portable.random());
            for (DType dtype : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                assertArrayEquals(avx2.randnBits(Shape.of(n), dtype), portable.randnBits(Shape.of(n), dtype));
            }
        });
    }

    @Test
    void releasesDifferOnlyInFloat16Blocks() {
        qtFew(4).forAll(longs().all(), sizes(), dtypes()).checkAssert((seed, n, dtype) -> {
            int[] old = new TorchGenerator(seed, new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_1_13))
                    .randnBits(Shape.of(n), dtype);
            int[] now = new TorchGenerator(seed, TorchBuild.STANDARD).randnBits(Shape.of(n), dtype);
            if (dtype != DType.FLOAT16 || n < 16) {
                assertArrayEquals(old, now);
            }
        });
    }

    @Test
    void manualSeedRestartsTheStreamAndForgetsTheCachedNormal() {
        qt().forAll(longs().all(), longs().all(), sizes(), dtypes()).checkAssert((first, seed, n, dtype) -> {
            TorchGenerator g = new TorchGenerator(first);
            g.randnBits(Shape.of(3), DType.FLOAT32); // leaves a cached normal
            g.manualSeed(seed);
            assertEquals(seed, g.initialSeed());
            assertArrayEquals(new TorchGenerator(seed).randnBits(Shape.of(n), dtype), g.randnBits(Shape.of(n), dtype));
        });
    }

    @Test
    void copiesAreIndependent() {
        TorchGenerator g = new TorchGenerator(9);
        g.randnBits(Shape.of(5), DType.FLOAT32);
        TorchGenerator c = g.copy();
        int[] fromCopy = c.randnBits(Shape.of(33), DType.FLOAT16);
        int[] fromOriginal = g.randnBits(Shape.of(33), DType.FLOAT16);
        assertArrayEquals(fromOriginal, fromCopy);
        assertNotEquals(g.random(), new TorchGenerator(9).random());
    }

    @Test
    void asNoiseSourceItContinuesTheStream() {
        JavaBackend backend = new JavaBackend();
        NoiseSource source = new TorchGenerator(21);
        TorchGenerator reference = new TorchGenerator(21);
        for (int n : new int[] {7, 64, 3, 100}) {
            try (Tensor t = source.normal(backend, Shape.of(n), DType.BFLOAT16)) {
                assertArrayEquals(reference.randnBits(Shape.of(n), DType.BFLOAT16), backend.toBits(t));
            }
        }
    }
}

package dev.flowmatch.mlx;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Random shapes, dtypes, coefficients, data and {@link AffineSpec}s: the {@code mlx} backend against the
 * reference {@code java} backend, bit for bit. Data includes zeros, subnormals, infinities and NaNs; a NaN that
 * arithmetic produced is compared as "NaN" (its payload is not specified by IEEE 754 nor by flowmatch's
 * contract), every other value by its bits.
 */
class MlxAffinePropertiesTest {
    private static final DType[] DTYPES = DType.values();
    private static final AtomicLong NAN_RESULTS = new AtomicLong();
    private static final AtomicLong CASES = new AtomicLong();
    private static final AtomicLong ELEMENTS = new AtomicLong();

    private MlxBackend mlx;
    private JavaBackend java;

    @BeforeEach
    void setUp() {
        mlx = MlxTests.backend();
        java = MlxTests.reference();
    }

    @Test
    void affineEqualsTheReferenceBitForBit() {
        qt().forAll(longs().all(), integers().between(0, 80), integers().between(0, 8), integers().between(0, 5))
                .checkAssert((seed, specIndex, inputIndex, shapeKind) -> {
                    AffineSpec spec = new AffineSpec(DTYPES[specIndex % 3], DTYPES[specIndex / 3 % 3],
                            DTYPES[specIndex / 9 % 3], DTYPES[specIndex / 27 % 3]);
                    SplittableRandom random = new SplittableRandom(seed);
                    Shape shape = shape(random, shapeKind);
                    DType dx = DTYPES[inputIndex % 3];
                    DType dy = DTYPES[inputIndex / 3];
                    float[] xs = values(random, shape.numelAsInt());
                    float[] ys = values(random, shape.numelAsInt());
                    float a = coefficient(random);
                    float b = coefficient(random);
                    checkAffine(a, xs, dx, b, ys, dy, shape, spec);
                });
        System.out.println("[mlx] affine properties: " + CASES.get() + " cases, " + ELEMENTS.get() + " elements equal "
                + "to the java backend's, " + NAN_RESULTS.get() + " of them NaNs made by arithmetic (compared as NaN)");
    }

    /** The two step forms the scheduler uses, on the FLUX.2 latent shape and every dtype. */
    @Test
    void stepFormsOnALatentShape() {
        Shape shape = Shape.of(1, 256, 128);
        SplittableRandom random = new SplittableRandom(7);
        for (DType dtype : DTYPES) {
            float[] sample = values(random, shape.numelAsInt());
            float[] velocity = values(random, shape.numelAsInt());
            float dt = -0.0463f;
            // FP32: x + dt*v in float32, rounded once to the output dtype.
            checkAffine(1f, sample, dtype, dt, velocity, dtype, shape, AffineSpec.float32(dtype));
            // DIFFUSERS: dt*v rounded to the model output's dtype, summed in float32, rounded to it.
            checkAffine(1f, sample, dtype, dt, velocity, dtype, shape,
                    new AffineSpec(DType.FLOAT32, dtype, DType.FLOAT32, dtype));
        }
    }

    @Test
    void convertEqualsTheReference() {
        qt().forAll(longs().all(), integers().between(0, 8), integers().between(0, 5))
                .checkAssert((seed, dtypes, shapeKind) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    Shape shape = shape(random, shapeKind);
                    DType from = DTYPES[dtypes % 3];
                    DType to = DTYPES[dtypes / 3];
                    int[] bits = randomBits(random, shape.numelAsInt(), from);
                    try (Tensor m = mlx.fromBits(bits, from, shape); Tensor j = java.fromBits(bits, from, shape);
                         Tensor mc = mlx.convert(m, to); Tensor jc = java.convert(j, to)) {
                        assertEquals(to, mc.dtype());
                        assertEquals(shape, mc.shape());
                        assertArrayEquals(java.toBits(jc), mlx.toBits(mc), () -> from + " -> " + to);
                    }
                });
    }

    @Test
    void hostDataRoundTripsExactly() {
        qt().forAll(longs().all(), integers().between(0, 2), integers().between(0, 5))
                .checkAssert((seed, d, shapeKind) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    Shape shape = shape(random, shapeKind);
                    DType dtype = DTYPES[d];
                    int[] bits = randomBits(random, shape.numelAsInt(), dtype);
                    try (Tensor t = mlx.fromBits(bits, dtype, shape)) {
                        assertArrayEquals(bits, mlx.toBits(t), "fromBits/toBits");
                        float[] floats = mlx.toFloats(t);
                        try (Tensor j = java.fromBits(bits, dtype, shape)) {
                            assertBitsEqual(java.toFloats(j), floats, "toFloats");
                        }
                    }
                    float[] values = values(random, shape.numelAsInt());
                    try (Tensor t = mlx.fromFloats(values, dtype, shape);
                         Tensor j = java.fromFloats(values, dtype, shape)) {
                        assertArrayEquals(java.toBits(j), mlx.toBits(t), "fromFloats");
                    }
                });
    }

    /** MLX does not fuse {@code a*x + b*y} into an FMA: cases where one rounding differs from two prove it. */
    @Test
    void noFusedMultiplyAdd() {
        assertFalse(mlx.fusesMultiplyAdd());
        SplittableRandom random = new SplittableRandom(11);
        int n = 4096;
        float[] xs = new float[n];
        float[] ys = new float[n];
        float a = 1 + 0x1p-12f;
        int fmaWouldDiffer = 0;
        for (int i = 0; i < n; i++) {
            xs[i] = 1 + (random.nextInt(1 << 12) | 1) * 0x1p-23f;
            ys[i] = -(a * xs[i]); // b*y cancels the rounded product: an FMA leaves its rounding error
            if (Math.fma(a, xs[i], ys[i]) != a * xs[i] + ys[i]) {
                fmaWouldDiffer++;
            }
        }
        assertEquals(n, fmaWouldDiffer, "every case must tell a fused result from an unfused one");
        checkAffine(a, xs, DType.FLOAT32, 1f, ys, DType.FLOAT32, Shape.of(n), AffineSpec.float32(DType.FLOAT32));
    }

    // ---------------------------------------------------------------- checks and generators

    private void checkAffine(float a, float[] xs, DType dx, float b, float[] ys, DType dy, Shape shape,
                             AffineSpec spec) {
        try (Tensor mx = mlx.fromFloats(xs, dx, shape); Tensor my = mlx.fromFloats(ys, dy, shape);
             Tensor jx = java.fromFloats(xs, dx, shape); Tensor jy = java.fromFloats(ys, dy, shape);
             Tensor mo = mlx.affine(a, mx, b, my, spec); Tensor jo = java.affine(a, jx, b, jy, spec)) {
            assertEquals(spec.out(), mo.dtype());
            assertEquals(shape, mo.shape());
            int[] expected = java.toBits(jo);
            int[] actual = mlx.toBits(mo);
            CASES.incrementAndGet();
            ELEMENTS.addAndGet(expected.length);
            for (int i = 0; i < expected.length; i++) {
                if (expected[i] != actual[i]) {
                    float e = spec.out().bitsToFloat(expected[i]);
                    float g = spec.out().bitsToFloat(actual[i]);
                    if (Float.isNaN(e) && Float.isNaN(g)) {
                        NAN_RESULTS.incrementAndGet();
                        continue;
                    }
                    float x = dx.round(xs[i]);
                    float y = dy.round(ys[i]);
                    fail(String.format("element %d of %s: %s(%s*x + %s*y), x = %s (%s), y = %s (%s): mlx %s "
                                    + "(0x%X), java %s (0x%X)", i, shape, spec, a, b, x, dx, y, dy, g, actual[i], e,
                            expected[i]));
                }
            }
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), what + " [" + i + "]");
        }
    }

    static Shape shape(SplittableRandom random, int kind) {
        return switch (kind) {
            case 0 -> Shape.of(new long[0]);                                         // scalar
            case 1 -> Shape.of(random.nextInt(0, 3), random.nextInt(0, 4));          // small, maybe empty
            case 2 -> Shape.of(random.nextInt(1, 3000));                             // vector loops and tails
            case 3 -> Shape.of(1, random.nextInt(1, 64), 128);                        // latent-like
            case 4 -> Shape.of(random.nextInt(1, 4), random.nextInt(1, 4), random.nextInt(1, 5), random.nextInt(1, 9));
            default -> Shape.of(random.nextInt(1, 17), random.nextInt(1, 17));
        };
    }

    /** A mixture: gaussian data, values of any magnitude, rounding ties, and special values. */
    static float[] values(SplittableRandom random, int n) {
        float[] v = new float[n];
        int mode = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            int pick = mode == 0 ? 0 : random.nextInt(10);
            v[i] = switch (pick) {
                case 0, 1, 2, 3 -> (float) (random.nextGaussian() * (mode == 3 ? 1e4 : 1.5));
                case 4, 5 -> Float.intBitsToFloat(random.nextInt() & 0x7F7FFFFF | (random.nextBoolean() ? 0x80000000 : 0));
                case 6 -> Float.intBitsToFloat((random.nextInt(0x10000) << 16) | 0x8000); // bfloat16 ties
                case 7 -> Float.float16ToFloat((short) random.nextInt(0x7C00)) * (1 + 0x1p-11f); // float16 ties
                case 8 -> (float) Math.scalb(random.nextDouble() - 0.5, random.nextInt(-150, -120)); // subnormal
                default -> SPECIALS[random.nextInt(SPECIALS.length)];
            };
        }
        return v;
    }

    private static final float[] SPECIALS = {
        0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC00000),
        65504f, 65520f, -65520f, 3.3895314e38f, 1e-8f, 6.1e-5f, 5.9604645e-8f,
    };

    /** Coefficients: step sizes (sigma differences), ordinary values, rounding-sensitive and special ones. */
    static float coefficient(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> -(float) random.nextDouble(0, 0.2);
            case 1 -> 1f;
            case 2 -> (float) random.nextGaussian();
            case 3 -> 1 + (random.nextInt(1 << 10) | 1) * 0x1p-20f;
            case 4 -> Float.intBitsToFloat(random.nextInt() & 0x7FFFFFFF | (random.nextBoolean() ? 0x80000000 : 0));
            default -> SPECIALS[random.nextInt(SPECIALS.length)];
        };
    }

    /** Raw bit patterns of any kind, NaN payloads and signalling NaNs included. */
    static int[] randomBits(SplittableRandom random, int n, DType dtype) {
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) {
            bits[i] = dtype == DType.FLOAT32 ? random.nextInt() : random.nextInt(0x10000);
        }
        return bits;
    }
}

package dev.flowmatch.djl;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/** Bit patterns for the comparisons with the reference backend: typical values, edge values, random bits. */
final class TestData {
    /** {@code -Dflowmatch.examples} (the build sets 200; the {@code deep} profile 5000). */
    static final int EXAMPLES = Integer.getInteger("flowmatch.examples", 200);

    private TestData() {}

    /** float32 edge values: zeros, infinities, NaNs, extremes, subnormals, bf16/f16 ties and overflow bounds. */
    static final int[] FLOAT32_EDGES = {
        0x00000000, 0x80000000, // +-0
        0x7F800000, 0xFF800000, // +-inf
        0x7FC00000, 0xFFC00000, // quiet NaNs
        0x7F7FFFFF, 0xFF7FFFFF, // +-max float: rounds to infinity in bf16
        0x7F7F7FFF, 0x7F7F8000, 0x7F7F8001, 0xFF7F8000, // around the bf16 overflow threshold
        0x7F7F0000, 0x7F7EFFFF, 0x7F000000, // largest bf16, just below, 2^127
        0x00000001, 0x80000001, 0x00007FFF, 0x00008000, 0x00008001, 0x00018000, 0x80008000, // subnormal ties
        0x007FFFFF, 0x007F8000, 0x007FC000, 0x807FFFFF, 0x00800000, 0x80800000, // around MIN_NORMAL
        0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, 0xBF808000, // bf16 ties near 1 (to even, up, down)
        0x3F801000, 0x3F803000, 0x3F800FFF, // f16 ties near 1
        0x477FF000, 0x477FEFFF, 0x477FE000, 0xC77FF000, // 65520 (f16 overflow to inf), just below, 65504
        0x33800000, 0x33000000, 0x33400000, 0x387FC000, 0x38800000, // f16 subnormal/normal bounds, ties
        0x70000000, 0x71000000, 0x717FFFFF, 0x71000000 | 0x8000, // around 2^99 (the scaling threshold) and 1e30
        0x7149F2CA, 0x7149F2CB, 0x5F800000, 0x1F800000, 0x20000000, // 1e30, 2^64, 2^-64, 2^-63
        0x3F800000, 0xBF800000, 0x40490FDB, 0x3DCCCCCD, // 1, -1, pi, 0.1
    };

    /** bf16 and f16 16-bit edge patterns: zeros, infinities, NaNs, extremes, subnormals. */
    static final int[] SIXTEEN_EDGES = {
        0x0000, 0x8000, 0x0001, 0x8001, 0x007F, 0x0080, 0x03FF, 0x0400, // zeros, subnormal ends (bf16 and f16)
        0x7F7F, 0xFF7F, 0x7F80, 0xFF80, 0x7FC0, 0xFFC0, // bf16 max, inf, NaN
        0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0xFE00, // f16 max, inf, NaN
        0x3F80, 0xBF80, 0x3C00, 0xBC00, 0x3F81, 0x3C01, 0x4049, 0x3555, // 1, -1 (both), neighbours
    };

    /** Whether a 16-bit pattern is a NaN of this dtype. */
    static boolean isNaN(DType dtype, int bits) {
        return switch (dtype) {
            case FLOAT32 -> Float.isNaN(Float.intBitsToFloat(bits));
            case BFLOAT16 -> Float.isNaN(Bits.bf16ToFloat((short) bits));
            case FLOAT16 -> Float.isNaN(Float.float16ToFloat((short) bits));
        };
    }

    /**
     * {@code n} bit patterns of {@code dtype}: mostly typical values (normal noise times a random scale),
     * with edge values and uniformly random bits mixed in. NaNs are canonical quiet NaNs (see
     * {@link #canonicalNaNs}): the reference backend is plain Java arithmetic, whose NaN payloads the Java
     * specification leaves open, so exotic payloads are covered by their own test instead.
     */
    static int[] bits(DType dtype, int n, SplittableRandom random) {
        int[] out = new int[n];
        double scale = Math.scalb(1.0, random.nextInt(-20, 20));
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            int b;
            if (kind < 6) {
                float v = (float) (nextGaussian(random) * scale);
                b = dtype.floatToBits(v);
            } else if (kind < 8) {
                b = dtype == DType.FLOAT32
                        ? FLOAT32_EDGES[random.nextInt(FLOAT32_EDGES.length)]
                        : random.nextBoolean() ? SIXTEEN_EDGES[random.nextInt(SIXTEEN_EDGES.length)]
                                : dtype.floatToBits(Float.intBitsToFloat(FLOAT32_EDGES[random.nextInt(FLOAT32_EDGES.length)]));
            } else {
                b = dtype == DType.FLOAT32 ? random.nextInt() : random.nextInt(0x10000);
            }
            out[i] = b;
        }
        return canonicalNaNs(dtype, out);
    }

    /** Replaces every NaN by the quiet NaN of its sign. */
    static int[] canonicalNaNs(DType dtype, int[] bits) {
        for (int i = 0; i < bits.length; i++) {
            if (isNaN(dtype, bits[i])) {
                boolean negative = dtype == DType.FLOAT32 ? bits[i] < 0 : (bits[i] & 0x8000) != 0;
                bits[i] = switch (dtype) {
                    case FLOAT32 -> negative ? 0xFFC00000 : 0x7FC00000;
                    case BFLOAT16 -> negative ? 0xFFC0 : 0x7FC0;
                    case FLOAT16 -> negative ? 0xFE00 : 0x7E00;
                };
            }
        }
        return bits;
    }

    /** Coefficients: step-like values, exactly representable ones, values that round in bf16/f16, specials. */
    static float coefficient(SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> 1f;
            case 1 -> -1f;
            case 2 -> 0f;
            case 3 -> -0.0f;
            case 4 -> (float) -random.nextDouble(0, 0.2); // dt = sigma_next - sigma
            case 5 -> 1.00390625f; // a bf16 tie
            case 6 -> 1.000244140625f; // an f16 tie
            case 7 -> Float.intBitsToFloat(FLOAT32_EDGES[random.nextInt(FLOAT32_EDGES.length)]);
            case 8 -> (float) Math.scalb(random.nextDouble(-2, 2), random.nextInt(-140, 128));
            default -> (float) random.nextDouble(-2, 2);
        };
    }

    static double nextGaussian(SplittableRandom random) {
        double u = random.nextDouble(Double.MIN_NORMAL, 1.0);
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /**
     * Whether two elements are the same: identical bits, or for float32 and float16 both NaN. PyTorch does not
     * keep a NaN's sign and payload through float16 conversions (its scalar loop tails, and CUDA, give
     * {@code 0x7FFF} / {@code 0x7FFFFFFF}) and no DJL op can read a NaN's sign bit, so only NaN-ness is
     * compared there. bfloat16 NaNs are compared exactly: both backends give the canonical {@code 0x7FC0}.
     */
    static boolean same(DType dtype, int expected, int actual) {
        return expected == actual
                || (dtype != DType.BFLOAT16 && isNaN(dtype, expected) && isNaN(dtype, actual));
    }

    /** A readable description of the first difference between two bit arrays (see {@link #same}), or null. */
    static String firstDifference(DType dtype, int[] expected, int[] actual, int[]... inputs) {
        if (expected.length != actual.length) {
            return "length " + actual.length + " != " + expected.length;
        }
        long differing = IntStream.range(0, expected.length).filter(i -> !same(dtype, expected[i], actual[i])).count();
        for (int i = 0; i < expected.length; i++) {
            if (!same(dtype, expected[i], actual[i])) {
                int index = i;
                return differing + " of " + expected.length + " " + dtype.torchName() + " elements differ; first at ["
                        + i + "]: expected " + hex(dtype, expected[i]) + " (" + dtype.bitsToFloat(expected[i])
                        + ") got " + hex(dtype, actual[i]) + " (" + dtype.bitsToFloat(actual[i]) + "); inputs "
                        + Arrays.stream(inputs).map(in -> Integer.toHexString(in[index])).toList();
            }
        }
        return null;
    }

    static String hex(DType dtype, int bits) {
        return dtype == DType.FLOAT32 ? String.format("0x%08X", bits) : String.format("0x%04X", bits & 0xFFFF);
    }
}

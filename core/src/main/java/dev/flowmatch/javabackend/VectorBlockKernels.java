package dev.flowmatch.javabackend;

import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link BlockKernels} whose bfloat16 loops use the incubating Vector API ({@code jdk.incubator.vector}); the
 * float16 and float32 loops are {@link ScalarBlockKernels}', which HotSpot vectorises by itself. Loaded only by
 * {@link Vectorization}, after it has checked that the module is readable: nothing else may refer to this class.
 *
 * <p>A bfloat16 is the upper half of a float32, so the conversions are integer lane operations:
 * <ul>
 *   <li>widen: load {@code n} shorts, sign-extend them to {@code n} ints ({@code S2I}), shift left by 16 and
 *       reinterpret the lanes as floats;</li>
 *   <li>round to bfloat16 ({@link Bits#floatToBf16}, PyTorch's {@code round_to_nearest_even}): add
 *       {@code 0x7FFF} plus the lowest kept bit, clear the low 16 bits, and put {@code 0x7FC0} in the lanes that
 *       held a NaN (a NaN must not carry into an infinity);</li>
 *   <li>narrow: that rounding, shifted right by 16 and truncated to shorts ({@code I2S}).</li>
 * </ul>
 * The shapes are chosen so that HotSpot compiles each operation to one or two instructions: floats and ints in
 * the preferred shape (256 bits on AVX2, 512 on AVX-512) and shorts in half of it, so {@code S2I} and {@code I2S}
 * keep the lane count. (Species whose lane counts do not match are not intrinsified and run hundreds of times
 * slower, without an error.) Loop tails run the scalar code, which gives the same bits.
 */
final class VectorBlockKernels extends ScalarBlockKernels {
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    private static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    /** Elements per iteration. */
    private static final int LANES = FLOATS.length();

    private static final int SIGN_CLEARED = 0x7FFFFFFF;
    private static final int INFINITY_BITS = 0x7F800000;
    private static final int HIGH_HALF = 0xFFFF0000;
    private static final int BF16_NAN_BITS = 0x7FC00000;

    private VectorBlockKernels() {}

    /**
     * The kernels, or an exception saying why the Vector API is not worth using here. Called reflectively by
     * {@link Vectorization}; loading this class already needs {@code jdk.incubator.vector}.
     */
    static BlockKernels create() {
        if (FLOATS.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("the CPU's preferred vectors have " + FLOATS.vectorBitSize()
                    + " bits; the vector kernels need at least 256 (AVX2)");
        }
        return new VectorBlockKernels();
    }

    @Override
    public String description() {
        return "vector kernels (jdk.incubator.vector, " + FLOATS.vectorBitSize() + "-bit, " + LANES + " floats)";
    }

    @Override
    public boolean vectorized() {
        return true;
    }

    @Override
    public void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        if (dtype == DType.BFLOAT16) {
            int i = 0;
            for (int bound = SHORTS.loopBound(length); i < bound; i += LANES) {
                widenBf16(src, srcOffset + i).intoArray(dst, dstOffset + i);
            }
            widenBf16(src, srcOffset + i, dst, dstOffset + i, length - i);
        } else {
            widenF16(src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        if (dtype == DType.BFLOAT16) {
            int i = 0;
            for (int bound = SHORTS.loopBound(length); i < bound; i += LANES) {
                storeBf16(FloatVector.fromArray(FLOATS, src, srcOffset + i), dst, dstOffset + i);
            }
            narrowBf16(src, srcOffset + i, dst, dstOffset + i, length - i);
        } else {
            narrowF16(src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void round(DType dtype, float[] values, int offset, int length) {
        if (dtype == DType.BFLOAT16) {
            int i = 0;
            for (int bound = FLOATS.loopBound(length); i < bound; i += LANES) {
                roundBf16(FloatVector.fromArray(FLOATS, values, offset + i)).intoArray(values, offset + i);
            }
            roundBf16(values, offset + i, length - i);
        } else {
            super.round(dtype, values, offset, length);
        }
    }

    @Override
    public void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y,
                       boolean roundProductY, short[] out, int offset, int length) {
        if (dtype != DType.BFLOAT16) {
            super.affine(dtype, a, x, roundProductX, b, y, roundProductY, out, offset, length);
            return;
        }
        int to = offset + length;
        int tail = offset + SHORTS.loopBound(length);
        if (roundProductX && roundProductY) {
            bf16RoundedProductsVectors(a, x, b, y, out, offset, tail);
            bf16RoundedProducts(a, x, b, y, out, tail, to);
        } else if (roundProductY) {
            bf16RoundedProductYVectors(a, x, b, y, out, offset, tail);
            bf16RoundedProductY(a, x, b, y, out, tail, to);
        } else if (roundProductX) {
            bf16RoundedProductXVectors(a, x, b, y, out, offset, tail);
            bf16RoundedProductX(a, x, b, y, out, tail, to);
        } else {
            bf16Float32Vectors(a, x, b, y, out, offset, tail);
            bf16Float32(a, x, b, y, out, tail, to);
        }
    }

    // ---- the fused loops over [from, to), a whole number of vectors; the scalar loops do the tail ----

    private static void bf16Float32Vectors(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        for (int i = from; i < to; i += LANES) {
            FloatVector px = widenBf16(x, i).mul(a);
            FloatVector py = widenBf16(y, i).mul(b);
            storeBf16(px.add(py), out, i);
        }
    }

    private static void bf16RoundedProductYVectors(float a, short[] x, float b, short[] y, short[] out,
                                                   int from, int to) {
        for (int i = from; i < to; i += LANES) {
            FloatVector px = widenBf16(x, i).mul(a);
            FloatVector py = roundBf16(widenBf16(y, i).mul(b));
            storeBf16(px.add(py), out, i);
        }
    }

    private static void bf16RoundedProductXVectors(float a, short[] x, float b, short[] y, short[] out,
                                                   int from, int to) {
        for (int i = from; i < to; i += LANES) {
            FloatVector px = roundBf16(widenBf16(x, i).mul(a));
            FloatVector py = widenBf16(y, i).mul(b);
            storeBf16(px.add(py), out, i);
        }
    }

    private static void bf16RoundedProductsVectors(float a, short[] x, float b, short[] y, short[] out,
                                                   int from, int to) {
        for (int i = from; i < to; i += LANES) {
            FloatVector px = roundBf16(widenBf16(x, i).mul(a));
            FloatVector py = roundBf16(widenBf16(y, i).mul(b));
            storeBf16(px.add(py), out, i);
        }
    }

    // ---- one vector of bfloat16 ----

    /** {@code LANES} bfloat16 patterns from {@code a[i]} on, as floats (exact). */
    private static FloatVector widenBf16(short[] a, int i) {
        IntVector ints = (IntVector) ShortVector.fromArray(SHORTS, a, i).convertShape(S2I, INTS, 0);
        return ints.lanewise(LSHL, 16).reinterpretAsFloats();
    }

    /** The float32 bits of each lane rounded to bfloat16 (low half zero; NaN lanes {@code 0x7FC00000}). */
    private static IntVector bf16Bits(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector rounded = bits.add(bits.lanewise(LSHR, 16).and(1)).add(0x7FFF).and(HIGH_HALF);
        return rounded.blend(BF16_NAN_BITS, bits.and(SIGN_CLEARED).compare(GT, INFINITY_BITS));
    }

    /** Each lane rounded to bfloat16, as a float. */
    private static FloatVector roundBf16(FloatVector v) {
        return bf16Bits(v).reinterpretAsFloats();
    }

    /** Each lane rounded to bfloat16, stored as {@code LANES} patterns at {@code a[i]}. */
    private static void storeBf16(FloatVector v, short[] a, int i) {
        ((ShortVector) bf16Bits(v).lanewise(LSHR, 16).convertShape(I2S, SHORTS, 0)).intoArray(a, i);
    }
}

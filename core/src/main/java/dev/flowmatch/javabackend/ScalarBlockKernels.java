package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import java.util.Objects;

/**
 * The portable {@link BlockKernels}: plain loops, one small method per dtype and rounding combination so that
 * the JIT compiles each well.
 *
 * <p>The float16 loops use {@link Float#float16ToFloat} / {@link Float#floatToFloat16}, which HotSpot compiles to
 * the CPU's conversion instructions (F16C / AVX-512 on x86) and vectorises by itself (bench/RESULTS.md: a
 * float16 step runs at the speed of a float32 one); {@code VectorBlockKernels} therefore keeps them. The bfloat16
 * loops compute {@link Bits#floatToBf16}'s integer rounding per element; HotSpot does not vectorise them (the
 * NaN test and the float/int moves), which is what the Vector API implementation is for.
 */
class ScalarBlockKernels implements BlockKernels {

    @Override
    public String description() {
        return "scalar kernels";
    }

    @Override
    public boolean vectorized() {
        return false;
    }

    @Override
    public void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        if (dtype == DType.BFLOAT16) {
            widenBf16(src, srcOffset, dst, dstOffset, length);
        } else {
            widenF16(src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        if (dtype == DType.BFLOAT16) {
            narrowBf16(src, srcOffset, dst, dstOffset, length);
        } else {
            narrowF16(src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void round(DType dtype, float[] values, int offset, int length) {
        switch (dtype) {
            case FLOAT32 -> { }
            case BFLOAT16 -> roundBf16(values, offset, length);
            case FLOAT16 -> roundF16(values, offset, length);
        }
    }

    @Override
    public void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y,
                       boolean roundProductY, short[] out, int offset, int length) {
        if (dtype == DType.BFLOAT16) {
            if (roundProductX && roundProductY) {
                bf16RoundedProducts(a, x, b, y, out, offset, offset + length);
            } else if (roundProductY) {
                bf16RoundedProductY(a, x, b, y, out, offset, offset + length);
            } else if (roundProductX) {
                bf16RoundedProductX(a, x, b, y, out, offset, offset + length);
            } else {
                bf16Float32(a, x, b, y, out, offset, offset + length);
            }
        } else {
            if (roundProductX && roundProductY) {
                f16RoundedProducts(a, x, b, y, out, offset, offset + length);
            } else if (roundProductY) {
                f16RoundedProductY(a, x, b, y, out, offset, offset + length);
            } else if (roundProductX) {
                f16RoundedProductX(a, x, b, y, out, offset, offset + length);
            } else {
                f16Float32(a, x, b, y, out, offset, offset + length);
            }
        }
    }

    // ---- bfloat16 ----

    static void widenBf16(short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = Bits.bf16ToFloat(src[srcOffset + i]);
        }
    }

    static void narrowBf16(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = Bits.floatToBf16(src[srcOffset + i]);
        }
    }

    static void roundBf16(float[] values, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            values[i] = roundBf16(values[i]);
        }
    }

    /** {@code bf16(a*x + b*y)}: FP32 precision on bfloat16 data. */
    static void bf16Float32(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + b * Bits.bf16ToFloat(y[i]));
        }
    }

    /** {@code bf16(a*x + bf16(b*y))}: DIFFUSERS precision on bfloat16 data (the product in the model's dtype). */
    static void bf16RoundedProductY(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float py = roundBf16(b * Bits.bf16ToFloat(y[i]));
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + py);
        }
    }

    /** {@code bf16(bf16(a*x) + b*y)}. */
    static void bf16RoundedProductX(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float px = roundBf16(a * Bits.bf16ToFloat(x[i]));
            out[i] = Bits.floatToBf16(px + b * Bits.bf16ToFloat(y[i]));
        }
    }

    /** {@code bf16(bf16(a*x) + bf16(b*y))}: every operation in bfloat16 (diffusers' {@code scale_noise}). */
    static void bf16RoundedProducts(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float px = roundBf16(a * Bits.bf16ToFloat(x[i]));
            float py = roundBf16(b * Bits.bf16ToFloat(y[i]));
            out[i] = Bits.floatToBf16(px + py);
        }
    }

    /**
     * Checks {@code [from, to)} against all three arrays before a loop. Besides the clear exception, C2 compiles
     * the loop after these checks faster: a bfloat16 step on {@code [1, 16384, 128]} ran 5% to 8% slower without
     * them than with them, in the same JVM (issue 15's scalar-fallback target; the loop before the kernels,
     * bounded by {@code out.length}, ran as fast as the checked one; the machine code was not inspected). Every
     * 16-bit affine loop has them, so that all of them stay one shape.
     */
    private static void checkRange(short[] x, short[] y, short[] out, int from, int to) {
        Objects.checkFromToIndex(from, to, out.length);
        Objects.checkFromToIndex(from, to, x.length);
        Objects.checkFromToIndex(from, to, y.length);
    }

    private static float roundBf16(float value) {
        return Bits.bf16ToFloat(Bits.floatToBf16(value));
    }

    // ---- float16 (HotSpot vectorises these loops itself) ----

    static void widenF16(short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = Float.float16ToFloat(src[srcOffset + i]);
        }
    }

    static void narrowF16(float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        for (int i = 0; i < length; i++) {
            dst[dstOffset + i] = Float.floatToFloat16(src[srcOffset + i]);
        }
    }

    static void roundF16(float[] values, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            values[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        }
    }

    /** {@code f16(a*x + b*y)}. */
    static void f16Float32(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            out[i] = Float.floatToFloat16(
                    a * Float.float16ToFloat(x[i]) + b * Float.float16ToFloat(y[i]));
        }
    }

    /** {@code f16(a*x + f16(b*y))}. */
    static void f16RoundedProductY(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float py = Float.float16ToFloat(Float.floatToFloat16(b * Float.float16ToFloat(y[i])));
            out[i] = Float.floatToFloat16(a * Float.float16ToFloat(x[i]) + py);
        }
    }

    /** {@code f16(f16(a*x) + b*y)}. */
    static void f16RoundedProductX(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float px = Float.float16ToFloat(Float.floatToFloat16(a * Float.float16ToFloat(x[i])));
            out[i] = Float.floatToFloat16(px + b * Float.float16ToFloat(y[i]));
        }
    }

    /** {@code f16(f16(a*x) + f16(b*y))}. */
    static void f16RoundedProducts(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        checkRange(x, y, out, from, to);
        for (int i = from; i < to; i++) {
            float px = Float.float16ToFloat(Float.floatToFloat16(a * Float.float16ToFloat(x[i])));
            float py = Float.float16ToFloat(Float.floatToFloat16(b * Float.float16ToFloat(y[i])));
            out[i] = Float.floatToFloat16(px + py);
        }
    }
}

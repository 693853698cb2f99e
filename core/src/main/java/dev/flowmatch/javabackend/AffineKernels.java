package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;

/**
 * The loops behind {@link JavaBackend#affine}. Each evaluates {@link AffineSpec#apply} elementwise; the common
 * step shapes get their own small loop (no per-element dtype dispatch), everything else takes the general path.
 */
final class AffineKernels {
    private AffineKernels() {}

    static void intoFloat32(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec, float[] out) {
        if (x.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32 && allFloat32(spec)) {
            // Inputs already float32, so every rounding but the last is the float32 arithmetic itself.
            float32(a, x.floats("x"), b, y.floats("y"), out);
            return;
        }
        float[] fx = widen(x, "x");
        float[] fy = widen(y, "y");
        for (int i = 0; i < out.length; i++) {
            out[i] = spec.apply(a, fx[i], b, fy[i]);
        }
    }

    static void intoBits16(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec, short[] out) {
        DType o = spec.out();
        boolean sameDtypeInputs = x.dtype() == o && y.dtype() == o;
        if (o == DType.BFLOAT16 && sameDtypeInputs && spec.productX() == DType.FLOAT32 && spec.sum() == DType.FLOAT32) {
            if (spec.productY() == DType.FLOAT32) {
                bf16Fp32(a, x.halves("x"), b, y.halves("y"), out);
                return;
            }
            if (spec.productY() == DType.BFLOAT16) {
                bf16RoundedProduct(a, x.halves("x"), DType.BFLOAT16.round(b), y.halves("y"), out);
                return;
            }
        }
        float[] fx = widen(x, "x");
        float[] fy = widen(y, "y");
        for (int i = 0; i < out.length; i++) {
            out[i] = (short) o.floatToBits(spec.apply(a, fx[i], b, fy[i]));
        }
    }

    /** {@code out = a*x + b*y} in float32 (the triad of a step). */
    static void float32(float a, float[] x, float b, float[] y, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a * x[i] + b * y[i];
        }
    }

    /** FP32 precision on bfloat16 data: widen, {@code a*x + b*y} in float32, round once. */
    static void bf16Fp32(float a, short[] x, float b, short[] y, short[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + b * Bits.bf16ToFloat(y[i]));
        }
    }

    /**
     * DIFFUSERS precision on bfloat16 data: {@code b*y} rounded to bfloat16 ({@code b} already rounded), the sum
     * in float32, the result rounded to bfloat16.
     */
    static void bf16RoundedProduct(float a, short[] x, float roundedB, short[] y, short[] out) {
        for (int i = 0; i < out.length; i++) {
            float product = Bits.bf16ToFloat(Bits.floatToBf16(roundedB * Bits.bf16ToFloat(y[i])));
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + product);
        }
    }

    private static boolean allFloat32(AffineSpec spec) {
        return spec.productX() == DType.FLOAT32 && spec.productY() == DType.FLOAT32 && spec.sum() == DType.FLOAT32;
    }

    private static float[] widen(JavaTensor t, String role) {
        if (t.dtype() == DType.FLOAT32) {
            return t.floats(role);
        }
        short[] halves = t.halves(role);
        float[] values = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            values[i] = t.dtype().bitsToFloat(halves[i]);
        }
        return values;
    }
}

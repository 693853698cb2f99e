package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;

/**
 * The elementwise kernels of the pure-Java backend, each over one block of arrays given as
 * {@code (array, offset, length)}: the conversions between float32 and the 16-bit dtypes, rounding, float32
 * arithmetic, and the fused {@code a*x + b*y} that a step on 16-bit tensors is.
 *
 * <p>Two implementations give the same bits for every input (the tests compare them exhaustively over every
 * 16-bit pattern and by properties over random coefficients): {@link ScalarBlockKernels}, plain loops that run
 * on any JVM, and {@code VectorBlockKernels}, which computes the bfloat16 conversions with the incubating Vector
 * API when the JVM was started with {@code --add-modules jdk.incubator.vector}. {@link Vectorization} picks one
 * per JVM. Anything that evaluates elementwise arithmetic block by block (a step, a fused expression of several
 * tensors) loads with {@link #widen}, computes with the float32 operations, rounds each operation's result to
 * its dtype with {@link #round} and stores with {@link #narrow}; the fused kernels do the same in one pass.
 *
 * <p>Rounding is always to nearest, ties to even, as PyTorch rounds ({@link DType#round}): a bfloat16 NaN is
 * always {@code 0x7FC0}, a float16 NaN is whatever {@link Float#floatToFloat16} makes of it. float32
 * operations are Java's: one IEEE rounding each, never contracted into a fused multiply-add.
 *
 * <p>Arguments are not checked: callers pass 16-bit dtypes where a {@code short[]} is involved, and blocks that
 * lie inside their arrays and do not overlap (except that an output may be one of the inputs at the same offset).
 */
interface BlockKernels {

    /** One line naming the implementation, for the log and {@code flowmatch backends}. */
    String description();

    /** Whether these kernels use the Vector API. */
    boolean vectorized();

    // ---- conversions (16-bit dtypes only) ----

    /** {@code dst[dstOffset + i] = } the float32 value of the {@code dtype} pattern {@code src[srcOffset + i]} (exact). */
    void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length);

    /** {@code dst[dstOffset + i] = } the {@code dtype} pattern nearest to {@code src[srcOffset + i]}. */
    void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length);

    /** Rounds {@code values[offset + i]} to {@code dtype} in place (float32 values stay as they are). */
    void round(DType dtype, float[] values, int offset, int length);

    // ---- float32 arithmetic (Java's: each operation rounds once) ----
    //
    // Each operation comes in three forms: two arrays, an array and a constant on the right, a constant on the left
    // (the operand order is kept: it decides which NaN payload comes out). HotSpot (JDK 25) vectorises a loop over
    // several float arrays only when they are indexed alike (with different offsets it cannot rule out an overlap
    // that changes the result), so these defaults take a vectorisable loop when the offsets are equal (blocks of
    // scratch arrays) and a plain one otherwise; the vector kernels run every form at vector speed.

    /** {@code out[outOffset + i] = x[xOffset + i] op y[yOffset + i]}. */
    default void binary(Expr.Op op, float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset,
                        int length) {
        if (xOffset != outOffset || yOffset != outOffset) {
            for (int i = 0; i < length; i++) {
                out[outOffset + i] = op.apply(x[xOffset + i], y[yOffset + i]);
            }
            return;
        }
        int to = outOffset + length;
        switch (op) {
            case ADD -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] + y[i];
                }
            }
            case SUB -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] - y[i];
                }
            }
            case MUL -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] * y[i];
                }
            }
            case DIV -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] / y[i];
                }
            }
        }
    }

    /** {@code out[outOffset + i] = x[xOffset + i] op c}. */
    default void binary(Expr.Op op, float[] x, int xOffset, float c, float[] out, int outOffset, int length) {
        if (xOffset != outOffset) {
            for (int i = 0; i < length; i++) {
                out[outOffset + i] = op.apply(x[xOffset + i], c);
            }
            return;
        }
        int to = outOffset + length;
        switch (op) {
            case ADD -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] + c;
                }
            }
            case SUB -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] - c;
                }
            }
            case MUL -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] * c;
                }
            }
            case DIV -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = x[i] / c;
                }
            }
        }
    }

    /** {@code out[outOffset + i] = c op y[yOffset + i]}. */
    default void binary(Expr.Op op, float c, float[] y, int yOffset, float[] out, int outOffset, int length) {
        if (yOffset != outOffset) {
            for (int i = 0; i < length; i++) {
                out[outOffset + i] = op.apply(c, y[yOffset + i]);
            }
            return;
        }
        int to = outOffset + length;
        switch (op) {
            case ADD -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = c + y[i];
                }
            }
            case SUB -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = c - y[i];
                }
            }
            case MUL -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = c * y[i];
                }
            }
            case DIV -> {
                for (int i = outOffset; i < to; i++) {
                    out[i] = c / y[i];
                }
            }
        }
    }

    /**
     * {@code out[i] = a * x[i] + b * y[i]} for {@code i} in {@code [offset, offset + length)}, in float32 (two
     * products, one sum, each rounded once): the triad of a float32 step. With {@code a == 1} the product
     * {@code 1 * x} (which is {@code x}) is skipped.
     */
    default void affine(float a, float[] x, float b, float[] y, float[] out, int offset, int length) {
        if (a == 1f) {
            // The step itself (x + dt * v): one multiply less counts when the data sit in cache.
            for (int i = offset; i < offset + length; i++) {
                out[i] = x[i] + b * y[i];
            }
            return;
        }
        for (int i = offset; i < offset + length; i++) {
            out[i] = a * x[i] + b * y[i];
        }
    }

    // ---- fused a*x + b*y on 16-bit storage ----

    /**
     * The step on 16-bit tensors in one pass, over the elements {@code [offset, offset + length)} of three arrays
     * that hold {@code dtype} patterns: {@code out[i] = round(px + py)} with the float32 sum of
     * {@code px = a * x[i]} and {@code py = b * y[i]}, each product rounded to {@code dtype} first when its flag
     * says so. The caller has already rounded a coefficient whose product is rounded
     * ({@link dev.flowmatch.tensor.AffineSpec}). Covers the {@code AffineSpec}s whose products are float32 or
     * {@code dtype}, whose sum is float32 or {@code dtype}, and whose output is {@code dtype} (a sum rounded to
     * {@code dtype} and then rounded to it again is rounded once).
     */
    void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y, boolean roundProductY,
                short[] out, int offset, int length);
}

package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;

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
 * lie inside their arrays.
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

    /** {@code out[o + i] = x[xo + i] + y[yo + i]}. */
    default void add(float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] + y[yOffset + i];
        }
    }

    /** {@code out[o + i] = x[xo + i] - y[yo + i]}. */
    default void subtract(float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] - y[yOffset + i];
        }
    }

    /** {@code out[o + i] = x[xo + i] * y[yo + i]}. */
    default void multiply(float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] * y[yOffset + i];
        }
    }

    /** {@code out[o + i] = x[xo + i] / y[yo + i]}. */
    default void divide(float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = x[xOffset + i] / y[yOffset + i];
        }
    }

    /** {@code out[o + i] = c * x[xo + i]}. */
    default void scale(float c, float[] x, int xOffset, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = c * x[xOffset + i];
        }
    }

    /**
     * {@code out[o + i] = a * x[xo + i] + b * y[yo + i]} in float32 (two products, one sum, each rounded once):
     * the triad of a float32 step. With {@code a == 1} the product {@code 1 * x} (which is {@code x}) is skipped.
     */
    default void affine(float a, float[] x, int xOffset, float b, float[] y, int yOffset,
                        float[] out, int outOffset, int length) {
        if (a == 1f) {
            // The step itself (x + dt * v): one multiply less counts when the data sit in cache.
            for (int i = 0; i < length; i++) {
                out[outOffset + i] = x[xOffset + i] + b * y[yOffset + i];
            }
            return;
        }
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = a * x[xOffset + i] + b * y[yOffset + i];
        }
    }

    // ---- fused a*x + b*y on 16-bit storage ----

    /**
     * The step on 16-bit tensors in one pass: {@code x}, {@code y} and {@code out} all hold {@code dtype} patterns,
     * and {@code out[o + i] = round(px + py)} with the float32 sum of {@code px = a * x[xo + i]} and
     * {@code py = b * y[yo + i]}, each product rounded to {@code dtype} first when its flag says so. The caller
     * has already rounded a coefficient whose product is rounded ({@link dev.flowmatch.tensor.AffineSpec}).
     * Covers {@code AffineSpec}s whose products are float32 or {@code dtype}, whose sum is float32 or
     * {@code dtype}, and whose output is {@code dtype} (rounding the sum to {@code dtype} twice is rounding it once).
     */
    void affine(DType dtype, float a, short[] x, int xOffset, boolean roundProductX,
                float b, short[] y, int yOffset, boolean roundProductY,
                short[] out, int outOffset, int length);
}

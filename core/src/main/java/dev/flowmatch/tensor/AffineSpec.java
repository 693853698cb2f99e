package dev.flowmatch.tensor;

import java.util.Objects;

/**
 * Where {@code out = a*x + b*y} is rounded: the one arithmetic primitive a flowmatch step needs.
 *
 * <p>Evaluation, which every backend must reproduce exactly (or within one ulp of {@code out}, if it declares
 * {@link TensorBackend#fusesMultiplyAdd()}):
 * <ol>
 *   <li>{@code px = round(productX, round(productX, a) * x)}: the coefficient is first rounded to
 *       {@code productX}, as PyTorch 1.13 casts a 0-dim float32 tensor to the dimensioned operand's dtype;
 *       the product is exact in float32 for every dtype pair here, so rounding once is PyTorch's result;</li>
 *   <li>{@code py} likewise with {@code b}, {@code y} and {@code productY};</li>
 *   <li>{@code s = round(sum, px + py)} with the float32 sum of the two values;</li>
 *   <li>{@code out = round(out, s)}.</li>
 * </ol>
 * Rounding is always to nearest, ties to even. The products and the sum are computed in float32 and then
 * rounded, which is what PyTorch's CPU kernels do for bfloat16 and float16 (they compute in float and round).
 *
 * @param productX dtype of {@code a*x}
 * @param productY dtype of {@code b*y}
 * @param sum      dtype of the sum
 * @param out      dtype of the result tensor
 */
public record AffineSpec(DType productX, DType productY, DType sum, DType out) {

    /**
     * Checks that every dtype is given.
     *
     * @throws NullPointerException if a dtype is null
     */
    public AffineSpec {
        Objects.requireNonNull(productX, "productX");
        Objects.requireNonNull(productY, "productY");
        Objects.requireNonNull(sum, "sum");
        Objects.requireNonNull(out, "out");
    }

    /**
     * Everything in float32, the result rounded to {@code out}.
     *
     * @param out the dtype of the result
     * @return the spec
     */
    public static AffineSpec float32(DType out) {
        return new AffineSpec(DType.FLOAT32, DType.FLOAT32, DType.FLOAT32, out);
    }

    /**
     * Evaluates one element exactly as specified above; the reference for every backend.
     *
     * @param a the coefficient of {@code x}
     * @param x an element of {@code x}, widened to float32
     * @param b the coefficient of {@code y}
     * @param y an element of {@code y}, widened to float32
     * @return the element of {@code out}, as a float32 value
     */
    public float apply(float a, float x, float b, float y) {
        float px = productX.round(productX.round(a) * x);
        float py = productY.round(productY.round(b) * y);
        return out.round(sum.round(px + py));
    }
}

package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;

/**
 * {@code a*x + b*y} as {@link AffineSpec} rounds it, composed from PyTorch eager ops that are each exact IEEE
 * operations, so the result is bit-identical to {@link AffineSpec#apply} (and the pure-Java backend).
 *
 * <p>Values travel as FLOAT32 arrays (float32 and bfloat16 values) or FLOAT16 arrays (float16 values). Facts
 * this relies on, each checked by the tests against the reference:
 * <ul>
 *   <li>A float32 {@code mul}/{@code add} rounds once, ties to even; PyTorch's eager kernels never fuse two ops.
 *       ({@code add} is {@code fma(other, alpha=1, self)} on the CPU: the same single rounding.)</li>
 *   <li>A FLOAT16 {@code mul}/{@code add} computes in float32 and rounds the float32 result to float16: for a
 *       product of two float16 values that is exact in float32, so it is the spec's rounding.</li>
 *   <li>{@code toType(FLOAT16)} rounds to nearest even like {@link Float#floatToFloat16}; widening is exact.</li>
 *   <li>bfloat16 rounding has no PyTorch op here (any BFLOAT16 NDArray aborts the JVM in DJL 0.36), so
 *       {@link #bf16} computes it with float32 arithmetic.</li>
 * </ul>
 * Coefficients are host floats, rounded here and passed as 0-dim CPU tensors: CUDA kernels read those as kernel
 * arguments, so no call copies to the device or waits for it.
 */
final class Kernels {
    private Kernels() {}

    /** The storage type of a dtype: bfloat16 values live in FLOAT32 arrays. */
    static DataType storage(DType dtype) {
        return dtype == DType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    static boolean isHalf(NDArray array) {
        return array.getDataType() == DataType.FLOAT16;
    }

    /**
     * {@code spec.apply(a, x, b, y)} elementwise. {@code x} and {@code y} are the tensors' stored arrays; the
     * result is a new array with {@code spec.out()}'s storage type, registered in {@code scope}.
     */
    static NDArray affine(Scope scope, NDManager host, Constants k,
                          float a, NDArray x, float b, NDArray y, AffineSpec spec) {
        NDArray py = product(scope, host, k, y, b, spec.productY());
        if (a == 1f && spec.productX() == DType.FLOAT32) {
            // 1 * x is x exactly in float32 (the step's sample): skip a pass and let the product take the sum
            // in place (x + py and py + x are the same IEEE sum).
            return round(scope, k, sum(scope, k, py, x, spec.sum()), spec.sum(), spec.out());
        }
        NDArray px = product(scope, host, k, x, a, spec.productX());
        NDArray sum = sum(scope, k, px, py, spec.sum());
        return round(scope, k, sum, spec.sum(), spec.out());
    }

    /** {@code round(d, round(d, c) * v)}. FLOAT16 storage for a float16 product, FLOAT32 otherwise. */
    static NDArray product(Scope scope, NDManager host, Constants k, NDArray v, float coefficient, DType d) {
        NDArray c = scope.add(scalar(host, d.round(coefficient)));
        if (d == DType.FLOAT16 && isHalf(v) && v.getShape().dimension() > 0) {
            // float16 * float16 is exact in float32, so PyTorch's one rounding to float16 is the spec's. (A 0-dim
            // FLOAT16 array times the 0-dim FLOAT32 coefficient would promote to FLOAT32: the general path.)
            return scope.add(v.mul(c));
        }
        NDArray product = scope.add(widen(scope, v).mul(c));
        return roundFloat32(scope, k, product, d);
    }

    /**
     * {@code round(d, px + py)} with the sum in float32. {@code px} must be an intermediate of this call (it may
     * take the sum in place); {@code py} is only read.
     */
    static NDArray sum(Scope scope, Constants k, NDArray px, NDArray py, DType d) {
        boolean bothHalf = isHalf(px) && isHalf(py);
        if (d == DType.FLOAT16 && bothHalf) {
            return scope.add(px.add(py)); // float32 sum of the widened values, rounded once to float16
        }
        // One FLOAT32 operand makes PyTorch widen the other exactly and add in float32. px is an intermediate of
        // this call, so a FLOAT32 px can take the sum in place (same kernel, one array less).
        NDArray left = bothHalf ? widen(scope, px) : px;
        NDArray sum = isHalf(left) ? scope.add(left.add(py)) : left.addi(py);
        return roundFloat32(scope, k, sum, d);
    }

    /** Rounds a value held as {@code held} (its storage as {@link #storage}) to {@code out}. */
    static NDArray round(Scope scope, Constants k, NDArray value, DType held, DType out) {
        if (held == out) {
            return value;
        }
        return switch (out) {
            case FLOAT32 -> widen(scope, value);
            case FLOAT16 -> isHalf(value) ? value : scope.add(value.toType(DataType.FLOAT16, false));
            case BFLOAT16 -> bf16(scope, k, widen(scope, value));
        };
    }

    /** Rounds a FLOAT32 array to {@code d}. */
    private static NDArray roundFloat32(Scope scope, Constants k, NDArray value, DType d) {
        return switch (d) {
            case FLOAT32 -> value;
            case FLOAT16 -> scope.add(value.toType(DataType.FLOAT16, false));
            case BFLOAT16 -> bf16(scope, k, value);
        };
    }

    /** The values as FLOAT32 (exact); {@code v} itself when it already is. */
    static NDArray widen(Scope scope, NDArray v) {
        return isHalf(v) ? scope.add(v.toType(DataType.FLOAT32, false)) : v;
    }

    /**
     * Rounds every element of a FLOAT32 array to the nearest bfloat16, ties to even, exactly as
     * {@link dev.flowmatch.tensor.Bits#floatToBf16}: NaN becomes {@code 0x7FC0}, overflow goes to infinity,
     * subnormals keep bfloat16's quantum, zeros keep their sign. The result is a FLOAT32 array.
     *
     * <p>With {@code vc = clamp(v, -MAX, MAX)} (so an infinity is the largest float, which rounds back to
     * infinity):
     * <ul>
     *   <li>normal {@code |vc| <= 2^99}: the Veltkamp split {@code p = vc*65537; hi = p - (p - vc)} is the round
     *       to nearest even of {@code vc} to 8 significant bits (checked exhaustively for {@code |x| <= 1e30});</li>
     *   <li>{@code |vc| > 2^99}: the same on {@code vc * 2^-64}, then times {@code 2^64} (powers of two are exact;
     *       a result of {@code 2^128} becomes infinity, which is the overflow rule);</li>
     *   <li>{@code |vc| < 2^-126}: bfloat16 has the fixed quantum {@code 2^-133} there, so
     *       {@code round(vc * 2^133) * 2^-133} rounds it ({@code round} is {@code nearbyint}: ties to even, the
     *       sign of a zero kept);</li>
     *   <li>NaN: {@code 0x7FC00000}.</li>
     * </ul>
     */
    static NDArray bf16(Scope scope, Constants k, NDArray v) {
        NDArray vc = scope.add(scope.add(v.maximum(k.minusMaxFloat)).minimum(k.maxFloat));
        NDArray magnitude = scope.add(vc.abs());

        NDArray big = scope.add(magnitude.gt(k.bigLimit));
        NDArray scaled = scope.add(NDArrays.where(big, scope.add(vc.mul(k.scaleDown)), vc));
        NDArray p = scope.add(scaled.mul(k.splitter));
        NDArray hi = scope.add(p.sub(scope.add(p.sub(scaled))));
        NDArray normal = scope.add(NDArrays.where(big, scope.add(hi.mul(k.scaleUp)), hi));

        NDArray small = scope.add(magnitude.lt(k.minNormal));
        // In units of the quantum 2^-133 a subnormal is below 2^7: round to an integer, ties to even, keeping the
        // sign of a zero (round is nearbyint), and scale back. Every scaling is exact (2^133 itself is not a
        // float: two factors; and no division, which CUDA turns into a multiplication by the reciprocal).
        NDArray units = scope.add(scope.add(scope.add(vc.mul(k.twoPow126)).mul(k.twoPow7)).round());
        NDArray subnormal = scope.add(units.mul(k.subnormalQuantum));

        NDArray rounded = scope.add(NDArrays.where(small, subnormal, normal));
        NDArray notNaN = scope.add(v.eq(v));
        return scope.add(NDArrays.where(notNaN, rounded, k.nan));
    }

    /** A 0-dim FLOAT32 CPU tensor holding {@code value} (a CUDA kernel takes it as an argument). */
    static NDArray scalar(NDManager host, float value) {
        if (Float.isNaN(value) && Float.floatToRawIntBits(value) != 0x7FC00000) {
            // full() passes the value through a double: keep an unusual NaN's bits exactly.
            return Host.upload(host, new int[] {Float.floatToRawIntBits(value)}, DataType.FLOAT32, new Shape());
        }
        return host.full(new Shape(), value, DataType.FLOAT32);
    }
}

package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;

/**
 * {@code a*x + b*y} as {@link AffineSpec} rounds it, composed from PyTorch ops that are each exact IEEE
 * operations, so the result is bit-identical to {@link AffineSpec#apply} (and the pure-Java backend).
 *
 * <p>Tensors are stored as FLOAT32 arrays (float32), FLOAT16 arrays (float16) and PyTorch bfloat16 arrays that
 * DJL shows as UNKNOWN (bfloat16, made and computed on only by {@link TorchScriptKernels}). Outside TorchScript,
 * values travel as FLOAT32 arrays (float32 and bfloat16 values) or FLOAT16 arrays (float16 values). Facts this relies on, each checked by the tests
 * against the reference:
 * <ul>
 *   <li>A float32 {@code mul}/{@code add} rounds once, ties to even; PyTorch's eager kernels never fuse two ops.
 *       ({@code add} is {@code fma(other, alpha=1, self)} on the CPU: the same single rounding.)</li>
 *   <li>A FLOAT16 {@code mul}/{@code add} computes in float32 and rounds the float32 result to float16: for a
 *       product of two float16 values that is exact in float32, so it is the spec's rounding.</li>
 *   <li>{@code toType(FLOAT16)} rounds to nearest even like {@link Float#floatToFloat16}; widening is exact.</li>
 *   <li>bfloat16 has no DJL dtype here (any BFLOAT16 NDArray aborts the JVM in DJL 0.36), so bfloat16 rounding
 *       and the bfloat16 step run as TorchScript ({@link TorchScriptKernels}), where PyTorch's own bfloat16
 *       conversion and arithmetic round exactly as the spec says.</li>
 * </ul>
 * Coefficients are host floats, rounded here and passed as 0-dim CPU tensors or TorchScript floats: CUDA kernels
 * read those as kernel arguments, so no call copies to the device or waits for it.
 */
final class Kernels {
    private Kernels() {}

    /**
     * The type of a dtype's raw bits on the way to or from the host: FLOAT32 for float32, FLOAT16 for float16 and
     * for bfloat16's 16-bit patterns (a bfloat16 array itself shows as UNKNOWN in DJL; see {@link TorchScriptKernels}).
     */
    static DataType hostBits(DType dtype) {
        return dtype == DType.FLOAT32 ? DataType.FLOAT32 : DataType.FLOAT16;
    }

    /** Whether an array of values (never a bfloat16 array) holds float16 values. */
    static boolean isHalf(NDArray array) {
        return array.getDataType() == DataType.FLOAT16;
    }

    /**
     * The values of an array stored as {@code d}, as the arrays computed with outside TorchScript: float32 and
     * float16 arrays as they are, bfloat16 arrays widened exactly to FLOAT32 (a new array in {@code scope}).
     */
    static NDArray values(Scope scope, TorchScriptKernels bf16, NDArray stored, DType d) {
        return d == DType.BFLOAT16 ? bf16.widen(scope, stored) : stored;
    }

    /**
     * {@code spec.apply(a, x, b, y)} elementwise. {@code x} and {@code y} are the stored arrays of tensors of
     * dtypes {@code dx} and {@code dy}; the result is a new array stored as {@code spec.out()}, registered in
     * {@code scope}.
     */
    static NDArray affine(Scope scope, NDManager host, TorchScriptKernels bf16,
                          float a, NDArray x, DType dx, float b, NDArray y, DType dy, AffineSpec spec) {
        if (dx == DType.BFLOAT16 && dy == DType.BFLOAT16 && spec.out() == DType.BFLOAT16
                && bf16OrFloat32(spec.productX()) && bf16OrFloat32(spec.productY()) && bf16OrFloat32(spec.sum())) {
            // Every bfloat16 step and scale_noise: one TorchScript call, a few kernels (a sum rounded to bfloat16
            // and then rounded to it again is rounded once).
            return bf16.affine(scope, x, spec.productX().round(a), spec.productX() == DType.BFLOAT16,
                    y, spec.productY().round(b), spec.productY() == DType.BFLOAT16);
        }
        NDArray xv = values(scope, bf16, x, dx);
        NDArray yv = values(scope, bf16, y, dy);
        // A float32 sum rounded to bfloat16 and stored as bfloat16 is rounded once, by the store (one TorchScript
        // call, not a rounding to bfloat16 values and then a second call to store them).
        DType sumHeld = spec.sum() == DType.BFLOAT16 && spec.out() == DType.BFLOAT16 ? DType.FLOAT32 : spec.sum();
        NDArray py = product(scope, host, bf16, yv, b, spec.productY());
        if (a == 1f && spec.productX() == DType.FLOAT32) {
            // 1 * x is x exactly in float32 (the step's sample): skip a pass and let the product take the sum
            // in place (x + py and py + x are the same IEEE sum).
            return store(scope, bf16, sum(scope, bf16, py, xv, sumHeld), sumHeld, spec.out());
        }
        NDArray px = product(scope, host, bf16, xv, a, spec.productX());
        NDArray sum = sum(scope, bf16, px, py, sumHeld);
        return store(scope, bf16, sum, sumHeld, spec.out());
    }

    private static boolean bf16OrFloat32(DType d) {
        return d == DType.BFLOAT16 || d == DType.FLOAT32;
    }

    /**
     * {@code round(d, round(d, c) * v)} for values {@code v}, as values: FLOAT16 for a float16 product, FLOAT32
     * otherwise.
     */
    static NDArray product(Scope scope, NDManager host, TorchScriptKernels bf16, NDArray v, float coefficient,
                          DType d) {
        NDArray c = scope.add(scalar(host, d.round(coefficient)));
        if (d == DType.FLOAT16 && isHalf(v) && v.getShape().dimension() > 0) {
            // float16 * float16 is exact in float32, so PyTorch's one rounding to float16 is the spec's. (A 0-dim
            // FLOAT16 array times the 0-dim FLOAT32 coefficient would promote to FLOAT32: the general path.)
            return scope.add(v.mul(c));
        }
        NDArray product = scope.add(widen(scope, v).mul(c));
        return roundFloat32(scope, bf16, product, d);
    }

    /**
     * {@code round(d, px + py)} with the sum in float32, for values, as values. {@code px} must be an
     * intermediate of this call (it may take the sum in place); {@code py} is only read.
     */
    static NDArray sum(Scope scope, TorchScriptKernels bf16, NDArray px, NDArray py, DType d) {
        boolean bothHalf = isHalf(px) && isHalf(py);
        if (d == DType.FLOAT16 && bothHalf) {
            return scope.add(px.add(py)); // float32 sum of the widened values, rounded once to float16
        }
        // One FLOAT32 operand makes PyTorch widen the other exactly and add in float32. px is an intermediate of
        // this call, so a FLOAT32 px can take the sum in place (same kernel, one array less).
        NDArray left = bothHalf ? widen(scope, px) : px;
        NDArray sum = isHalf(left) ? scope.add(left.add(py)) : left.addi(py);
        return roundFloat32(scope, bf16, sum, d);
    }

    /** A stored array of dtype {@code held} rounded to {@code out}, stored as {@code out}. */
    static NDArray round(Scope scope, TorchScriptKernels bf16, NDArray stored, DType held, DType out) {
        if (held == out) {
            return stored;
        }
        return store(scope, bf16, values(scope, bf16, stored, held), held, out);
    }

    /** Values that are {@code held} values, rounded to {@code out} and stored as {@code out}. */
    private static NDArray store(Scope scope, TorchScriptKernels bf16, NDArray values, DType held, DType out) {
        return switch (out) {
            case FLOAT32 -> widen(scope, values);
            case FLOAT16 -> held == DType.FLOAT16 ? values : scope.add(values.toType(DataType.FLOAT16, false));
            case BFLOAT16 -> bf16.round(scope, widen(scope, values)); // exact for bfloat16 values
        };
    }

    /** Rounds a FLOAT32 array to {@code d}, as values (FLOAT16 for float16, FLOAT32 otherwise). */
    private static NDArray roundFloat32(Scope scope, TorchScriptKernels bf16, NDArray value, DType d) {
        return switch (d) {
            case FLOAT32 -> value;
            case FLOAT16 -> scope.add(value.toType(DataType.FLOAT16, false));
            case BFLOAT16 -> bf16.roundToFloat32(scope, value);
        };
    }

    /** Values as FLOAT32 (exact); {@code v} itself when it already is. */
    static NDArray widen(Scope scope, NDArray v) {
        return isHalf(v) ? scope.add(v.toType(DataType.FLOAT32, false)) : v;
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

package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;

/**
 * An {@link Expr} lowered to PyTorch eager ops, one op per node, so the result equals {@link Expr#apply} (and the
 * pure-Java backend) bit for bit:
 * <ul>
 *   <li>every node's value is held as a FLOAT32 array (float32 values as they are stored, float16 inputs
 *       widened exactly with {@code toType(FLOAT32)}, bfloat16 arrays with {@link TorchScriptKernels#widen});</li>
 *   <li>a {@link Expr.Binary} is PyTorch's float32 {@code add} / {@code sub} / {@code mul} / {@code div} of two
 *       FLOAT32 operands: one IEEE rounding each ({@code add} and {@code sub} are {@code fma(other, ±1, self)} on
 *       the CPU, the same single rounding; {@code div} is a true division, {@code a / b} in the CPU kernel);</li>
 *   <li>rounding to float16 is {@code toType(FLOAT16)} (round to nearest even), to bfloat16 the TorchScript
 *       {@link TorchScriptKernels#roundToFloat32} (DJL cannot hold a BFLOAT16 array), as in {@link Kernels}, and a
 *       bfloat16 root straight to a bfloat16 array with {@link TorchScriptKernels#round};</li>
 *   <li>a subtree that reads no tensor is folded on the host with {@link Expr#apply} (the reference itself) and
 *       enters as a 0-dim FLOAT32 tensor.</li>
 * </ul>
 * A value already held in a node's dtype (a cast of a bfloat16 input to bfloat16) is not rounded again: rounding
 * is idempotent. Every intermediate array is registered in the call's {@link Scope}.
 */
final class ExprKernels {
    private final Scope scope;
    private final NDManager host;
    private final NDManager device;
    private final TorchScriptKernels bf16;
    private final NDArray[] inputs;
    private final DType[] dtypes;
    /** Each input widened to FLOAT32, made on first use (an expression reads an input several times). */
    private final NDArray[] widened;

    /** A node's value as a FLOAT32 array, and the narrowest dtype that holds it exactly. */
    private record Value(NDArray array, DType held) {}

    private ExprKernels(Scope scope, NDManager host, NDManager device, TorchScriptKernels bf16, NDArray[] inputs,
                        DType[] dtypes) {
        this.scope = scope;
        this.host = host;
        this.device = device;
        this.bf16 = bf16;
        this.inputs = inputs;
        this.dtypes = dtypes;
        this.widened = new NDArray[inputs.length];
    }

    /**
     * Evaluates {@code expression} over the stored arrays {@code inputs} (of the tensors' {@code dtypes}): a new
     * array stored as the root's dtype (see {@link Kernels}) and of {@code shape}, registered in
     * {@code scope} never one of the inputs.
     */
    static NDArray evaluate(Scope scope, NDManager host, NDManager device, TorchScriptKernels bf16, Expr expression,
                            NDArray[] inputs, DType[] dtypes, Shape shape) {
        ExprKernels kernels = new ExprKernels(scope, host, device, bf16, inputs, dtypes);
        DType out = expression.dtype(dtypes);
        NDArray result = kernels.root(expression, out);
        ai.djl.ndarray.types.Shape dims = new ai.djl.ndarray.types.Shape(shape.dims());
        if (!result.getShape().equals(dims)) {
            // An input the expression does not read still widens the result (Tensors.checkElementwise): expand,
            // then copy into a dense array of its own.
            result = scope.add(scope.add(result.broadcast(dims)).duplicate());
        }
        for (NDArray input : inputs) {
            if (result == input) {
                return scope.add(input.duplicate()); // the caller's array: the result must be an array of its own
            }
        }
        return result;
    }

    /** The root, stored as its dtype. */
    private NDArray root(Expr expression, DType out) {
        if (expression instanceof Expr.Input in && dtypes[in.index()] == out) {
            return inputs[in.index()];
        }
        return switch (out) {
            case FLOAT32 -> value(expression).array();
            case FLOAT16 -> scope.add(value(expression).array().toType(DataType.FLOAT16, false));
            // Straight to bfloat16: one rounding of the root's value before its own rounding to bfloat16.
            case BFLOAT16 -> bf16.round(scope, unrounded(expression).array());
        };
    }

    /** A node's value before its own rounding to its dtype (an input's or a folded constant's value as it is). */
    private Value unrounded(Expr e) {
        if (e.arity() > 0) {
            if (e instanceof Expr.Binary b) {
                return binary(b);
            }
            if (e instanceof Expr.Cast c) {
                return value(c.operand());
            }
        }
        return value(e);
    }

    private Value value(Expr e) {
        if (e.arity() == 0) {
            // No tensor below: the reference's own host arithmetic, one 0-dim tensor.
            return new Value(scope.add(Kernels.scalar(host, e.apply(new float[0]))), e.dtype(new DType[0]));
        }
        return switch (e) {
            case Expr.Input in -> new Value(input(in.index()), dtypes[in.index()]);
            case Expr.Scalar s -> throw new AssertionError("folded above");
            case Expr.Binary b -> round(binary(b), b.dtype());
            case Expr.Cast c -> round(value(c.operand()), c.dtype());
        };
    }

    private NDArray input(int index) {
        if (widened[index] == null) {
            widened[index] = Kernels.widen(scope, Kernels.values(scope, bf16, inputs[index], dtypes[index]));
        }
        return widened[index];
    }

    /** {@code left op right} in float32: held exactly only as float32. */
    private Value binary(Expr.Binary b) {
        NDArray left = value(b.left()).array();
        NDArray right = b.op() == Expr.Op.DIV && b.right().arity() == 0 && !device.getDevice().equals(ai.djl.Device.cpu())
                // CUDA's true division multiplies by the reciprocal of a CPU scalar divisor (not the IEEE
                // quotient); a divisor on the device is divided by.
                ? scope.add(device.full(new ai.djl.ndarray.types.Shape(), b.right().apply(new float[0]),
                        DataType.FLOAT32))
                : value(b.right()).array();
        NDArray result = switch (b.op()) {
            case ADD -> left.add(right);
            case SUB -> left.sub(right);
            case MUL -> left.mul(right);
            case DIV -> left.div(right);
        };
        return new Value(scope.add(result), DType.FLOAT32);
    }

    /** {@code v} rounded to {@code dtype}, as a FLOAT32 array. */
    private Value round(Value v, DType dtype) {
        if (v.held() == dtype || dtype == DType.FLOAT32) {
            return v; // already a value of dtype (rounding is idempotent; every dtype widens to float32 exactly)
        }
        NDArray rounded = switch (dtype) {
            case FLOAT32 -> v.array();
            case FLOAT16 -> scope.add(scope.add(v.array().toType(DataType.FLOAT16, false))
                    .toType(DataType.FLOAT32, false));
            case BFLOAT16 -> bf16.roundToFloat32(scope, v.array());
        };
        return new Value(rounded, dtype);
    }
}

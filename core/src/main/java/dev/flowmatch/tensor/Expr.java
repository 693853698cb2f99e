package dev.flowmatch.tensor;

import java.util.Objects;

/**
 * An elementwise expression over tensors and scalars, each operation rounded to a stated dtype: the second
 * arithmetic primitive of the SPI ({@link TensorBackend#elementwise}), for the steps that {@link AffineSpec}'s
 * {@code a*x + b*y} cannot express exactly (divisions, differences of tensors scaled afterwards, sums of three
 * or more terms, masks) and for fusing a whole step into one pass over memory.
 *
 * <p>Evaluation, which every backend must reproduce exactly (see {@link #apply}): every node has a value that is a
 * float32 number,
 * <ul>
 *   <li>{@link Input}: element {@code i} of tensor argument {@code index}, widened exactly to float32;</li>
 *   <li>{@link Scalar}: the float32 constant as given (a caller reproducing PyTorch rounds a 0-dim tensor's value
 *       to the other operand's dtype itself, as PyTorch 1.13 does);</li>
 *   <li>{@link Binary}: {@code left op right} in IEEE float32 arithmetic (one rounding), then rounded to the
 *       node's dtype — what PyTorch's CPU kernels do for float32, and for bfloat16 / float16, which they compute
 *       in float32 and round;</li>
 *   <li>{@link Cast}: the operand rounded to the node's dtype ({@code tensor.to(dtype)}).</li>
 * </ul>
 * Rounding is always to nearest, ties to even, NaN stays NaN. Operations are never fused or reordered.
 *
 * <p>Tensor arguments broadcast as in NumPy / PyTorch: shapes are aligned at their last dimension and a dimension
 * of size 1 (or a missing leading one) repeats; the result has the broadcast shape and the root's dtype.
 */
public sealed interface Expr permits Expr.Input, Expr.Scalar, Expr.Binary, Expr.Cast {

    /** Deepest nesting accepted: deeper expressions are rejected rather than risking a stack overflow. */
    int MAX_DEPTH = 64;

    /** The four float32 operations of a {@link Binary} node. */
    enum Op {
        /** {@code a + b}. */
        ADD,
        /** {@code a - b}. */
        SUB,
        /** {@code a * b}. */
        MUL,
        /** {@code a / b}. */
        DIV;

        /**
         * {@code a op b} in float32 arithmetic.
         *
         * @param a the left operand
         * @param b the right operand
         * @return the float32 result
         */
        public float apply(float a, float b) {
            return switch (this) {
                case ADD -> a + b;
                case SUB -> a - b;
                case MUL -> a * b;
                case DIV -> a / b;
            };
        }
    }

    /**
     * Tensor argument {@code index} of the {@link TensorBackend#elementwise} call.
     *
     * @param index position in the argument list, {@code >= 0}
     */
    record Input(int index) implements Expr {
        /** Checks the index. */
        public Input {
            if (index < 0) {
                throw new IllegalArgumentException("index: " + index + " must be >= 0");
            }
        }
    }

    /**
     * A float32 constant.
     *
     * @param value the constant, used as is
     */
    record Scalar(float value) implements Expr {}

    /**
     * {@code left op right} in float32, rounded to {@code dtype}.
     *
     * @param op    the operation
     * @param left  the left operand
     * @param right the right operand
     * @param dtype the dtype the result is rounded to
     */
    record Binary(Op op, Expr left, Expr right, DType dtype) implements Expr {
        /** Checks that no part is null. */
        public Binary {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
            Objects.requireNonNull(dtype, "dtype");
        }
    }

    /**
     * {@code operand.to(dtype)}: the operand rounded to {@code dtype}.
     *
     * @param operand the value to round
     * @param dtype   the dtype it is rounded to
     */
    record Cast(Expr operand, DType dtype) implements Expr {
        /** Checks that no part is null. */
        public Cast {
            Objects.requireNonNull(operand, "operand");
            Objects.requireNonNull(dtype, "dtype");
        }
    }

    /**
     * Tensor argument {@code index}.
     *
     * @param index position in the argument list, {@code >= 0}
     * @return the expression
     */
    static Expr input(int index) {
        return new Input(index);
    }

    /**
     * The float32 constant {@code value}.
     *
     * @param value the constant
     * @return the expression
     */
    static Expr scalar(float value) {
        return new Scalar(value);
    }

    /**
     * {@code left + right} rounded to {@code dtype}.
     *
     * @param left  the left operand
     * @param right the right operand
     * @param dtype the dtype the result is rounded to
     * @return the expression
     */
    static Expr add(Expr left, Expr right, DType dtype) {
        return new Binary(Op.ADD, left, right, dtype);
    }

    /**
     * {@code left - right} rounded to {@code dtype}.
     *
     * @param left  the left operand
     * @param right the right operand
     * @param dtype the dtype the result is rounded to
     * @return the expression
     */
    static Expr sub(Expr left, Expr right, DType dtype) {
        return new Binary(Op.SUB, left, right, dtype);
    }

    /**
     * {@code left * right} rounded to {@code dtype}.
     *
     * @param left  the left operand
     * @param right the right operand
     * @param dtype the dtype the result is rounded to
     * @return the expression
     */
    static Expr mul(Expr left, Expr right, DType dtype) {
        return new Binary(Op.MUL, left, right, dtype);
    }

    /**
     * {@code left / right} rounded to {@code dtype}.
     *
     * @param left  the left operand
     * @param right the right operand
     * @param dtype the dtype the result is rounded to
     * @return the expression
     */
    static Expr div(Expr left, Expr right, DType dtype) {
        return new Binary(Op.DIV, left, right, dtype);
    }

    /**
     * {@code operand.to(dtype)}.
     *
     * @param operand the value to round
     * @param dtype   the dtype it is rounded to
     * @return the expression
     */
    static Expr cast(Expr operand, DType dtype) {
        return new Cast(operand, dtype);
    }

    /**
     * The expression of {@code spec}: {@code round(out, round(sum, round(px, round(px, a)*x) + round(py, round(py,
     * b)*y)))} with {@code x} = input 0 and {@code y} = input 1. Evaluates exactly as {@link AffineSpec#apply}.
     *
     * @param a    the coefficient of input 0
     * @param b    the coefficient of input 1
     * @param spec where each operation rounds
     * @return the expression
     */
    static Expr affine(float a, float b, AffineSpec spec) {
        Expr px = mul(scalar(spec.productX().round(a)), input(0), spec.productX());
        Expr py = mul(scalar(spec.productY().round(b)), input(1), spec.productY());
        return cast(add(px, py, spec.sum()), spec.out());
    }

    /**
     * Evaluates one element: the reference every backend must reproduce.
     *
     * @param inputs the element of each tensor argument, as float32 values (exact for every dtype)
     * @return the element of the result, a value of the root's dtype
     */
    default float apply(float[] inputs) {
        return switch (this) {
            case Input in -> inputs[in.index()];
            case Scalar s -> s.value();
            case Binary b -> b.dtype().round(b.op().apply(b.left().apply(inputs), b.right().apply(inputs)));
            case Cast c -> c.dtype().round(c.operand().apply(inputs));
        };
    }

    /**
     * The dtype of this expression's result given the dtypes of the tensor arguments: an input's own dtype,
     * float32 for a scalar, the node's dtype otherwise.
     *
     * @param inputDtypes the dtype of each tensor argument
     * @return the result's dtype
     */
    default DType dtype(DType[] inputDtypes) {
        return switch (this) {
            case Input in -> inputDtypes[in.index()];
            case Scalar s -> DType.FLOAT32;
            case Binary b -> b.dtype();
            case Cast c -> c.dtype();
        };
    }

    /**
     * One more than the highest input index used, 0 when the expression reads no tensor.
     *
     * @return the number of tensor arguments the expression reads
     */
    default int arity() {
        return switch (this) {
            case Input in -> in.index() + 1;
            case Scalar s -> 0;
            case Binary b -> Math.max(b.left().arity(), b.right().arity());
            case Cast c -> c.operand().arity();
        };
    }

    /**
     * The nesting depth: 1 for an input or a scalar.
     *
     * @return the depth, {@code >= 1}
     */
    default int depth() {
        return switch (this) {
            case Input in -> 1;
            case Scalar s -> 1;
            case Binary b -> 1 + Math.max(b.left().depth(), b.right().depth());
            case Cast c -> 1 + c.operand().depth();
        };
    }
}

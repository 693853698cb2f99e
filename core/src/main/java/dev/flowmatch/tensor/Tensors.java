package dev.flowmatch.tensor;

import java.util.Objects;

/** Argument checks shared by every backend, so each message is written once. */
public final class Tensors {
    private Tensors() {}

    /**
     * Checks that {@code tensor} is non-null, open, and owned by {@code backend}; returns it.
     *
     * @param backend the backend that must own the tensor
     * @param tensor  the tensor
     * @param role    the argument's name, for the message
     * @return {@code tensor}
     * @throws NullPointerException     if {@code tensor} is null
     * @throws IllegalArgumentException if another backend owns it
     * @throws IllegalStateException    if it is closed
     */
    public static Tensor requireOwned(TensorBackend backend, Tensor tensor, String role) {
        Objects.requireNonNull(tensor, role);
        tensor.requireOpen(role);
        if (tensor.backend() != backend) {
            throw new IllegalArgumentException(role + ": tensor belongs to backend '" + tensor.backend().name()
                    + "' but was passed to backend '" + backend.name() + "'; convert it with "
                    + "Tensors.transfer(tensor, target) first");
        }
        return tensor;
    }

    /**
     * Checks that two tensors have the same shape, naming both sides.
     *
     * @param roleA the first argument's name
     * @param a     the first tensor
     * @param roleB the second argument's name
     * @param b     the second tensor
     * @throws IllegalArgumentException if the shapes differ
     */
    public static void requireSameShape(String roleA, Tensor a, String roleB, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException("shape mismatch: " + roleA + " is " + a.shape() + " but " + roleB
                    + " is " + b.shape());
        }
    }

    /**
     * Checks that a host array has as many elements as the shape.
     *
     * @param length the array's length
     * @param shape  the shape
     * @param role   the argument's name
     * @throws IllegalArgumentException if they differ
     */
    public static void requireLength(int length, Shape shape, String role) {
        Objects.requireNonNull(shape, "shape");
        if (length != shape.numelAsInt()) {
            throw new IllegalArgumentException(role + ": " + length + " values given for shape " + shape + " ("
                    + shape.numel() + " elements)");
        }
    }

    /**
     * Checks 16-bit patterns are in 0..65535 (the layout of {@link TensorBackend#fromBits}).
     *
     * @param bits  the patterns
     * @param dtype the dtype they are for (float32 takes any int)
     * @throws IllegalArgumentException naming the first pattern out of range
     */
    public static void requireSixteenBitPatterns(int[] bits, DType dtype) {
        if (dtype == DType.FLOAT32) {
            return;
        }
        for (int i = 0; i < bits.length; i++) {
            if ((bits[i] & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("bits[" + i + "] = " + bits[i] + " is not a 16-bit pattern for "
                        + dtype.torchName() + " (expected 0..65535)");
            }
        }
    }

    /**
     * The checks of {@link TensorBackend#fromFloats}: non-null arguments, one value per element.
     *
     * @param values the values
     * @param dtype  the dtype
     * @param shape  the shape
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the lengths differ
     */
    public static void checkHostValues(float[] values, DType dtype, Shape shape) {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(dtype, "dtype");
        requireLength(values.length, shape, "values");
    }

    /**
     * The checks of {@link TensorBackend#fromBits}: non-null arguments, one pattern per element, 16-bit patterns.
     *
     * @param bits  the bit patterns
     * @param dtype the dtype
     * @param shape the shape
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the lengths differ or a 16-bit pattern is out of range
     */
    public static void checkHostBits(int[] bits, DType dtype, Shape shape) {
        Objects.requireNonNull(bits, "bits");
        Objects.requireNonNull(dtype, "dtype");
        requireLength(bits.length, shape, "bits");
        requireSixteenBitPatterns(bits, dtype);
    }

    /**
     * The checks of {@link TensorBackend#elementwise}: a valid expression (not deeper than {@link Expr#MAX_DEPTH},
     * reading at least one tensor), exactly as many tensors as it reads, each owned by {@code backend} and open,
     * their shapes broadcastable. Returns the broadcast shape of the result.
     *
     * @param backend    the backend that must own the tensors
     * @param expression the expression
     * @param inputs     the tensor arguments
     * @return the shape of the result
     * @throws IllegalArgumentException naming what is wrong
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Shape checkElementwise(TensorBackend backend, Expr expression, Tensor... inputs) {
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(inputs, "inputs");
        requireDepth(expression, 1);
        int arity = expression.arity();
        if (arity == 0) {
            throw new IllegalArgumentException("expression: reads no tensor (a result needs a shape): " + expression);
        }
        if (inputs.length != arity) {
            throw new IllegalArgumentException("inputs: " + inputs.length + " tensors given but the expression reads "
                    + arity + " (inputs 0.." + (arity - 1) + ")");
        }
        Shape shape = null;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = requireOwned(backend, inputs[i], "inputs[" + i + "]");
            shape = shape == null ? t.shape() : Shape.broadcast(shape, t.shape());
        }
        // broadcasting can ask for far more than its inputs hold ([N, 1] with [1, M]): check before allocating
        dev.flowmatch.Limits.requireElements("elementwise result", shape, null);
        return shape;
    }

    /**
     * The dtypes of {@code inputs}, for {@link Expr#dtype}.
     *
     * @param inputs the tensors
     * @return their dtypes, in order
     */
    public static DType[] dtypes(Tensor... inputs) {
        DType[] dtypes = new DType[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            dtypes[i] = inputs[i].dtype();
        }
        return dtypes;
    }

    /**
     * The values of a tensor of shape {@code from} repeated to the broadcast shape {@code to} (row-major); the
     * array itself when the shapes are equal.
     *
     * @param values the values, row-major
     * @param from   their shape
     * @param to     a shape {@code from} broadcasts to
     * @return the values of shape {@code to}
     */
    public static float[] broadcastValues(float[] values, Shape from, Shape to) {
        if (from.equals(to)) {
            return values;
        }
        int rank = to.rank();
        int offset = rank - from.rank();
        long[] toDims = to.dims();
        // Stride of each result dimension in the source: 0 where the source repeats.
        long[] sourceStrides = new long[rank];
        long stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            long size = d < offset ? 1 : from.dim(d - offset);
            sourceStrides[d] = size == 1 ? 0 : stride;
            stride *= size;
        }
        int n = to.numelAsInt();
        float[] out = new float[n];
        long[] index = new long[rank];
        long source = 0;
        for (int e = 0; e < n; e++) {
            out[e] = values[(int) source];
            // Advance the multi-index like an odometer, keeping the source offset in step.
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                source += sourceStrides[d];
                if (index[d] < toDims[d]) {
                    break;
                }
                source -= sourceStrides[d] * index[d];
                index[d] = 0;
            }
        }
        return out;
    }

    private static void requireDepth(Expr expression, int depth) {
        if (depth > Expr.MAX_DEPTH) {
            throw new IllegalArgumentException("expression: nested deeper than " + Expr.MAX_DEPTH + " operations");
        }
        switch (expression) {
            case Expr.Binary b -> {
                requireDepth(b.left(), depth + 1);
                requireDepth(b.right(), depth + 1);
            }
            case Expr.Cast c -> requireDepth(c.operand(), depth + 1);
            case Expr.Input in -> { }
            case Expr.Scalar s -> { }
        }
    }

    /**
     * Copies a tensor to another backend (through the host, bit-exact). Returns a new tensor.
     *
     * @param tensor the tensor (stays open; the caller still owns it)
     * @param target the backend to copy to
     * @return a new tensor on {@code target} that the caller must close
     */
    public static Tensor transfer(Tensor tensor, TensorBackend target) {
        tensor.requireOpen("tensor");
        if (tensor.backend() == target) {
            return target.convert(tensor, tensor.dtype());
        }
        return target.fromBits(tensor.backend().toBits(tensor), tensor.dtype(), tensor.shape());
    }
}

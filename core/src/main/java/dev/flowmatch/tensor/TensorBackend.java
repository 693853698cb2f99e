package dev.flowmatch.tensor;

/**
 * The service interface a tensor runtime implements to run flowmatch: found with {@link java.util.ServiceLoader}
 * (see {@link Backends}).
 *
 * <p>A backend only moves numbers: it creates tensors from host data, reads them back, converts dtypes and
 * evaluates two primitives, {@link #affine} (the Euler step) and {@link #elementwise} (any step written as an
 * {@link Expr}). All schedule math and all step logic live in core.
 *
 * <p>Implementations must be thread-safe: one backend instance serves every scheduler in the JVM. Tensors are
 * immutable values; concurrent reads of one tensor are allowed.
 *
 * <p>Every method that takes a tensor checks that it belongs to this backend and is open, and throws
 * {@link IllegalArgumentException} / {@link IllegalStateException} naming the argument otherwise. Native failures
 * surface as {@link BackendException}; no input may crash the JVM.
 */
public interface TensorBackend {

    /**
     * The name used to select this backend ({@code java}, {@code djl}, {@code mlx}, ...).
     *
     * @return the name, lower case
     */
    String name();

    /**
     * Preference when no backend is named: the available backend with the highest priority wins. Guide: a
     * backend computing on a GPU 100+, the pure-Java backend 50, a native backend computing on the CPU below 50
     * (the pure-Java step is as fast on a CPU and starts instantly; see bench/RESULTS.md).
     *
     * @return the priority
     */
    int priority();

    /**
     * Whether this backend works here, on which device, or why not. Must not throw.
     *
     * @return the availability
     */
    Availability availability();

    /**
     * Shorthand for {@code availability().available()}.
     *
     * @return whether this backend works here
     */
    default boolean isAvailable() {
        return availability().available();
    }

    /**
     * Whether {@link #affine} may fuse a multiply and an add (one rounding instead of two). A fusing backend
     * is held to one ulp of the output dtype by the conformance suite instead of bit equality.
     *
     * @return true if {@code affine} may round once where the spec rounds twice
     */
    default boolean fusesMultiplyAdd() {
        return false;
    }

    /**
     * A new tensor holding {@code values} rounded to {@code dtype} (to nearest, ties to even).
     *
     * @param values the values, row-major, one per element
     * @param dtype  the tensor's dtype
     * @param shape  the tensor's shape
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the number of values does not match the shape
     */
    Tensor fromFloats(float[] values, DType dtype, Shape shape);

    /**
     * A new tensor holding exactly these raw bits: int32 patterns for float32, and for bfloat16 / float16 the
     * 16-bit patterns in the low half of each int (0..65535; anything else is rejected).
     *
     * @param bits  the bit patterns, row-major, one per element
     * @param dtype the tensor's dtype
     * @param shape the tensor's shape
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the number of patterns does not match the shape, or a 16-bit pattern is
     *                                  out of range
     */
    Tensor fromBits(int[] bits, DType dtype, Shape shape);

    /**
     * The tensor's values as float32 (exact: every dtype here widens to float32 without rounding).
     *
     * @param tensor a tensor of this backend (stays open)
     * @return its values, row-major
     */
    float[] toFloats(Tensor tensor);

    /**
     * The tensor's raw bits, in the layout {@link #fromBits} takes.
     *
     * @param tensor a tensor of this backend (stays open)
     * @return its bit patterns, row-major
     */
    int[] toBits(Tensor tensor);

    /**
     * A new tensor with this tensor's values in another dtype (rounded to nearest, ties to even).
     *
     * @param tensor a tensor of this backend (stays open)
     * @param dtype  the new dtype
     * @return a new tensor the caller must close
     */
    Tensor convert(Tensor tensor, DType dtype);

    /**
     * {@code a*x + b*y}, elementwise, rounded as {@code spec} says. {@code x} and {@code y} must have the same
     * shape; their dtypes may differ (each is widened exactly to float32 before its product).
     *
     * @param a    the coefficient of {@code x}
     * @param x    a tensor of this backend (stays open)
     * @param b    the coefficient of {@code y}
     * @param y    a tensor of this backend, the shape of {@code x} (stays open)
     * @param spec where each operation rounds, and the result's dtype
     * @return a new tensor the caller must close
     * @throws IllegalArgumentException if the shapes differ or a tensor is of another backend
     * @throws IllegalStateException    if a tensor is closed
     */
    Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec);

    /**
     * Evaluates {@code expression} elementwise over {@code inputs} ({@code inputs[i]} is {@link Expr.Input}
     * {@code i}), rounded exactly as {@link Expr} specifies (or within one ulp of the result's dtype if this backend
     * declares {@link #fusesMultiplyAdd()}). Inputs broadcast to a common shape, which the result has; its dtype is
     * the root's ({@link Expr#dtype}).
     *
     * <p>The default reads the inputs to the host, evaluates {@link Expr#apply} there and uploads the result: correct
     * on any backend, but a copy each way. Backends override it to compute where the tensors live ({@code java},
     * {@code djl} and {@code mlx} do); {@link Tensors#checkElementwise} has the argument checks.
     *
     * @param expression the expression; {@link Expr.Input} {@code i} reads {@code inputs[i]}
     * @param inputs     the tensors it reads, as many as {@link Expr#arity()}
     * @return a new tensor of the broadcast shape and the root's dtype
     */
    default Tensor elementwise(Expr expression, Tensor... inputs) {
        Shape shape = Tensors.checkElementwise(this, expression, inputs);
        float[][] values = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            values[i] = Tensors.broadcastValues(toFloats(inputs[i]), inputs[i].shape(), shape);
        }
        int n = shape.numelAsInt();
        float[] out = new float[n];
        float[] element = new float[inputs.length];
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < inputs.length; i++) {
                element[i] = values[i][e];
            }
            out[e] = expression.apply(element);
        }
        return fromFloats(out, expression.dtype(Tensors.dtypes(inputs)), shape);
    }

    /**
     * Waits until {@code tensor}'s value has been computed. Lazy runtimes (MLX builds a graph; CUDA queues
     * kernels) compute here; eager backends return at once. Only timing code needs this: reading a tensor
     * ({@link #toFloats}, {@link #toBits}) always evaluates it.
     *
     * @param tensor a tensor of this backend
     */
    default void evaluate(Tensor tensor) {
        Tensors.requireOwned(this, tensor, "tensor");
    }

    /**
     * Standard normal noise from this runtime's own generator ({@code NATIVE} noise): deterministic for a
     * seed on one backend, but not portable between backends. Backends without one throw
     * {@link UnsupportedOperationException}.
     *
     * @param seed  the seed of this runtime's generator
     * @param dtype the dtype
     * @param shape the shape
     * @return a new tensor the caller must close
     * @throws UnsupportedOperationException if this backend has no generator of its own
     * @throws IllegalArgumentException      if the shape has more elements than
     *                                       {@link dev.flowmatch.Limits#maxElements()} (checked before allocating)
     */
    default Tensor nativeNormal(long seed, DType dtype, Shape shape) {
        throw new UnsupportedOperationException("backend '" + name() + "' has no native random generator");
    }
}

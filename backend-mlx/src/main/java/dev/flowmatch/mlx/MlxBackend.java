package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The {@code mlx} backend: MLX through mlx-c, bound with the FFM API. Computes on the GPU (Metal on Apple
 * silicon) where MLX has one, else on the CPU.
 *
 * <p>libmlxc is found through {@value #LIBRARY_PROPERTY}, {@value #LIBRARY_ENVIRONMENT}, {@code /opt/homebrew/lib},
 * {@code /usr/local/lib} and {@code java.library.path}, loaded once per JVM and checked (every function bound,
 * MLX version {@link MlxVersion#supportedRange()}); {@link #availability()} gives the reason when that fails.
 *
 * <p>{@link #affine} only builds MLX's lazy graph: no data moves to the host and nothing is computed until a
 * tensor is read ({@link #toFloats}, {@link #toBits}), {@link #eval evaluated}, or consumed by the caller's own
 * MLX code. Results are bit-identical to the reference {@code java} backend: MLX computes each multiply and add
 * as its own correctly rounded float32 op (no fused multiply-add), and its dtype conversions are checked at load
 * and fixed where they differ from Java's (NaN encodings; see {@link Conversions}).
 *
 * <p>Thread-safe: every call into MLX holds one lock. Use the instance from
 * {@link dev.flowmatch.tensor.Backends#named(String) Backends.named("mlx")}: tensors belong to one instance.
 */
public final class MlxBackend implements TensorBackend {
    /** The name of this backend: {@value}. */
    public static final String NAME = "mlx";
    /** System property: libmlxc's path (a file, or the folder holding it). */
    public static final String LIBRARY_PROPERTY = "flowmatch.mlx.library";
    /** Environment variable: libmlxc's path, used when the system property is not set. */
    public static final String LIBRARY_ENVIRONMENT = "FLOWMATCH_MLX_LIBRARY";
    /**
     * System property: {@code auto} (default: the GPU where MLX has one that passes the load-time checks, else the
     * CPU), {@code gpu} (the GPU or unavailable) or {@code cpu}.
     */
    public static final String DEVICE_PROPERTY = "flowmatch.mlx.device";
    /** System property: {@code true} accepts an MLX version flowmatch has not been checked with. */
    public static final String SKIP_VERSION_CHECK_PROPERTY = "flowmatch.mlx.skipVersionCheck";

    /** Priority on a GPU: above the pure-Java backend (50). */
    static final int GPU_PRIORITY = 110;
    /** Priority on the CPU: below the pure-Java backend, which is as fast there for a streaming step. */
    static final int CPU_PRIORITY = 40;

    /** Public for {@link java.util.ServiceLoader}; prefer {@code Backends.named("mlx")}. */
    public MlxBackend() {}

    /** The runtime, loaded on first use; or why it could not be. */
    private static final class Loaded {
        static final MlxRuntime RUNTIME;
        static final Throwable CAUSE;

        static {
            MlxRuntime runtime = null;
            Throwable cause = null;
            try {
                runtime = MlxRuntime.load();
            } catch (Exception | LinkageError e) {
                cause = e;
            }
            RUNTIME = runtime;
            CAUSE = cause;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        try {
            MlxRuntime runtime = Loaded.RUNTIME;
            return runtime != null && runtime.gpu ? GPU_PRIORITY : CPU_PRIORITY;
        } catch (Throwable t) { // as availability(): never throws
            return CPU_PRIORITY;
        }
    }

    @Override
    public Availability availability() {
        try {
            MlxRuntime runtime = Loaded.RUNTIME;
            return runtime != null ? Availability.available(runtime.deviceName)
                    : Availability.unavailable(Loaded.CAUSE);
        } catch (Throwable t) { // e.g. an Error while initialising: availability() never throws
            return Availability.unavailable(t);
        }
    }

    @Override
    public boolean fusesMultiplyAdd() {
        return false;
    }

    /**
     * MLX's version as libmlxc reports it (e.g. {@code 0.31.2}).
     *
     * @return the version text
     */
    public String mlxVersion() {
        return runtime().version.text();
    }

    /**
     * Device, MLX version, library path and conversion modes, in one line (for logs and reports).
     *
     * @return the description
     */
    public String describe() {
        return runtime().describe() + "; " + runtime().probeReport().describe();
    }

    // ---------------------------------------------------------------- host data in and out

    @Override
    public Tensor fromFloats(float[] values, DType dtype, Shape shape) {
        Tensors.checkHostValues(values, dtype, shape);
        if (dtype != DType.FLOAT32) {
            short[] halves = new short[values.length];
            for (int i = 0; i < values.length; i++) {
                halves[i] = (short) dtype.floatToBits(values[i]); // rounded on the host, exactly as java does
            }
            return uploadHalves(halves, dtype, shape);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1L, 4L * values.length), 8);
            MemorySegment.copy(values, 0, data, JAVA_FLOAT, 0, values.length);
            return upload(data, dtype, shape);
        }
    }

    @Override
    public Tensor fromBits(int[] bits, DType dtype, Shape shape) {
        Tensors.checkHostBits(bits, dtype, shape);
        if (dtype != DType.FLOAT32) {
            short[] halves = new short[bits.length];
            for (int i = 0; i < bits.length; i++) {
                halves[i] = (short) bits[i];
            }
            return uploadHalves(halves, dtype, shape);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1L, 4L * bits.length), 8);
            MemorySegment.copy(bits, 0, data, JAVA_INT, 0, bits.length);
            return upload(data, dtype, shape);
        }
    }

    /** 16-bit patterns (bfloat16 or float16) to a new MLX array. */
    private Tensor uploadHalves(short[] halves, DType dtype, Shape shape) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(Math.max(1L, 2L * halves.length), 8);
            MemorySegment.copy(halves, 0, data, JAVA_SHORT, 0, halves.length);
            return upload(data, dtype, shape);
        }
    }

    private Tensor upload(MemorySegment data, DType dtype, Shape shape) {
        int[] dims = mlxShape(shape);
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            return new MlxTensor(this, runtime, g.keep(g.fromData(data, dims, MlxTensor.mlxDtype(dtype))), shape, dtype);
        }
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        int[] bits = toBits(tensor);
        DType dtype = tensor.dtype();
        float[] values = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            values[i] = dtype.bitsToFloat(bits[i]);
        }
        return values;
    }

    /** Evaluates the tensor (row-major) and copies its raw bits to the host. */
    @Override
    public int[] toBits(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            MlxTensor t = own(tensor, "tensor");
            int n = t.shape().numelAsInt();
            int[] bits = new int[n];
            if (n == 0) {
                return bits;
            }
            MemorySegment dense = g.contiguous(t.array());
            g.c().eval(dense);
            int width = t.dtype().byteSize();
            MemorySegment data = g.c().data(dense, width, (long) n * width);
            if (width == 4) {
                MemorySegment.copy(data, JAVA_INT, 0, bits, 0, n);
            } else {
                short[] halves = new short[n];
                MemorySegment.copy(data, JAVA_SHORT, 0, halves, 0, n);
                for (int i = 0; i < n; i++) {
                    bits[i] = halves[i] & 0xFFFF;
                }
            }
            return bits;
        }
    }

    // ---------------------------------------------------------------- compute (lazy)

    @Override
    public Tensor convert(Tensor tensor, DType dtype) {
        Objects.requireNonNull(tensor, "tensor");
        Objects.requireNonNull(dtype, "dtype");
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            MlxTensor t = own(tensor, "tensor");
            MemorySegment out = g.keep(g.convert(t.array(), t.dtype(), dtype));
            return new MlxTensor(this, runtime, out, t.shape(), dtype);
        }
    }

    /**
     * {@code a*x + b*y} as {@code spec} says, as a lazy MLX graph: each operand widened to float32, multiplied by
     * its coefficient (itself rounded to the product's dtype first), the product rounded to its dtype, the two
     * added in float32, the sum rounded to its dtype, then to the output dtype. Each rounding is an
     * {@code mlx_astype} (with the fix-ups {@link Conversions} needs); each op is correctly rounded float32, as
     * in {@link AffineSpec#apply}.
     */
    @Override
    public Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(y, "y");
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            MlxTensor tx = own(x, "x");
            MlxTensor ty = own(y, "y");
            Tensors.requireSameShape("x", tx, "y", ty);
            MemorySegment out = g.keep(g.affine(a, tx.array(), tx.dtype(), b, ty.array(), ty.dtype(), spec));
            return new MlxTensor(this, runtime, out, tx.shape(), spec.out());
        }
    }

    /**
     * {@code expression} as a lazy MLX graph, one op per node ({@link Graph#expression}): nothing moves to the
     * host, and the result is bit-identical to {@link Expr#apply}. Every intermediate handle is freed before this
     * returns (MLX keeps what the result's graph needs until it is evaluated).
     */
    @Override
    public Tensor elementwise(Expr expression, Tensor... inputs) {
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(inputs, "inputs");
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            Shape shape = Tensors.checkElementwise(this, expression, inputs);
            MemorySegment[] arrays = new MemorySegment[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                arrays[i] = ((MlxTensor) inputs[i]).array();
            }
            DType[] dtypes = Tensors.dtypes(inputs);
            MemorySegment out = g.keep(g.expression(expression, arrays, dtypes, mlxShape(shape)));
            return new MlxTensor(this, runtime, out, shape, expression.dtype(dtypes));
        }
    }

    /**
     * {@code mlx.random.normal(shape, dtype, key = mlx.random.key(seed))} on the backend's device: what Ollama's
     * MLX engine draws for a seed ({@code mlx.RandomNormalWithDtype(shape, uint64(seed), dtype)}; a negative seed
     * is taken as its two's complement, like Go's {@code uint64(int64)}). Deterministic for a seed, MLX version
     * and device; not the same numbers as any other backend.
     */
    @Override
    public Tensor nativeNormal(long seed, DType dtype, Shape shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        // the cap on allocations from a shape, before the engine allocates (an engine's out-of-memory may abort)
        dev.flowmatch.Limits.requireElements("noise", shape, dtype);
        int[] dims = mlxShape(shape);
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph(); Arena arena = Arena.ofConfined()) {
            MemorySegment dimsSegment = arena.allocate(JAVA_INT, Math.max(1, dims.length));
            MemorySegment.copy(dims, 0, dimsSegment, JAVA_INT, 0, dims.length);
            MemorySegment key = g.temp(g.c().randomKey(seed));
            MemorySegment normal = g.c().randomNormal(dimsSegment, dims.length, MlxTensor.mlxDtype(dtype), key,
                    g.stream());
            return new MlxTensor(this, runtime, normal, shape, dtype);
        }
    }

    // ---------------------------------------------------------------- MLX interop

    /**
     * Wraps an array that already lives in MLX (say, a model's output) without copying its data: the tensor
     * takes a reference of its own ({@code mlx_array_set}), so the caller still owns {@code mlxArrayCtx} and
     * frees it as before, and closing the tensor frees only the tensor's reference. The array must come from the
     * same libmlxc (the same process-wide MLX) and be float32, bfloat16 or float16.
     *
     * @param mlxArrayCtx an {@code mlx_array}'s {@code ctx} pointer (the value of an {@code mlx_array} passed
     *                    by value; what an mlx-c function bound with a pointer-sized return gives)
     * @throws IllegalArgumentException for a {@code NULL} handle or another dtype
     *
     * @return a tensor holding its own reference to the array; close it when done
     */
    public MlxTensor wrap(MemorySegment mlxArrayCtx) {
        Objects.requireNonNull(mlxArrayCtx, "mlxArrayCtx");
        if (mlxArrayCtx.address() == 0) {
            throw new IllegalArgumentException("wrap: the mlx_array is empty (ctx is NULL)");
        }
        MemorySegment ctx = MemorySegment.ofAddress(mlxArrayCtx.address());
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            int mlxDtype = g.c().dtype(ctx);
            DType dtype = MlxTensor.dtypeOf(mlxDtype);
            if (dtype == null) {
                throw new IllegalArgumentException("wrap: the mlx_array has mlx_dtype " + mlxDtype
                        + "; flowmatch holds float32, bfloat16 and float16 (convert it with mlx_astype first)");
            }
            Shape shape = Shape.of(g.c().shape(ctx));
            return new MlxTensor(this, runtime, g.c().arrayRetain(ctx), shape, dtype);
        }
    }

    /**
     * Like {@link #wrap(MemorySegment)}, for a segment that holds an {@code mlx_array} struct (as jextract-style
     * bindings allocate it): reads the {@code ctx} pointer at offset 0.
     *
     * @param mlxArrayStruct a segment whose first 8 bytes are an {@code mlx_array}'s {@code ctx} pointer
     * @return a tensor holding its own reference to the array; close it when done
     * @throws IllegalArgumentException for a {@code NULL} handle or another dtype
     */
    public MlxTensor wrapStruct(MemorySegment mlxArrayStruct) {
        Objects.requireNonNull(mlxArrayStruct, "mlxArrayStruct");
        return wrap(mlxArrayStruct.get(ADDRESS, 0));
    }

    /**
     * Computes these tensors now ({@code mlx_array_eval}), without copying anything to the host. A loop that
     * never reads or evaluates its tensors grows MLX's graph step after step, as in MLX itself.
     *
     * @param tensors tensors of this backend (they stay open)
     */
    public void eval(Tensor... tensors) {
        MlxRuntime runtime = runtime();
        try (Graph g = runtime.graph()) {
            for (int i = 0; i < tensors.length; i++) {
                g.c().eval(own(tensors[i], "tensors[" + i + "]").array());
            }
        }
    }

    /** The SPI's {@code evaluate}: {@link #eval} of one tensor. */
    @Override
    public void evaluate(Tensor tensor) {
        eval(tensor);
    }

    /**
     * MLX's allocator counters, in bytes.
     *
     * @param active bytes in live arrays ({@code mlx_get_active_memory})
     * @param peak   the most bytes live at once so far ({@code mlx_get_peak_memory})
     * @param cache  bytes held in MLX's buffer cache ({@code mlx_get_cache_memory})
     */
    public record MemoryStats(long active, long peak, long cache) {}

    /**
     * {@code mlx_get_active_memory}, {@code mlx_get_peak_memory}, {@code mlx_get_cache_memory}.
     *
     * @return the counters now
     */
    public MemoryStats memory() {
        MlxRuntime runtime = runtime();
        runtime.lock.lock();
        try {
            return new MemoryStats(runtime.c.activeMemory(), runtime.c.peakMemory(), runtime.c.cacheMemory());
        } finally {
            runtime.lock.unlock();
        }
    }

    /** {@code mlx_clear_cache}: returns the allocator's cached buffers to the system. */
    public void clearCache() {
        MlxRuntime runtime = runtime();
        runtime.lock.lock();
        try {
            runtime.c.clearCache();
        } finally {
            runtime.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The loaded runtime, or {@link IllegalStateException} with the reason it is unavailable. */
    MlxRuntime runtime() {
        MlxRuntime runtime = Loaded.RUNTIME;
        if (runtime == null) {
            throw new IllegalStateException("backend 'mlx' is unavailable: " + Loaded.CAUSE.getMessage(),
                    Loaded.CAUSE);
        }
        return runtime;
    }

    /** Checks ownership and that the tensor is open; callers hold the runtime lock (a {@link Graph}). */
    private MlxTensor own(Tensor tensor, String role) {
        return (MlxTensor) Tensors.requireOwned(this, tensor, role);
    }

    /** MLX shapes are {@code int}s. */
    private static int[] mlxShape(Shape shape) {
        long[] dims = shape.dims();
        int[] ints = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + shape + ": dimension " + i + " is larger than MLX's "
                        + "limit of " + Integer.MAX_VALUE);
            }
            ints[i] = (int) dims[i];
        }
        return ints;
    }
}

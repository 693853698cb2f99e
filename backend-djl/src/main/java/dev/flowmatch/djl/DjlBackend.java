package dev.flowmatch.djl;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.lang.ref.Reference;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The {@code djl} backend: flowmatch tensors are DJL {@link NDArray}s computed by the PyTorch engine, on the CPU
 * or, where the engine sees one, on a CUDA GPU ({@code gpu:0}; {@code -Dflowmatch.djl.device=cpu|gpu:N} picks
 * another).
 *
 * <p><b>Bit-exact.</b> {@link #affine} composes PyTorch eager ops that each round once, so every
 * {@link AffineSpec} gives the pure-Java backend's bits (see {@link Kernels}). {@link #fusesMultiplyAdd()} is
 * false.
 *
 * <p><b>bfloat16.</b> DJL 0.36's JNI has no mapping for PyTorch's bfloat16 (DJL's dtype code for it ends in a
 * bare {@code throw;}, i.e. {@code std::terminate}): creating a BFLOAT16 NDArray, or converting to one, kills the
 * JVM. This backend therefore never asks DJL for one: a bfloat16 tensor is a PyTorch bfloat16 tensor made by
 * TorchScript ({@link TorchScriptKernels}; two bytes an element), which DJL holds as an NDArray of dtype UNKNOWN.
 * Every computation on it runs in TorchScript; the rest of the backend only clones, expands and closes it, DJL
 * calls that map no dtype. Because most DJL calls on such an array would abort the JVM, {@link #ndArray(Tensor)}
 * refuses a bfloat16 tensor: take {@code ndArray(convert(tensor, FLOAT32))} (exact). A PyTorch bfloat16 tensor that reaches Java anyway (e.g. a
 * TorchScript model's output) shows as DJL dtype UNKNOWN: {@link #wrap(NDArray)} refuses it with an explanation
 * instead of touching it, and {@link #fromTorchBfloat16(NDArray)} clones it on its device.
 *
 * <p><b>Interop.</b> {@link #wrap(NDArray)} makes a tensor of an existing array without copying; results are
 * new arrays on the inputs' device, readable with {@link #ndArray(Tensor)}. Neither {@link #affine} nor
 * {@link #convert} copies between host and device or waits for the device: coefficients are host floats passed
 * as 0-dim CPU tensors, which CUDA kernels take as arguments. Only {@link #toFloats}, {@link #toBits},
 * {@link #fromFloats} and {@link #fromBits} move data between host and device.
 *
 * <p><b>Resources.</b> Every intermediate array of a call is closed before it returns. A tensor this backend
 * returns owns its array: close the tensor (try-with-resources) to free it. Results are attached to a
 * long-lived manager per device owned by this backend. As a safety net, the array of a tensor that becomes
 * unreachable without being closed is freed by a {@link java.lang.ref.Cleaner}, with a warning the first time;
 * native memory does not make the garbage collector run, so do not rely on it.
 *
 * <p>Thread-safe; use one instance: {@link #instance()} (the one {@link Backends} found) so that its tensors
 * are accepted by every scheduler.
 */
public final class DjlBackend implements TensorBackend {
    /** The name of this backend: {@value}. */
    public static final String NAME = "djl";

    private static final Object SEED_LOCK = new Object();

    /** Public for {@link java.util.ServiceLoader}; prefer {@link #instance()} or {@code Backends.named("djl")}. */
    public DjlBackend() {}

    /**
     * The instance {@link Backends} found (so its tensors are accepted everywhere), or a private one.
     *
     * @return the backend
     */
    public static DjlBackend instance() {
        return Backends.find(NAME).filter(DjlBackend.class::isInstance).map(DjlBackend.class::cast)
                .orElseGet(() -> Fallback.INSTANCE);
    }

    private static final class Fallback {
        static final DjlBackend INSTANCE = new DjlBackend();
    }

    @Override
    public String name() {
        return NAME;
    }

    /** 110 on a GPU, 40 on the CPU (the pure-Java backend, at 50, is as fast there for a streaming step), 10 if unavailable. */
    @Override
    public int priority() {
        Availability availability = availability();
        if (!availability.available()) {
            return 10;
        }
        return availability.device().startsWith("gpu") ? 110 : 40;
    }

    /** Loads the PyTorch engine on first use; if it cannot load, the engine's error is the cause. Never throws. */
    @Override
    public Availability availability() {
        return DjlRuntime.availability();
    }

    /**
     * The device new tensors are created on ({@code cpu()} or {@code gpu(0)}).
     *
     * @return the device
     * @throws IllegalStateException if the PyTorch engine cannot load
     */
    public Device device() {
        return DjlRuntime.get().device();
    }

    // ------------------------------------------------------------------------------------------------ interop

    /**
     * A tensor over {@code array} without copying: FLOAT32 arrays are float32 tensors, FLOAT16 arrays float16.
     * The tensor borrows the array: closing the tensor leaves the array open; closing the array (or its manager)
     * makes the tensor closed. Results of operations on it stay on the array's device. An array that requires a
     * gradient is wrapped as a detached view of the same memory, so no autograd graph is recorded.
     *
     * @throws IllegalArgumentException for an array of another engine, of another dtype (a PyTorch bfloat16
     *                                  tensor shows as UNKNOWN in DJL 0.36 and is refused, never touched), or sparse
     * @throws IllegalStateException    if the array is already closed
     *
     * @param array a FLOAT32 or FLOAT16 NDArray of the PyTorch engine (stays the caller's)
     * @return a tensor over the array; closing it leaves the array open
     */
    public Tensor wrap(NDArray array) {
        Objects.requireNonNull(array, "array");
        DataType type = requireWrappable(array);
        return wrap(array, type == DataType.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32);
    }

    /**
     * A tensor of {@code dtype} over {@code array}: a FLOAT32 array as float32, a FLOAT16 array as float16, both
     * without copying, as {@link #wrap(NDArray)}. {@code BFLOAT16} takes a FLOAT32 array and is the one copy:
     * its values rounded to the nearest bfloat16 (ties to even, NaN to {@code 0x7FC0}; a bfloat16 value stays
     * exactly itself) into a new bfloat16 array on its device that the tensor owns, as
     * {@code convert(wrap(array), BFLOAT16)} does (DJL 0.36 cannot share a bfloat16 NDArray).
     *
     * @param array a FLOAT32 NDArray (FLOAT16 for float16) of the PyTorch engine (stays the caller's)
     * @param dtype the tensor's dtype
     * @return a tensor over the array (float32, float16; closing it leaves the array open) or, for bfloat16, a
     *         new tensor the caller must close
     * @throws IllegalArgumentException if the array cannot hold a tensor of {@code dtype}
     */
    public Tensor wrap(NDArray array, DType dtype) {
        Objects.requireNonNull(array, "array");
        Objects.requireNonNull(dtype, "dtype");
        DataType type = requireWrappable(array);
        DataType needs = dtype == DType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT32;
        if (type != needs) {
            throw new IllegalArgumentException("array: a " + type.name() + " NDArray cannot hold a "
                    + dtype.torchName() + " tensor of backend 'djl' (it needs " + needs.name() + ")");
        }
        if (dtype == DType.BFLOAT16) {
            try (Tensor float32 = wrap(array, DType.FLOAT32)) {
                return convert(float32, DType.BFLOAT16);
            }
        }
        Shape shape = Shape.of(array.getShape().getShape());
        if (array.hasGradient()) {
            // A detached view (same memory, no copy), so that the step never records an autograd graph.
            NDArray detached = engine("wrap", array::stopGradient);
            return new DjlTensor(this, detached, shape, dtype, true);
        }
        return new DjlTensor(this, array, shape, dtype, false);
    }

    /**
     * A bfloat16 tensor from a PyTorch bfloat16 tensor that reached Java, e.g. the output of a TorchScript model
     * running in bfloat16. DJL 0.36 shows such an array as dtype UNKNOWN (and would abort the JVM if asked to make
     * one); this clones it exactly (NaN payloads included) as this backend's bfloat16 storage on its device: one
     * device-side copy, no host round trip, no synchronisation. The array itself is left as it
     * is (the caller still owns it).
     *
     * <p>The caller asserts that the array is bfloat16: DJL cannot tell it from other dtypes it does not map
     * (int16, float64 complex, ...). Feed this backend's bfloat16 results back to such a model as float32,
     * {@code ndArray(convert(tensor, FLOAT32))}; the model casts them.
     *
     * @throws IllegalArgumentException if the array's dtype is known to DJL (use {@link #wrap(NDArray)} then)
     *
     * @param array a PyTorch bfloat16 tensor (DJL dtype UNKNOWN), left open and the caller's
     * @return a new bfloat16 tensor the caller must close
     */
    public Tensor fromTorchBfloat16(NDArray array) {
        Objects.requireNonNull(array, "array");
        requireOpenPyTorchArray(array);
        DataType type = array.getDataType();
        if (type != DataType.UNKNOWN) {
            throw new IllegalArgumentException("array: dtype " + type.name() + " is not PyTorch bfloat16 (which"
                    + " DJL 0.36 reports as UNKNOWN); wrap it with wrap(array)");
        }
        Shape shape = Shape.of(array.getShape().getShape());
        DjlRuntime runtime = DjlRuntime.get();
        // A clone (torch's clone: no dtype mapped, so DJL does not abort): the tensor owns its copy.
        NDArray copy = engine("fromTorchBfloat16", () -> attach(array.duplicate(), runtime));
        return new DjlTensor(this, copy, shape, DType.BFLOAT16, true);
    }

    /**
     * The NDArray behind a float32 or float16 {@code djl} tensor, no copy: FLOAT32 for float32, FLOAT16 for
     * float16. It stays owned by the tensor: valid until the tensor is closed, so keep the tensor (a tensor
     * dropped without {@code close()} has its array freed by the garbage collector). A bfloat16 tensor is
     * refused: its array is a PyTorch bfloat16 tensor, which DJL 0.36 shows as dtype UNKNOWN and aborts the JVM on
     * in most calls; take {@code ndArray(convert(tensor, DType.FLOAT32))}, its values exactly.
     *
     * @param tensor a float32 or float16 tensor of this backend
     * @return its NDArray, owned by the tensor
     * @throws IllegalArgumentException if the tensor belongs to another backend or is bfloat16
     * @throws IllegalStateException    if it is closed
     */
    public static NDArray ndArray(Tensor tensor) {
        Objects.requireNonNull(tensor, "tensor");
        if (!(tensor instanceof DjlTensor t)) {
            throw new IllegalArgumentException("tensor: belongs to backend '" + tensor.backend().name()
                    + "', not to 'djl'; convert it with Tensors.transfer(tensor, DjlBackend.instance()) first");
        }
        t.requireOpen("tensor");
        if (t.dtype() == DType.BFLOAT16) {
            throw new IllegalArgumentException("tensor: bfloat16; backend 'djl' holds it as a PyTorch bfloat16 tensor,"
                    + " which DJL 0.36 shows as dtype UNKNOWN and aborts the JVM on in most calls. For its values use"
                    + " ndArray(backend.convert(tensor, DType.FLOAT32)) (exact)");
        }
        return t.array();
    }

    /** An NDArray from the PyTorch engine that is still open, or a clear exception. */
    private static void requireOpenPyTorchArray(NDArray array) {
        if (!(array instanceof PtNDArray)) {
            throw new IllegalArgumentException("array: an NDArray of engine '"
                    + array.getManager().getEngine().getEngineName() + "'; backend 'djl' needs the PyTorch engine");
        }
        if (array.isReleased()) {
            throw new IllegalStateException("array: NDArray " + array.getUid() + " is closed");
        }
    }

    private static DataType requireWrappable(NDArray array) {
        requireOpenPyTorchArray(array);
        DataType type = array.getDataType();
        if (type == DataType.UNKNOWN || type == DataType.BFLOAT16) {
            throw new IllegalArgumentException("array: dtype " + type.name() + " cannot be wrapped. DJL 0.36 reports"
                    + " a PyTorch bfloat16 tensor as UNKNOWN and aborts the JVM on bfloat16 NDArrays, so backend"
                    + " 'djl' holds bfloat16 itself: if this is a bfloat16 model output, use"
                    + " fromTorchBfloat16(array) (one exact device-side copy), or have the model return float32");
        }
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException("array: dtype " + type.name() + " is not supported (backend 'djl' takes"
                    + " FLOAT32 and FLOAT16 NDArrays)");
        }
        if (array.isSparse()) {
            throw new IllegalArgumentException("array: sparse NDArrays are not supported");
        }
        return type;
    }

    // ---------------------------------------------------------------------------------------- host transfers

    @Override
    public Tensor fromFloats(float[] values, DType dtype, Shape shape) {
        Tensors.checkHostValues(values, dtype, shape);
        int[] stored = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            stored[i] = switch (dtype) {
                case FLOAT32 -> Float.floatToRawIntBits(values[i]);
                case BFLOAT16 -> Bits.floatToBf16(values[i]) & 0xFFFF;
                case FLOAT16 -> Float.floatToFloat16(values[i]) & 0xFFFF;
            };
        }
        return upload(stored, dtype, shape);
    }

    @Override
    public Tensor fromBits(int[] bits, DType dtype, Shape shape) {
        Tensors.checkHostBits(bits, dtype, shape);
        return upload(bits, dtype, shape); // copied into native memory before this returns
    }

    private Tensor upload(int[] stored, DType dtype, Shape shape) {
        DjlRuntime runtime = DjlRuntime.get();
        NDManager root = runtime.root(runtime.device());
        NDArray array = engine("fromBits", () -> {
            NDArray bits = Host.upload(root, stored, Kernels.hostBits(dtype),
                    new ai.djl.ndarray.types.Shape(shape.dims()));
            if (dtype != DType.BFLOAT16) {
                return bits;
            }
            try (Scope scope = new Scope()) {
                scope.add(bits);
                return attach(scope.keep(runtime.bf16().fromBits(scope, bits)), runtime);
            }
        });
        return new DjlTensor(this, array, shape, dtype, true);
    }

    /** A tensor's raw bits on the host: int32 patterns for float32, unsigned 16-bit patterns otherwise. */
    private static int[] download(DjlTensor t) {
        if (t.dtype() != DType.BFLOAT16) {
            return Host.download(t.array());
        }
        try (Scope scope = new Scope()) {
            return Host.download(DjlRuntime.get().bf16().bits(scope, t.array()));
        }
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        DjlTensor t = own(tensor, "tensor");
        int[] stored;
        try {
            stored = engine("toFloats", () -> download(t));
        } finally {
            Reference.reachabilityFence(t); // its cleaner must not free the array during the copy
        }
        float[] values = new float[stored.length];
        for (int i = 0; i < stored.length; i++) {
            values[i] = switch (t.dtype()) {
                case FLOAT32 -> Float.intBitsToFloat(stored[i]);
                case BFLOAT16 -> Float.intBitsToFloat(stored[i] << 16);
                case FLOAT16 -> Float.float16ToFloat((short) stored[i]);
            };
        }
        return values;
    }

    @Override
    public int[] toBits(Tensor tensor) {
        DjlTensor t = own(tensor, "tensor");
        int[] stored;
        try {
            stored = engine("toBits", () -> download(t));
        } finally {
            Reference.reachabilityFence(t);
        }
        return stored;
    }

    // ------------------------------------------------------------------------------------------- arithmetic

    @Override
    public Tensor convert(Tensor tensor, DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        DjlTensor t = own(tensor, "tensor");
        DjlRuntime runtime = DjlRuntime.get();
        NDArray input = t.array();
        NDArray result;
        try {
            result = engine("convert", () -> {
                try (Scope scope = new Scope()) {
                    NDArray out = Kernels.round(scope, runtime.bf16(), input, t.dtype(), dtype);
                    out = out == input ? scope.add(input.duplicate()) : out;
                    return attach(scope.keep(out), runtime);
                }
            });
        } finally {
            Reference.reachabilityFence(t);
        }
        return new DjlTensor(this, result, t.shape(), dtype, true);
    }

    @Override
    public Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec) {
        Objects.requireNonNull(spec, "spec");
        DjlTensor tx = own(x, "x");
        DjlTensor ty = own(y, "y");
        Tensors.requireSameShape("x", tx, "y", ty);
        DjlRuntime runtime = DjlRuntime.get();
        NDArray result;
        try {
            result = engine("affine", () -> {
                try (Scope scope = new Scope()) {
                    NDArray out = Kernels.affine(scope, runtime.host(), runtime.bf16(),
                            a, tx.array(), tx.dtype(), b, ty.array(), ty.dtype(), spec);
                    return attach(scope.keep(out), runtime);
                }
            });
        } finally {
            Reference.reachabilityFence(tx);
            Reference.reachabilityFence(ty);
        }
        return new DjlTensor(this, result, tx.shape(), spec.out(), true);
    }

    /**
     * {@code expression} as PyTorch eager ops on the inputs' device, one op per node ({@link ExprKernels}): no copy
     * to the host, bit-identical to {@link Expr#apply}. Every intermediate array is closed before this returns.
     */
    @Override
    public Tensor elementwise(Expr expression, Tensor... inputs) {
        Shape shape = Tensors.checkElementwise(this, expression, inputs);
        DjlRuntime runtime = DjlRuntime.get();
        DjlTensor[] tensors = new DjlTensor[inputs.length];
        NDArray[] arrays = new NDArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            tensors[i] = (DjlTensor) inputs[i];
            arrays[i] = tensors[i].array();
        }
        DType[] dtypes = Tensors.dtypes(inputs);
        NDArray result;
        try {
            result = engine("elementwise", () -> {
                try (Scope scope = new Scope()) {
                    NDManager device = runtime.root(arrays[0].getDevice());
                    NDArray out = ExprKernels.evaluate(scope, runtime.host(), device, runtime.bf16(), expression,
                            arrays, dtypes, shape);
                    return attach(scope.keep(out), runtime);
                }
            });
        } finally {
            Reference.reachabilityFence(tensors);
        }
        return new DjlTensor(this, result, shape, expression.dtype(dtypes), true);
    }

    /**
     * Standard normal noise from PyTorch's own generator: {@code torch.manual_seed(seed)} then
     * {@code torch.normal(0, 1)} in float32 on this backend's device, rounded to {@code dtype}. Deterministic for
     * a seed on one device and PyTorch version, but not portable: the CPU and CUDA generators differ, neither
     * equals the pure-Java noise, and on the CPU only the low 32 bits of the seed matter (PyTorch's mt19937).
     * Seeding sets the engine's global generator, as {@code torch.manual_seed} does.
     */
    @Override
    public Tensor nativeNormal(long seed, DType dtype, Shape shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        // the cap on allocations from a shape, before the engine allocates (an engine's out-of-memory may abort)
        dev.flowmatch.Limits.requireElements("noise", shape, dtype);
        DjlRuntime runtime = DjlRuntime.get();
        Device device = runtime.device();
        NDArray result = engine("nativeNormal", () -> {
            try (Scope scope = new Scope()) {
                NDArray normal;
                synchronized (SEED_LOCK) {
                    JniUtils.setSeed(seed);
                    normal = scope.add(runtime.root(device).randomNormal(0f, 1f,
                            new ai.djl.ndarray.types.Shape(shape.dims()), DataType.FLOAT32));
                }
                NDArray out = Kernels.round(scope, runtime.bf16(), normal, DType.FLOAT32, dtype);
                return attach(scope.keep(out), runtime);
            }
        });
        return new DjlTensor(this, result, shape, dtype, true);
    }

    private static NDArray attach(NDArray result, DjlRuntime runtime) {
        result.attach(runtime.root(result.getDevice()));
        return result;
    }

    private DjlTensor own(Tensor tensor, String role) {
        return (DjlTensor) Tensors.requireOwned(this, tensor, role);
    }

    /** Runs engine calls, turning the engine's exceptions into {@link BackendException} with its message. */
    private static <T> T engine(String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (EngineException e) {
            throw new BackendException("djl " + operation + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DjlBackend[" + availability().describe() + "]";
    }
}

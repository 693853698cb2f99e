package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The pure-Java reference backend ({@code java}): plain arrays, no native code, always available.
 *
 * <p>Every other backend is tested against this one. Java never contracts {@code a*b+c} into a fused
 * multiply-add, so these loops give PyTorch's eager CPU results bit for bit. The hot loops live in
 * {@link AffineKernels}, one small method per dtype combination so the JIT compiles each well, and in
 * {@link ElementwiseKernels}, which runs an {@link Expr} block by block.
 */
public final class JavaBackend implements TensorBackend {
    /** The name of this backend: {@value}. */
    public static final String NAME = "java";

    private final BufferPool pool = new BufferPool();

    /** Public for {@link java.util.ServiceLoader}; prefer {@link dev.flowmatch.tensor.Backends#named(String)}. */
    public JavaBackend() {}

    /**
     * Which elementwise kernels this JVM uses: the Vector API ones ({@code vector kernels (...)}, and whether
     * repeated expressions get fused loops, see {@link #awaitFusedLoops}), or the scalar loops and why (e.g. the JVM
     * was started without {@code --add-modules jdk.incubator.vector}). All give the same bits. The first affine of
     * a JVM also logs this once.
     *
     * @return the kernels' description, with the reason when they are the scalar ones
     */
    public static String kernels() {
        BlockKernels kernels = Vectorization.kernels();
        if (!kernels.vectorized()) {
            return kernels.description() + " (" + Vectorization.scalarReason().orElse("forced") + ")";
        }
        return kernels.description() + (FusedKernels.enabled() ? ", a fused loop per repeated expression"
                : ", no fused loops (-D" + FusedKernels.PROPERTY + "=false)");
    }

    /**
     * Compiles the vector kernels now instead of on the first bfloat16 call, and waits until they are in use (or
     * the timeout passes). Until HotSpot has compiled them, bfloat16 calls run the scalar loops (interpreted Vector
     * API code is far slower); this warm-up takes a few seconds of one core. For benchmarks, and for services that
     * want full speed from their first step. Returns at once, {@code false}, where the JVM has no vector kernels.
     *
     * @param timeout how long to wait at most
     * @param unit    the unit of {@code timeout}
     * @return whether bfloat16 calls now use the vector kernels
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public static boolean awaitVectorKernels(long timeout, TimeUnit unit) throws InterruptedException {
        return Vectorization.kernels() instanceof WarmingKernels warming && warming.await(timeout, unit);
    }

    /**
     * Waits until the fused loops of the expressions seen so far are compiled (or the timeout passes). With the
     * vector kernels, an {@link #elementwise} expression whose shape has come twice on a large tensor (a sampler's
     * step) gets a loop of its own that evaluates the whole expression per vector; it is compiled on a background
     * thread and used once it beats the interpreter, a second or so later. Both give the same bits. For benchmarks,
     * after a few steps: the steps measured then run the fused loops. Returns at once where there are none.
     *
     * @param timeout how long to wait at most
     * @param unit    the unit of {@code timeout}
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public static void awaitFusedLoops(long timeout, TimeUnit unit) throws InterruptedException {
        if (Vectorization.kernels().vectorized() && FusedKernels.enabled()) {
            FusedKernels.awaitWarmUps(timeout, unit);
        }
    }

    BufferPool pool() {
        return pool;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Availability availability() {
        return Availability.available("cpu");
    }

    /**
     * Wraps a float32 array without copying; the caller must not change it afterwards.
     *
     * @param data  the values, row-major
     * @param shape the shape, as many elements as {@code data}
     * @return a float32 tensor over {@code data}
     * @throws IllegalArgumentException if the lengths differ
     */
    public Tensor wrapFloat32(float[] data, Shape shape) {
        Tensors.requireLength(data.length, shape, "data");
        return JavaTensor.wrapFloats(this, shape, data);
    }

    /**
     * Wraps 16-bit patterns (bfloat16 or float16) without copying; the caller must not change them afterwards.
     *
     * @param data  the 16-bit patterns, row-major
     * @param dtype {@link DType#BFLOAT16} or {@link DType#FLOAT16}
     * @param shape the shape, as many elements as {@code data}
     * @return a tensor over {@code data}
     * @throws IllegalArgumentException if the lengths differ
     */
    public Tensor wrapBits16(short[] data, DType dtype, Shape shape) {
        Tensors.requireLength(data.length, shape, "data");
        return JavaTensor.wrapHalves(this, shape, dtype, data);
    }

    @Override
    public Tensor fromFloats(float[] values, DType dtype, Shape shape) {
        Tensors.checkHostValues(values, dtype, shape);
        return switch (dtype) {
            case FLOAT32 -> {
                float[] copy = pool.floats(values.length);
                System.arraycopy(values, 0, copy, 0, values.length);
                yield JavaTensor.ofFloats(this, shape, copy);
            }
            case BFLOAT16, FLOAT16 -> {
                short[] halves = pool.shorts(values.length);
                Vectorization.kernels().narrow(dtype, values, 0, halves, 0, values.length);
                yield JavaTensor.ofHalves(this, shape, dtype, halves);
            }
        };
    }

    @Override
    public Tensor fromBits(int[] bits, DType dtype, Shape shape) {
        Tensors.checkHostBits(bits, dtype, shape);
        if (dtype == DType.FLOAT32) {
            float[] floats = pool.floats(bits.length);
            for (int i = 0; i < bits.length; i++) {
                floats[i] = Float.intBitsToFloat(bits[i]);
            }
            return JavaTensor.ofFloats(this, shape, floats);
        }
        short[] halves = pool.shorts(bits.length);
        for (int i = 0; i < bits.length; i++) {
            halves[i] = (short) bits[i];
        }
        return JavaTensor.ofHalves(this, shape, dtype, halves);
    }

    @Override
    public float[] toFloats(Tensor tensor) {
        JavaTensor t = own(tensor, "tensor");
        if (t.dtype() == DType.FLOAT32) {
            return t.floats("tensor").clone();
        }
        short[] halves = t.halves("tensor");
        float[] values = new float[halves.length];
        Vectorization.kernels().widen(t.dtype(), halves, 0, values, 0, halves.length);
        return values;
    }

    @Override
    public int[] toBits(Tensor tensor) {
        JavaTensor t = own(tensor, "tensor");
        if (t.dtype() == DType.FLOAT32) {
            float[] floats = t.floats("tensor");
            int[] bits = new int[floats.length];
            for (int i = 0; i < floats.length; i++) {
                bits[i] = Float.floatToRawIntBits(floats[i]);
            }
            return bits;
        }
        short[] halves = t.halves("tensor");
        int[] bits = new int[halves.length];
        for (int i = 0; i < halves.length; i++) {
            bits[i] = halves[i] & 0xFFFF;
        }
        return bits;
    }

    @Override
    public Tensor convert(Tensor tensor, DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        JavaTensor t = own(tensor, "tensor");
        if (t.dtype() == dtype) {
            if (dtype == DType.FLOAT32) {
                float[] source = t.floats("tensor");
                float[] copy = pool.floats(source.length);
                System.arraycopy(source, 0, copy, 0, source.length);
                return JavaTensor.ofFloats(this, t.shape(), copy);
            }
            short[] source = t.halves("tensor");
            short[] copy = pool.shorts(source.length);
            System.arraycopy(source, 0, copy, 0, source.length);
            return JavaTensor.ofHalves(this, t.shape(), dtype, copy);
        }
        return fromFloats(toFloats(t), dtype, t.shape());
    }

    @Override
    public Tensor affine(float a, Tensor x, float b, Tensor y, AffineSpec spec) {
        Objects.requireNonNull(spec, "spec");
        JavaTensor tx = own(x, "x");
        JavaTensor ty = own(y, "y");
        Tensors.requireSameShape("x", tx, "y", ty);
        int n = tx.size();
        if (spec.out() == DType.FLOAT32) {
            float[] out = pool.floats(n);
            AffineKernels.intoFloat32(a, tx, b, ty, spec, out);
            return JavaTensor.ofFloats(this, tx.shape(), out);
        }
        short[] out = pool.shorts(n);
        AffineKernels.intoBits16(a, tx, b, ty, spec, out);
        return JavaTensor.ofHalves(this, tx.shape(), spec.out(), out);
    }

    @Override
    public Tensor elementwise(Expr expression, Tensor... inputs) {
        Shape shape = Tensors.checkElementwise(this, expression, inputs);
        JavaTensor[] tensors = new JavaTensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            tensors[i] = (JavaTensor) inputs[i];
        }
        return ElementwiseKernels.evaluate(this, expression, tensors, shape, expression.dtype(Tensors.dtypes(inputs)));
    }

    private JavaTensor own(Tensor tensor, String role) {
        return (JavaTensor) Tensors.requireOwned(this, tensor, role);
    }

}

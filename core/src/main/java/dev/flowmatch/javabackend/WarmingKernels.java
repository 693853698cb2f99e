package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The vector kernels once HotSpot has compiled them, the scalar ones until then.
 *
 * <p>Why: Vector API code runs hundreds of times slower than scalar code until C2 compiles it (the interpreter and
 * C1 execute every lane operation as Java objects): the first bfloat16 step on {@code [1, 4096, 128]} took
 * more than a second here, where the scalar loop takes about 1.5 ms. A JVM that runs a handful of steps would lose
 * more than the vector kernels save. So the first bfloat16 call starts a daemon thread ({@value #THREAD}) that runs
 * both implementations on small blocks, every bfloat16 kernel and every float32 operation, until the vector ones
 * are faster than the scalar ones several times in a row (they are then compiled: a few seconds of one core), and
 * only from then on do bfloat16 calls and float32 operations go to the vector kernels. float16 calls run the same
 * loops in both implementations and never start it. If they never get faster (a CPU or
 * JVM where the Vector API is not intrinsified) the scalar kernels stay, which is the right choice there too. The
 * results are the same bits either way.
 *
 * <p>The warm-up calls the kernels through method handles that HotSpot cannot inline into its loop, so that it
 * compiles the kernel methods themselves, the code the backend's calls reach. (Inlined into the warm-up loop, they
 * were fast there while the backend still called their slow first compilations: a bfloat16 step on
 * {@code [1, 16384, 128]} then took hundreds of milliseconds.)
 */
final class WarmingKernels implements BlockKernels {
    static final String THREAD = "flowmatch-vector-warm-up";
    /** How long the warm-up may try before it settles for the scalar kernels. */
    static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** Consecutive rounds in which the vector kernels must beat the scalar ones. */
    static final int WINS_NEEDED = 25;

    /** Whether the warm-up has started, whether the vector kernels are in use, and a latch for the decision. */
    static final class State {
        final AtomicBoolean started = new AtomicBoolean();
        volatile boolean warm;
        final CountDownLatch done = new CountDownLatch(1);
    }

    private final BlockKernels vector;
    private final BlockKernels scalar = new ScalarBlockKernels();
    private final State state = new State();

    private WarmingKernels(BlockKernels vector) {
        this.vector = vector;
    }

    /** Wraps {@code vector}; the first bfloat16 call starts the warm-up. */
    static WarmingKernels of(BlockKernels vector) {
        return new WarmingKernels(vector);
    }

    /** Starts the warm-up thread unless it has started already. */
    void startWarmUp() {
        if (!state.started.get() && state.started.compareAndSet(false, true)) {
            Thread thread = new Thread(this::warmUp, THREAD);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Whether bfloat16 calls go to the vector kernels now. */
    boolean warm() {
        return state.warm;
    }

    /** Starts the warm-up if needed and waits until it has decided; returns whether the vector kernels are in use. */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        startWarmUp();
        state.done.await(timeout, unit);
        return state.warm;
    }

    /** Whether a call on {@code dtype} goes to the vector kernels (only bfloat16 differs between the two). */
    private boolean useVector(DType dtype) {
        return dtype == DType.BFLOAT16 && useVector();
    }

    /** Whether calls go to the vector kernels now; starts the warm-up if they do not yet. */
    private boolean useVector() {
        if (state.warm) {
            return true;
        }
        startWarmUp();
        return false;
    }

    @Override
    public String description() {
        return vector.description();
    }

    @Override
    public boolean vectorized() {
        return true;
    }

    @Override
    public void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
        if (useVector(dtype)) {
            vector.widen(dtype, src, srcOffset, dst, dstOffset, length);
        } else {
            scalar.widen(dtype, src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
        if (useVector(dtype)) {
            vector.narrow(dtype, src, srcOffset, dst, dstOffset, length);
        } else {
            scalar.narrow(dtype, src, srcOffset, dst, dstOffset, length);
        }
    }

    @Override
    public void round(DType dtype, float[] values, int offset, int length) {
        if (useVector(dtype)) {
            vector.round(dtype, values, offset, length);
        } else {
            scalar.round(dtype, values, offset, length);
        }
    }

    @Override
    public void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y,
                       boolean roundProductY, short[] out, int offset, int length) {
        if (useVector(dtype)) {
            vector.affine(dtype, a, x, roundProductX, b, y, roundProductY, out, offset, length);
        } else {
            scalar.affine(dtype, a, x, roundProductX, b, y, roundProductY, out, offset, length);
        }
    }

    @Override
    public void binary(Expr.Op op, float[] x, int xOffset, float[] y, int yOffset, float[] out, int outOffset,
                       int length) {
        if (useVector()) {
            vector.binary(op, x, xOffset, y, yOffset, out, outOffset, length);
        } else {
            scalar.binary(op, x, xOffset, y, yOffset, out, outOffset, length);
        }
    }

    @Override
    public void binary(Expr.Op op, float[] x, int xOffset, float c, float[] out, int outOffset, int length) {
        if (useVector()) {
            vector.binary(op, x, xOffset, c, out, outOffset, length);
        } else {
            scalar.binary(op, x, xOffset, c, out, outOffset, length);
        }
    }

    @Override
    public void binary(Expr.Op op, float c, float[] y, int yOffset, float[] out, int outOffset, int length) {
        if (useVector()) {
            vector.binary(op, c, y, yOffset, out, outOffset, length);
        } else {
            scalar.binary(op, c, y, yOffset, out, outOffset, length);
        }
    }

    /** Runs both implementations until the vector one wins {@link #WINS_NEEDED} rounds in a row, or gives up. */
    private void warmUp() {
        try {
            int n = 16 * 8 + 3; // a few vectors and a scalar tail: short calls reach the JIT thresholds sooner
            short[] x = new short[n];
            short[] y = new short[n];
            short[] out = new short[n];
            float[] values = new float[n];
            float[] scratch = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (i % 97) / 31f - 1.5f;
            }
            scalar.narrow(DType.BFLOAT16, values, 0, x, 0, n);
            scalar.narrow(DType.BFLOAT16, values, 0, y, 0, n);
            Calls vectorCalls = new Calls(vector);
            Calls scalarCalls = new Calls(scalar);
            long deadline = System.nanoTime() + GIVE_UP_NANOS;
            int wins = 0;
            while (wins < WINS_NEEDED && System.nanoTime() < deadline) {
                long vectorNanos = vectorCalls.round(x, y, out, values, scratch);
                long scalarNanos = scalarCalls.round(x, y, out, values, scratch);
                wins = vectorNanos < scalarNanos ? wins + 1 : 0;
            }
            state.warm = wins >= WINS_NEEDED;
        } catch (Throwable t) {
            state.warm = false; // keep the scalar kernels
        } finally {
            state.done.countDown();
        }
    }

    /**
     * The bfloat16 and float32 entry points of one implementation, called through method handles in fields that HotSpot does
     * not treat as constants: it cannot inline them into the warm-up loop, so it compiles the methods themselves.
     */
    private static final class Calls {
        private final MethodHandle affine;
        private final MethodHandle widen;
        private final MethodHandle round;
        private final MethodHandle narrow;
        private final MethodHandle arrays;
        private final MethodHandle constantRight;
        private final MethodHandle constantLeft;

        Calls(BlockKernels kernels) {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                affine = lookup.findVirtual(BlockKernels.class, "affine", MethodType.methodType(void.class,
                        DType.class, float.class, short[].class, boolean.class, float.class, short[].class,
                        boolean.class, short[].class, int.class, int.class)).bindTo(kernels);
                widen = lookup.findVirtual(BlockKernels.class, "widen", MethodType.methodType(void.class,
                        DType.class, short[].class, int.class, float[].class, int.class, int.class)).bindTo(kernels);
                round = lookup.findVirtual(BlockKernels.class, "round", MethodType.methodType(void.class,
                        DType.class, float[].class, int.class, int.class)).bindTo(kernels);
                narrow = lookup.findVirtual(BlockKernels.class, "narrow", MethodType.methodType(void.class,
                        DType.class, float[].class, int.class, short[].class, int.class, int.class)).bindTo(kernels);
                arrays = lookup.findVirtual(BlockKernels.class, "binary", MethodType.methodType(void.class,
                        Expr.Op.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
                        int.class)).bindTo(kernels);
                constantRight = lookup.findVirtual(BlockKernels.class, "binary", MethodType.methodType(void.class,
                        Expr.Op.class, float[].class, int.class, float.class, float[].class, int.class, int.class))
                        .bindTo(kernels);
                constantLeft = lookup.findVirtual(BlockKernels.class, "binary", MethodType.methodType(void.class,
                        Expr.Op.class, float.class, float[].class, int.class, float[].class, int.class, int.class))
                        .bindTo(kernels);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        void affine(DType dtype, float a, short[] x, boolean roundProductX, float b, short[] y,
                    boolean roundProductY, short[] out, int offset, int length) {
            try {
                affine.invokeExact(dtype, a, x, roundProductX, b, y, roundProductY, out, offset, length);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void widen(DType dtype, short[] src, int srcOffset, float[] dst, int dstOffset, int length) {
            try {
                widen.invokeExact(dtype, src, srcOffset, dst, dstOffset, length);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void round(DType dtype, float[] values, int offset, int length) {
            try {
                round.invokeExact(dtype, values, offset, length);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        void narrow(DType dtype, float[] src, int srcOffset, short[] dst, int dstOffset, int length) {
            try {
                narrow.invokeExact(dtype, src, srcOffset, dst, dstOffset, length);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /**
         * Every float32 operation in each form, at different offsets (so the scalar loops are the plain ones an
         * elementwise expression gets before the warm-up ends), into {@code scratch}.
         */
        void binaries(float[] values, float[] scratch) {
            int n = values.length - 1;
            try {
                for (Expr.Op op : Expr.Op.values()) {
                    arrays.invokeExact(op, values, 1, values, 0, scratch, 0, n);
                    constantRight.invokeExact(op, values, 1, 0.75f, scratch, 0, n);
                    constantLeft.invokeExact(op, 0.75f, values, 1, scratch, 0, n);
                }
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** Every bfloat16 kernel and float32 operation once on the block; the nanoseconds it took. */
        long round(short[] x, short[] y, short[] out, float[] values, float[] scratch) {
            long start = System.nanoTime();
            int n = out.length;
            DType bf16 = DType.BFLOAT16;
            affine(bf16, 1f, x, false, -0.0326f, y, false, out, 0, n);
            affine(bf16, 1f, x, false, -0.0326f, y, true, out, 0, n);
            affine(bf16, 0.5f, x, true, -0.0326f, y, false, out, 0, n);
            affine(bf16, 0.5f, x, true, -0.0326f, y, true, out, 0, n);
            widen(bf16, x, 0, values, 0, n);
            round(bf16, values, 0, n);
            narrow(bf16, values, 0, out, 0, n);
            binaries(values, scratch);
            return System.nanoTime() - start;
        }

        private static RuntimeException rethrow(Throwable t) {
            if (t instanceof RuntimeException e) {
                throw e;
            }
            if (t instanceof Error e) {
                throw e;
            }
            return new IllegalStateException(t); // the kernels throw no checked exception
        }
    }
}

package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import java.util.stream.IntStream;

/**
 * The dispatch behind {@link JavaBackend#affine}: each call evaluates {@link AffineSpec#apply} elementwise with
 * the {@link BlockKernels} of this JVM. The common shapes get one fused pass (float32 data and arithmetic: the
 * triad; 16-bit data with products and sum in float32 or the data's dtype: every step and {@code scale_noise}
 * rounding), everything else runs block by block through float32 scratch arrays, one kernel per operation.
 *
 * <p>Large tensors are split over the CPU's cores (the common fork-join pool plus the calling thread): a step
 * is elementwise, so the halves are independent and the result is the same bits. {@value #THREADS_PROPERTY}
 * caps the threads ({@code 1}: always the calling thread); see bench/RESULTS.md for what each choice measured.
 */
final class AffineKernels {
    /** System property: the most threads one affine may use (default: every available processor). */
    static final String THREADS_PROPERTY = "flowmatch.java.threads";
    /**
     * Elements per thread below which splitting costs more than it saves (bench/RESULTS.md): the float32 triad is
     * bound by memory bandwidth and gains only on large latents; the loops that round to bfloat16 / float16 or
     * dispatch per element are bound by arithmetic and gain sooner.
     */
    static final int MIN_STREAMING_PER_THREAD = 1 << 19;
    static final int MIN_COMPUTING_PER_THREAD = 1 << 17;

    /** The kernels of this JVM (vector or scalar, see {@link Vectorization}): a constant the JIT binds to. */
    private static final BlockKernels KERNELS = Vectorization.kernels();
    /** Elements per block of the general path: three float32 blocks stay in the L1 cache. */
    static final int BLOCK = 1024;

    private AffineKernels() {}

    /** A kernel over the elements {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    /** Runs {@code kernel} over {@code [0, n)}, split over threads when each gets at least {@code minPerThread}. */
    static void forRanges(int n, int minPerThread, Range kernel) {
        int threads = threads(n, minPerThread);
        if (threads == 1) {
            kernel.run(0, n);
            return;
        }
        IntStream.range(0, threads).parallel().forEach(t ->
                kernel.run((int) ((long) n * t / threads), (int) ((long) n * (t + 1) / threads)));
    }

    /** How many threads a loop of {@code n} elements gets. */
    private static int threads(int n, int minPerThread) {
        if (n < 2 * minPerThread) {
            return 1;
        }
        int allowed = Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors());
        return Math.max(1, Math.min(n / minPerThread, allowed));
    }

    static void intoFloat32(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec, float[] out) {
        if (x.dtype() == DType.FLOAT32 && y.dtype() == DType.FLOAT32 && allFloat32(spec)) {
            // Inputs already float32, so every rounding but the last is the float32 arithmetic itself.
            float[] fx = x.floats("x");
            float[] fy = y.floats("y");
            if (threads(out.length, MIN_STREAMING_PER_THREAD) == 1) {
                KERNELS.affine(a, fx, b, fy, out, 0, out.length); // the common call: no lambda, no stream
            } else {
                forRanges(out.length, MIN_STREAMING_PER_THREAD,
                        (from, to) -> KERNELS.affine(a, fx, b, fy, out, from, to - from));
            }
            return;
        }
        general(a, x, b, y, spec, out, null);
    }

    static void intoBits16(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec, short[] out) {
        DType o = spec.out();
        if (x.dtype() == o && y.dtype() == o && oneOf(spec.productX(), o) && oneOf(spec.productY(), o)
                && oneOf(spec.sum(), o)) {
            // Everything in the output's dtype or float32: one fused pass (a sum rounded to the output's dtype and
            // then rounded to it again is rounded once).
            boolean roundX = spec.productX() == o;
            boolean roundY = spec.productY() == o;
            float ca = spec.productX().round(a);
            float cb = spec.productY().round(b);
            short[] hx = x.halves("x");
            short[] hy = y.halves("y");
            if (threads(out.length, MIN_COMPUTING_PER_THREAD) == 1) {
                KERNELS.affine(o, ca, hx, roundX, cb, hy, roundY, out, 0, out.length);
            } else {
                forRanges(out.length, MIN_COMPUTING_PER_THREAD, (from, to) ->
                        KERNELS.affine(o, ca, hx, roundX, cb, hy, roundY, out, from, to - from));
            }
            return;
        }
        general(a, x, b, y, spec, null, out);
    }

    /**
     * Any spec and any input dtypes, block by block: each operand widened (or copied) into a float32 scratch block
     * and multiplied by its rounded coefficient, each product rounded, the float32 sum rounded, the result rounded
     * to the output. Exactly {@link AffineSpec#apply}, each step one block kernel on scratch arrays (equal offsets,
     * so every loop vectorises). Writes {@code outFloats} or {@code outHalves}.
     */
    private static void general(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec,
                                float[] outFloats, short[] outHalves) {
        float ca = spec.productX().round(a);
        float cb = spec.productY().round(b);
        int n = x.size();
        forRanges(n, MIN_COMPUTING_PER_THREAD, (from, to) -> {
            float[] px = new float[Math.min(BLOCK, to - from)];
            float[] py = new float[px.length];
            for (int start = from; start < to; start += BLOCK) {
                int length = Math.min(BLOCK, to - start);
                product(ca, x, "x", start, length, spec.productX(), px);
                product(cb, y, "y", start, length, spec.productY(), py);
                KERNELS.binary(Expr.Op.ADD, px, 0, py, 0, px, 0, length);
                KERNELS.round(spec.sum(), px, 0, length);
                if (outFloats != null) {
                    System.arraycopy(px, 0, outFloats, start, length);
                } else {
                    KERNELS.narrow(spec.out(), px, 0, outHalves, start, length);
                }
            }
        });
    }

    /** {@code product[0, length) = round(d, c * t[start, start + length))}. */
    private static void product(float c, JavaTensor t, String role, int start, int length, DType d, float[] product) {
        if (t.dtype() == DType.FLOAT32) {
            System.arraycopy(t.floats(role), start, product, 0, length);
        } else {
            KERNELS.widen(t.dtype(), t.halves(role), start, product, 0, length);
        }
        KERNELS.binary(Expr.Op.MUL, c, product, 0, product, 0, length);
        KERNELS.round(d, product, 0, length);
    }

    /** Whether {@code d} is float32 or {@code out}. */
    private static boolean oneOf(DType d, DType out) {
        return d == DType.FLOAT32 || d == out;
    }

    private static boolean allFloat32(AffineSpec spec) {
        return spec.productX() == DType.FLOAT32 && spec.productY() == DType.FLOAT32 && spec.sum() == DType.FLOAT32;
    }
}

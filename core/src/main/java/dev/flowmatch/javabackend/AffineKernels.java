package dev.flowmatch.javabackend;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import java.util.stream.IntStream;

/**
 * The loops behind {@link JavaBackend#affine}. Each evaluates {@link AffineSpec#apply} elementwise; the common
 * step shapes get their own small loop (no per-element dtype dispatch), everything else takes the general path.
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

    private AffineKernels() {}

    /** A kernel over the elements {@code [from, to)}. */
    @FunctionalInterface
    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code kernel} over {@code [0, n)}, split over threads when each gets at least {@code minPerThread}. */
    private static void forRanges(int n, int minPerThread, Range kernel) {
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
                float32(a, fx, b, fy, out, 0, out.length); // the common call: no lambda, no stream
            } else {
                forRanges(out.length, MIN_STREAMING_PER_THREAD, (from, to) -> float32(a, fx, b, fy, out, from, to));
            }
            return;
        }
        float[] fx = widen(x, "x");
        float[] fy = widen(y, "y");
        forRanges(out.length, MIN_COMPUTING_PER_THREAD, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = spec.apply(a, fx[i], b, fy[i]);
            }
        });
    }

    static void intoBits16(float a, JavaTensor x, float b, JavaTensor y, AffineSpec spec, short[] out) {
        DType o = spec.out();
        boolean sameDtypeInputs = x.dtype() == o && y.dtype() == o;
        if (o == DType.BFLOAT16 && sameDtypeInputs && spec.productX() == DType.FLOAT32 && spec.sum() == DType.FLOAT32) {
            short[] hx = x.halves("x");
            short[] hy = y.halves("y");
            if (spec.productY() == DType.FLOAT32) {
                forRanges(out.length, MIN_COMPUTING_PER_THREAD, (from, to) -> bf16Fp32(a, hx, b, hy, out, from, to));
                return;
            }
            if (spec.productY() == DType.BFLOAT16) {
                float roundedB = DType.BFLOAT16.round(b);
                forRanges(out.length, MIN_COMPUTING_PER_THREAD, (from, to) -> bf16RoundedProduct(a, hx, roundedB, hy, out, from, to));
                return;
            }
        }
        float[] fx = widen(x, "x");
        float[] fy = widen(y, "y");
        forRanges(out.length, MIN_COMPUTING_PER_THREAD, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = (short) o.floatToBits(spec.apply(a, fx[i], b, fy[i]));
            }
        });
    }

    /** {@code out = a*x + b*y} in float32 (the triad of a step). */
    static void float32(float a, float[] x, float b, float[] y, float[] out, int from, int to) {
        if (a == 1f) {
            // The step itself (x + dt * v): 1 * x is x, and one multiply less counts when the data sit in cache.
            for (int i = from; i < to; i++) {
                out[i] = x[i] + b * y[i];
            }
            return;
        }
        for (int i = from; i < to; i++) {
            out[i] = a * x[i] + b * y[i];
        }
    }

    /** FP32 precision on bfloat16 data: widen, {@code a*x + b*y} in float32, round once. */
    static void bf16Fp32(float a, short[] x, float b, short[] y, short[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + b * Bits.bf16ToFloat(y[i]));
        }
    }

    /**
     * DIFFUSERS precision on bfloat16 data: {@code b*y} rounded to bfloat16 ({@code b} already rounded), the sum
     * in float32, the result rounded to bfloat16.
     */
    static void bf16RoundedProduct(float a, short[] x, float roundedB, short[] y, short[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            float product = Bits.bf16ToFloat(Bits.floatToBf16(roundedB * Bits.bf16ToFloat(y[i])));
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + product);
        }
    }

    private static boolean allFloat32(AffineSpec spec) {
        return spec.productX() == DType.FLOAT32 && spec.productY() == DType.FLOAT32 && spec.sum() == DType.FLOAT32;
    }

    private static float[] widen(JavaTensor t, String role) {
        if (t.dtype() == DType.FLOAT32) {
            return t.floats(role);
        }
        short[] halves = t.halves(role);
        float[] values = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            values[i] = t.dtype().bitsToFloat(halves[i]);
        }
        return values;
    }
}

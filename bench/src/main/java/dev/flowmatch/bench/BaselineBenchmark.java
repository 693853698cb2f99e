package dev.flowmatch.bench;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The roofline for a step on the CPU: the same arithmetic on plain float arrays ({@code out[i] = a[i] + s*b[i]}
 * into a preallocated output: two streams read, one written), and a plain copy of one array into another.
 *
 * <p>And the java backend's 16-bit DIFFUSERS step loops as they were before the block kernels (issue 15), on the
 * calling thread, for the target "the scalar fallback is no slower than before": {@link #bf16StepBefore} is the
 * old bfloat16 loop, {@link #f16StepBefore} the old general path a float16 step took (both operands widened into
 * new arrays, then {@link AffineSpec#apply} per element).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BaselineBenchmark {
    @Param({"16", "256", "1024", "4096", "16384"})
    public int tokens;

    private float[] a;
    private float[] b;
    private float[] out;
    private float s;
    private short[] bf16A;
    private short[] bf16B;
    private short[] f16A;
    private short[] f16B;
    private short[] out16;

    @Setup(Level.Trial)
    public void setUp() {
        a = StepBenchmark.randomValues(1, tokens * 128);
        b = StepBenchmark.randomValues(2, tokens * 128);
        out = new float[a.length];
        s = -0.0326f;
        bf16A = new short[a.length];
        bf16B = new short[a.length];
        f16A = new short[a.length];
        f16B = new short[a.length];
        for (int i = 0; i < a.length; i++) {
            bf16A[i] = Bits.floatToBf16(a[i]);
            bf16B[i] = Bits.floatToBf16(b[i]);
            f16A[i] = Float.floatToFloat16(a[i]);
            f16B[i] = Float.floatToFloat16(b[i]);
        }
        out16 = new short[a.length];
    }

    @Benchmark
    public float[] triad() {
        triad(a, s, b, out);
        return out;
    }

    /** The triad loop itself, shared with {@link FamilyTriadBenchmark}. */
    static void triad(float[] a, float s, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + s * b[i];
        }
    }

    @Benchmark
    public short[] bf16StepBefore() {
        bf16RoundedProductBefore(1f, bf16A, DType.BFLOAT16.round(s), bf16B, out16);
        return out16;
    }

    /** The java backend's bfloat16 DIFFUSERS loop before issue 15 ({@code AffineKernels.bf16RoundedProduct}). */
    private static void bf16RoundedProductBefore(float a, short[] x, float roundedB, short[] y, short[] out) {
        for (int i = 0; i < out.length; i++) {
            float product = Bits.bf16ToFloat(Bits.floatToBf16(roundedB * Bits.bf16ToFloat(y[i])));
            out[i] = Bits.floatToBf16(a * Bits.bf16ToFloat(x[i]) + product);
        }
    }

    @Benchmark
    public short[] f16StepBefore() {
        AffineSpec spec = new AffineSpec(DType.FLOAT32, DType.FLOAT16, DType.FLOAT32, DType.FLOAT16);
        float[] fx = widenBefore(f16A);
        float[] fy = widenBefore(f16B);
        for (int i = 0; i < out16.length; i++) {
            out16[i] = (short) DType.FLOAT16.floatToBits(spec.apply(1f, fx[i], s, fy[i]));
        }
        return out16;
    }

    /** The general path's widening before issue 15 ({@code AffineKernels.widen}): a new array per operand. */
    private static float[] widenBefore(short[] halves) {
        float[] values = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            values[i] = DType.FLOAT16.bitsToFloat(halves[i]);
        }
        return values;
    }

    @Benchmark
    public float[] copy() {
        System.arraycopy(a, 0, out, 0, a.length);
        return out;
    }
}

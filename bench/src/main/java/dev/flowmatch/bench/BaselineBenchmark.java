package dev.flowmatch.bench;

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

    @Setup(Level.Trial)
    public void setUp() {
        a = StepBenchmark.randomValues(1, tokens * 128);
        b = StepBenchmark.randomValues(2, tokens * 128);
        out = new float[a.length];
        s = -0.0326f;
    }

    @Benchmark
    public float[] triad() {
        triad(a, s, b, out);
        return out;
    }

    private static void triad(float[] a, float s, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + s * b[i];
        }
    }

    @Benchmark
    public float[] copy() {
        System.arraycopy(a, 0, out, 0, a.length);
        return out;
    }
}

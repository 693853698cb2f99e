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
 * The triad ({@code out[i] = a[i] + s*b[i]}, {@link BaselineBenchmark#triad}) over arrays of {@code elements}
 * floats each, chosen so that one pass moves as many bytes as one sampler-family step ({@code 3 x elements x 4}
 * bytes): the memory bound of that step measured at its own size. The triad at the latent's size (3 x 2 MiB at
 * 4096 tokens) can sit in a large last-level cache that a step moving 10 to 26 MiB does not fit in; the report
 * shows the family's ratio against both. {@link BenchReport} sets {@code elements} from the bytes it counts, and adds
 * the latent's own size ({@code 524288}: the family's memory bound, measured in the same group of forks).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FamilyTriadBenchmark {
    @Param({"524288"})
    public int elements;

    private float[] a;
    private float[] b;
    private float[] out;
    private float s;

    @Setup(Level.Trial)
    public void setUp() {
        a = StepBenchmark.randomValues(1, elements);
        b = StepBenchmark.randomValues(2, elements);
        out = new float[elements];
        s = -0.0326f;
    }

    @Benchmark
    public float[] triad() {
        BaselineBenchmark.triad(a, s, b, out);
        return out;
    }

    /** The elements per array of the triad that moves {@code bytes} (rounded to the nearest element). */
    static int elementsMoving(double bytes) {
        return Math.toIntExact(Math.round(bytes / (3.0 * Float.BYTES)));
    }
}

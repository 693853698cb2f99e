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
import org.openjdk.jmh.annotations.TearDown;

/**
 * The target "the scalar fallback is no slower than before" (issue 15), measured in pairs: for each dtype and
 * size, the java backend's 16-bit step on the scalar kernels ({@code variant = step}: {@link StepBenchmark} on the
 * calling thread, in a JVM without {@code jdk.incubator.vector}) and the loop the backend ran before the kernels
 * ({@code variant = before}: {@link BaselineBenchmark#bf16StepBefore} / {@link BaselineBenchmark#f16StepBefore}),
 * in forks one right after the other. JMH orders a benchmark's parameters by name and varies the last one
 * fastest, so {@code variant} (after {@code tokens}) puts the two of a pair next to each other in time: on a
 * shared machine the same arithmetic measured minutes apart differed by 1.3x (bench/RESULTS.md, 2026-12-03).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ScalarFallbackBenchmark {
    @Param({"bfloat16", "float16"})
    public String dtype;

    @Param({"16", "256", "1024", "4096", "16384"})
    public int tokens;

    /** {@code step} (the backend's scalar kernels) or {@code before} (the loop before the kernels). */
    @Param({"step", "before"})
    public String variant;

    private final StepBenchmark step = new StepBenchmark();
    private final BaselineBenchmark before = new BaselineBenchmark();
    private boolean isStep;
    private boolean bf16;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        isStep = switch (variant) {
            case "step" -> true;
            case "before" -> false;
            default -> throw new IllegalArgumentException("variant: " + variant + " (step or before)");
        };
        bf16 = dtype.equals("bfloat16");
        if (isStep) {
            step.backend = "java";
            step.tokens = tokens;
            step.dtype = dtype;
            step.threads = "1";
            step.kernels = "scalar"; // StepBenchmark.setUp refuses to run if this JVM has the vector kernels
            step.setUp();
        } else {
            before.tokens = tokens;
            before.setUp();
        }
    }

    @Benchmark
    public Object run() {
        if (isStep) {
            step.step();
            return null;
        }
        return bf16 ? before.bf16StepBefore() : before.f16StepBefore();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (isStep) {
            step.tearDown();
        }
    }
}

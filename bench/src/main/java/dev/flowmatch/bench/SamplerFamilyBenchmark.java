package dev.flowmatch.bench;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.Backends;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * One step of each scheduler of the sampler family on {@code [1, tokens, 128]}, mid-schedule with its history full
 * ({@link FamilyStep}), through the public API, evaluated, the output closed. Heun's step is both of its calls.
 * The report compares each row with the memory bound of the bytes the step moves ({@link CountingBackend}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SamplerFamilyBenchmark {
    @Param({"java"})
    public String backend;

    @Param({"euler", "heun", "dpm++2m", "sde-dpm++2m", "unipc-bh2", "lcm", "euler-ancestral-rf"})
    public String scheduler;

    @Param({"float32", "bfloat16"})
    public String dtype;

    @Param({"4096"})
    public int tokens;

    private FamilyStep fixture;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        if (backend.equals(JavaBackend.NAME)) {
            JavaBackend.awaitVectorKernels(3, TimeUnit.MINUTES); // measure the vector kernels, not the warm-up
        }
        fixture = new FamilyStep(Backends.named(backend), scheduler, DType.parse(dtype), tokens);
        if (backend.equals(JavaBackend.NAME)) {
            // The steps the fixture has taken have made each of this scheduler's expressions due for a fused loop.
            JavaBackend.awaitFusedLoops(3, TimeUnit.MINUTES);
        }
    }

    /** Back to step {@link FamilyStep#FIRST} when the schedule runs out (untimed; a step takes 100s of us). */
    @Setup(Level.Invocation)
    public void rewind() {
        if (fixture.exhausted()) {
            fixture.reset();
        }
    }

    @Benchmark
    public void step() {
        fixture.step();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }
}

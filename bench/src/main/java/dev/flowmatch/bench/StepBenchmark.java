package dev.flowmatch.bench;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.SplittableRandom;
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
 * One scheduler step {@code x + dt * v} on a FLUX.2 latent {@code [1, tokens, 128]}, through the public API
 * (scheduler, SPI, backend), evaluated to completion, the output closed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StepBenchmark {
    @Param({"java"})
    public String backend;

    @Param({"16", "256", "1024", "4096", "16384"})
    public int tokens;

    @Param({"float32", "bfloat16", "float16"})
    public String dtype;

    /** Threads the java backend may use for one step: {@code all} cores, or {@code 1} (the calling thread). */
    @Param({"all"})
    public String threads;

    /**
     * The java backend's kernels this fork must run: {@code vector} (the JVM has
     * {@code --add-modules jdk.incubator.vector}) or {@code scalar} (it has not). A label checked at setup, so a
     * row can never be reported under the wrong kernels; the other backends ignore it.
     */
    @Param({"vector"})
    public String kernels;

    private TensorBackend tensors;
    private FlowMatchScheduler scheduler;
    private Tensor sample;
    private Tensor modelOutput;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        if (threads.equals("all")) {
            System.clearProperty("flowmatch.java.threads");
        } else {
            System.setProperty("flowmatch.java.threads", threads);
        }
        tensors = Backends.named(backend);
        if (backend.equals(JavaBackend.NAME)) {
            if (JavaBackend.kernels().startsWith("vector") != kernels.equals("vector")) {
                throw new IllegalStateException("kernels=" + kernels + " but this JVM runs " + JavaBackend.kernels());
            }
            // The vector kernels take over once compiled (a few seconds); measure them, not the scalar loops before.
            if (kernels.equals("vector") && !JavaBackend.awaitVectorKernels(3, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the vector kernels did not become faster than the scalar ones");
            }
        }
        scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(4, 2.29);
        DType type = DType.parse(dtype);
        Shape shape = Shape.of(1, tokens, 128);
        sample = tensors.fromFloats(randomValues(1, tokens * 128), type, shape);
        modelOutput = tensors.fromFloats(randomValues(2, tokens * 128), type, shape);
    }

    static float[] randomValues(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return values;
    }

    @Benchmark
    public void step() {
        try (Tensor out = scheduler.step(modelOutput, sample, 1)) {
            tensors.evaluate(out);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sample.close();
        modelOutput.close();
    }
}

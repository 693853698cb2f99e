package dev.flowmatch.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

/** The float32 step written directly with DJL NDArrays ({@code x.add(v.mul(dt))}): the baseline for {@code djl}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DjlRawBenchmark {
    @Param({"16", "256", "1024", "4096", "16384"})
    public int tokens;

    private NDManager manager;
    private NDArray x;
    private NDArray v;

    @Setup(Level.Trial)
    public void setUp() {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        manager = NDManager.newBaseManager("PyTorch");
        Shape shape = new Shape(1, tokens, 128);
        x = manager.create(StepBenchmark.randomValues(1, tokens * 128), shape);
        v = manager.create(StepBenchmark.randomValues(2, tokens * 128), shape);
    }

    @Benchmark
    public void step() {
        try (NDArray scaled = v.mul(-0.0326f); NDArray out = x.add(scaled)) {
            out.getShape();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }
}

package dev.flowmatch.bench;

import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** torch-compatible {@code randn} of a FLUX.2 1024x1024 latent {@code [1, 4096, 128]}, seeded per call as a run is. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class NoiseBenchmark {
    @Param({"float32", "bfloat16"})
    public String dtype;

    private final Shape shape = Shape.of(1, 4096, 128);

    @Benchmark
    public int[] randn() {
        return new TorchGenerator(42).randnBits(shape, DType.parse(dtype));
    }
}

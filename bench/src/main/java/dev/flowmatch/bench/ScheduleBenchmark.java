package dev.flowmatch.bench;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.SchedulerConfig;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The host-side schedule math: {@code setTimestepsWithMu} (FLUX.2 sigmas + exponential shift) and mu. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScheduleBenchmark {
    @Param({"4", "50"})
    public int steps;

    private final FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
    private int imageSeqLen = 4096;

    @Benchmark
    public float setTimesteps() {
        scheduler.setTimestepsWithMu(steps, 2.29);
        return scheduler.timestep(steps - 1);
    }

    @Benchmark
    public double empiricalMu() {
        return Flux2.computeEmpiricalMu(imageSeqLen, steps);
    }
}

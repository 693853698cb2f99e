package dev.flowmatch.cli;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Limits;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch bench}: a short timing of one step per backend, size and dtype, next to a plain-Java triad
 * measured in the same run. For numbers to publish, use the JMH benchmarks ({@code bench/}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"A short timing of the scheduler step on each available backend: time per step, GB/s and",
                "percent of a plain-Java triad (out = a + s*b) measured in the same run. For published numbers",
                "use the JMH benchmarks (bench/README.md)."})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "NAME", description = "Only this backend (default: every available one).")
    String backend;

    @Option(names = "--tokens", split = ",", paramLabel = "N,...", defaultValue = "256,1024,4096,16384",
            description = "Latent sizes [1, N, 128] (default ${DEFAULT-VALUE}).")
    List<Integer> tokens;

    @Option(names = "--millis", defaultValue = "300", description = "Measuring time per row (default ${DEFAULT-VALUE} ms).")
    int millis;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (int t : tokens) {
            Limits.requireTokens("--tokens", t);
        }
        Limits.requireRange("--millis", millis, 10, 60_000, null);
        List<TensorBackend> backends = backend == null ? Backends.available() : List.of(Backends.named(backend));
        out.printf(Locale.ROOT, "%-8s %-9s %8s %12s %9s %10s%n", "backend", "dtype", "tokens", "us/step", "GB/s", "% triad");
        for (int t : tokens) {
            double triad = triadMicros(t * 128);
            for (TensorBackend b : backends) {
                for (DType dtype : new DType[] {DType.FLOAT32, DType.BFLOAT16}) {
                    double us = stepMicros(b, t, dtype);
                    double bytes = 3.0 * t * 128 * dtype.byteSize();
                    out.printf(Locale.ROOT, "%-8s %-9s %8d %12.2f %9.2f %9.0f%%%n", b.name(), dtype.torchName(), t, us,
                            bytes / us / 1e3, 100 * triad / us);
                }
            }
            out.printf(Locale.ROOT, "%-8s %-9s %8d %12.2f %9.2f %9s%n", "triad", "float32", t, triad,
                    3.0 * t * 128 * 4 / triad / 1e3, "100%");
            out.flush();
        }
        return 0;
    }

    private double stepMicros(TensorBackend b, int tokens, DType dtype) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(4, 2.29);
        Shape shape = Shape.of(1, tokens, 128);
        try (Tensor x = b.fromFloats(values(1, tokens * 128), dtype, shape);
             Tensor v = b.fromFloats(values(2, tokens * 128), dtype, shape)) {
            return median(() -> {
                try (Tensor r = scheduler.step(v, x, 1)) {
                    b.evaluate(r);
                }
            });
        }
    }

    private double triadMicros(int n) {
        float[] a = values(1, n);
        float[] b = values(2, n);
        float[] o = new float[n];
        return median(() -> triad(a, -0.0326f, b, o));
    }

    private static void triad(float[] a, float s, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + s * b[i];
        }
    }

    /** Median over batches of the time per call, after a warm-up of a third of the budget. */
    private double median(Runnable call) {
        long budget = millis * 1_000_000L;
        long warmEnd = System.nanoTime() + budget / 3;
        while (System.nanoTime() < warmEnd) {
            call.run();
        }
        List<Double> perCall = new ArrayList<>();
        long end = System.nanoTime() + budget;
        while (System.nanoTime() < end || perCall.size() < 3) {
            long start = System.nanoTime();
            int calls = 0;
            do {
                call.run();
                calls++;
            } while (System.nanoTime() - start < budget / 20);
            perCall.add((System.nanoTime() - start) / 1e3 / calls);
        }
        double[] sorted = perCall.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static float[] values(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return v;
    }
}

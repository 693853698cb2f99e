package dev.flowmatch.cli;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Limits;
import dev.flowmatch.javabackend.JavaBackend;
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
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch bench}: a short timing of one step per backend, size and dtype, next to a plain-Java triad
 * measured in the same run. For numbers to publish, use the JMH benchmarks ({@code bench/}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Times the scheduler step on each available backend.",
        description = "A short timing for each backend, dtype and size: time per step, GB/s, and percent of a"
                + " plain-Java triad (out = a + s*b) measured in the same run. Each row is warmed up"
                + " until its time per step stops falling. For numbers to publish, use the JMH benchmarks"
                + " (bench/README.md).")
final class BenchCommand implements Callable<Integer> {
    private static final DType[] DTYPES = {DType.FLOAT32, DType.BFLOAT16};

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "NAME", description = "Only this backend (default: every available one).")
    String backend;

    @Option(names = "--tokens", split = ",", paramLabel = "N[,N...]", hideParamSyntax = true,
            defaultValue = "256,1024,4096,16384",
            description = "Latent sizes [1, N, 128] (default ${DEFAULT-VALUE}).")
    List<Integer> tokens;

    @Option(names = "--millis", defaultValue = "300", paramLabel = "MS",
            description = "Measuring time per row (default ${DEFAULT-VALUE} ms).")
    int millis;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (int t : tokens) {
            Limits.requireTokens("--tokens", t);
        }
        Limits.requireRange("--millis", millis, 10, 60_000, null);
        List<TensorBackend> backends = backend == null ? Backends.available() : List.of(Backends.named(backend));
        boolean java = backends.stream().anyMatch(b -> b.name().equals(JavaBackend.NAME));
        if (java) {
            // The java backend's bfloat16 vector kernels take over once compiled: time those, not the scalar loops.
            try {
                JavaBackend.awaitVectorKernels(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Every row's code runs (and is compiled by the JIT) before any row is timed: the first rows would
        // otherwise pay for compiling paths that later rows share.
        for (int t : tokens) {
            triadMicros(t * 128, false);
            for (TensorBackend b : backends) {
                for (DType dtype : DTYPES) {
                    stepMicros(b, t, dtype, false);
                }
            }
        }
        out.printf(Locale.ROOT, "%-8s %-9s %8s %12s %9s %10s%n", "backend", "dtype", "tokens", "us/step", "GB/s", "% triad");
        for (int t : tokens) {
            double triad = triadMicros(t * 128, true);
            for (TensorBackend b : backends) {
                for (DType dtype : DTYPES) {
                    double us = stepMicros(b, t, dtype, true);
                    double bytes = 3.0 * t * 128 * dtype.byteSize();
                    out.printf(Locale.ROOT, "%-8s %-9s %8d %12.2f %9.2f %9.0f%%%n", b.name(), dtype.torchName(), t, us,
                            bytes / us / 1e3, 100 * triad / us);
                }
            }
            out.printf(Locale.ROOT, "%-8s %-9s %8d %12.2f %9.2f %9s%n", "triad", "float32", t, triad,
                    3.0 * t * 128 * 4 / triad / 1e3, "100%");
            out.flush();
        }
        if (java) {
            out.println("java kernels: " + JavaBackend.kernels());
            out.flush();
        }
        return 0;
    }

    /** The step's time in microseconds, after a warm-up; with {@code measure} false, only the warm-up (NaN). */
    private double stepMicros(TensorBackend b, int tokens, DType dtype, boolean measure) {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
        scheduler.setTimestepsWithMu(4, 2.29);
        Shape shape = Shape.of(1, tokens, 128);
        try (Tensor x = b.fromFloats(values(1, tokens * 128), dtype, shape);
             Tensor v = b.fromFloats(values(2, tokens * 128), dtype, shape)) {
            return time(() -> {
                try (Tensor r = scheduler.step(v, x, 1)) {
                    b.evaluate(r);
                }
            }, measure);
        }
    }

    /** The triad's time in microseconds, after a warm-up; with {@code measure} false, only the warm-up (NaN). */
    private double triadMicros(int n, boolean measure) {
        float[] a = values(1, n);
        float[] b = values(2, n);
        float[] o = new float[n];
        return time(() -> triad(a, -0.0326f, b, o), measure);
    }

    private static void triad(float[] a, float s, float[] b, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = a[i] + s * b[i];
        }
    }

    /**
     * Median over batches of the time per call. Before it, a warm-up: batches until the time per call stops
     * falling (the JIT has compiled the code; a slow path, such as bfloat16 in the interpreter, needs many calls),
     * at least a third of the budget and at most ten budgets. With {@code measure} false, only the warm-up.
     */
    private double time(Runnable call, boolean measure) {
        long budget = millis * 1_000_000L;
        long warmStart = System.nanoTime();
        double best = Double.MAX_VALUE;
        while (true) {
            double perCall = batch(call, budget / 20);
            long warmed = System.nanoTime() - warmStart;
            boolean stable = perCall > 0.95 * best;
            best = Math.min(best, perCall);
            if ((warmed >= budget / 3 && stable) || warmed >= 10 * budget) {
                break;
            }
        }
        if (!measure) {
            return Double.NaN;
        }
        List<Double> perCall = new ArrayList<>();
        long end = System.nanoTime() + budget;
        while (System.nanoTime() < end || perCall.size() < 3) {
            perCall.add(batch(call, budget / 20));
        }
        double[] sorted = perCall.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /** Calls {@code call} for at least {@code nanos}; the time per call in microseconds. */
    private static double batch(Runnable call, long nanos) {
        long start = System.nanoTime();
        int calls = 0;
        do {
            call.run();
            calls++;
        } while (System.nanoTime() - start < nanos);
        return (System.nanoTime() - start) / 1e3 / calls;
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

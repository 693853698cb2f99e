package dev.flowmatch.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * A design probe, not part of {@link BenchReport}'s run: would evaluating UniPC's three calls block by block bring
 * its step at {@code [1, 4096, 128]} float32 nearer its memory bound? The arithmetic of one bh2 order-2 step
 * (data prediction, corrector, predictor, the operations of {@code UniPCMultistepScheduler}'s expressions with
 * made-up coefficients) on plain float arrays, as three passes over the whole latent ({@link #threePasses}: 24 MiB
 * read and written, what the scheduler's three {@code elementwise} calls move) and as one pass that runs the three
 * loops on each block in turn ({@link #blocked}: 16 MiB, each tensor read or written once), next to the triad of
 * the latent's size ({@link #triad}, 6 MiB); and the three passes with every other one over the blocks backwards
 * ({@link #alternating}), so that a pass starts where the last one ended, in the cache. Every variant touches the
 * same eight 2 MiB arrays. Run by hand: {@code org.openjdk.jmh.Main UniPcFusionProbe} on the bench classpath; what
 * it measured is in RESULTS.md's notes (neither variant beats the three passes' ratio to the bytes they move).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class UniPcFusionProbe {
    private static final int ELEMENTS = BenchReport.FAMILY_ELEMENTS;

    /** Elements per block of {@link #blocked}: 8 arrays x 4 bytes x block in L2 (1 MiB per core here) or not. */
    @Param({"4096", "16384", "65536"})
    public int block;

    private final float[] sample = StepBenchmark.randomValues(1, ELEMENTS);
    private final float[] modelOutput = StepBenchmark.randomValues(2, ELEMENTS);
    private final float[] lastSample = StepBenchmark.randomValues(3, ELEMENTS);
    private final float[] previousX0 = StepBenchmark.randomValues(4, ELEMENTS);
    private final float[] olderX0 = StepBenchmark.randomValues(5, ELEMENTS);
    private final float[] x0 = new float[ELEMENTS];
    private final float[] corrected = new float[ELEMENTS];
    private final float[] result = new float[ELEMENTS];

    /** {@code x0 = sample - sigma * v}. */
    private static void dataPrediction(float[] sample, float[] v, float[] x0, int from, int to) {
        for (int i = from; i < to; i++) {
            x0[i] = sample[i] - 0.3f * v[i];
        }
    }

    /** {@code c1 * x - c2 * m0 - c3 * (rho0 * (m1 - m0) / rk + rho1 * (x0 - m0))}. */
    private static void corrector(float[] x, float[] m0, float[] m1, float[] x0, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            float base = 0.9f * x[i] - 0.1f * m0[i];
            float d1 = (m1[i] - m0[i]) / 1.7f;
            out[i] = base - 0.2f * (0.4f * d1 + 0.5f * (x0[i] - m0[i]));
        }
    }

    /** {@code c1 * x - c2 * m0 - c3 * (rho * (m1 - m0) / rk)}. */
    private static void predictor(float[] x, float[] m0, float[] m1, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            float base = 0.9f * x[i] - 0.1f * m0[i];
            out[i] = base - 0.2f * (0.5f * ((m1[i] - m0[i]) / 1.3f));
        }
    }

    @Benchmark
    public float[] threePasses() {
        dataPrediction(sample, modelOutput, x0, 0, ELEMENTS);
        corrector(lastSample, previousX0, olderX0, x0, corrected, 0, ELEMENTS);
        predictor(corrected, x0, previousX0, result, 0, ELEMENTS);
        return result;
    }

    @Benchmark
    public float[] blocked() {
        for (int from = 0; from < ELEMENTS; from += block) {
            int to = Math.min(ELEMENTS, from + block);
            dataPrediction(sample, modelOutput, x0, from, to);
            corrector(lastSample, previousX0, olderX0, x0, corrected, from, to);
            predictor(corrected, x0, previousX0, result, from, to);
        }
        return result;
    }

    private boolean backwards;

    /** The three passes, every other one over the blocks from the last to the first (direction kept across calls). */
    @Benchmark
    public float[] alternating() {
        int blocks = (ELEMENTS + block - 1) / block;
        for (int pass = 0; pass < 3; pass++) {
            for (int k = 0; k < blocks; k++) {
                int from = (backwards ? blocks - 1 - k : k) * block;
                int to = Math.min(ELEMENTS, from + block);
                switch (pass) {
                    case 0 -> dataPrediction(sample, modelOutput, x0, from, to);
                    case 1 -> corrector(lastSample, previousX0, olderX0, x0, corrected, from, to);
                    default -> predictor(corrected, x0, previousX0, result, from, to);
                }
            }
            backwards = !backwards;
        }
        return result;
    }

    @Benchmark
    public float[] triad() {
        BaselineBenchmark.triad(sample, -0.0326f, modelOutput, result);
        return result;
    }
}

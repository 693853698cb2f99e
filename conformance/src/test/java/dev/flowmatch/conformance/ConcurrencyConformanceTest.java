package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One backend instance shared by 8 threads running full samplings (every scheduler of the family, Euler stochastic
 * and not, float32 and bfloat16) gives bits identical to the same runs on one thread; and the process's memory
 * (native included) stays flat over a long concurrent run, every sampling of which still gives the one-thread bits.
 *
 * <p>The soak length is {@code -Dflowmatch.soak.rounds} (default 2 here; {@code mvn verify -Psoak} runs 200).
 */
class ConcurrencyConformanceTest {
    /** Threads sharing the backend. */
    private static final int THREADS = 8;
    /** [1, 128, 128]: a 256x128 image's packed latents. */
    private static final Shape SHAPE = Shape.of(1, 128, 128);
    private static final int STEPS = 6;
    private static final DType[] DTYPES = {DType.FLOAT32, DType.BFLOAT16};
    /** Memory a long run may gain after its warm-up rounds before it counts as a leak. */
    private static final long RSS_SLACK_BYTES = 96L << 20;

    /** A scheduler the runs use: a name and a factory (a scheduler holds one generation's state). */
    record SchedulerCase(String name, Supplier<Scheduler> factory) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The flow mode that DPM-Solver and UniPC need (pipelines pass these keys to {@code from_config}). */
    private static final String FLOW_MODE =
            "{\"use_flow_sigmas\": true, \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0}";

    /**
     * Every class of the family (a class added to {@link SchedulerType} joins here by itself) with diffusers'
     * defaults, or with {@link #FLOW_MODE} for a class whose defaults are not a flow-matching scheduler; plus the
     * configurations worth running on their own: one line each.
     */
    static List<SchedulerCase> schedulers() {
        List<SchedulerCase> cases = new ArrayList<>();
        for (SchedulerType type : SchedulerType.values()) {
            Supplier<Scheduler> factory;
            try {
                Schedulers.create(type);
                factory = () -> Schedulers.create(type);
            } catch (IllegalArgumentException notFlowByDefault) {
                factory = () -> Schedulers.fromConfig(Schedulers.parseJson(FLOW_MODE), type);
            }
            cases.add(new SchedulerCase(type.cliName(), factory));
        }
        cases.add(new SchedulerCase("euler-flux2", () -> new FlowMatchScheduler(SchedulerConfig.flux2Klein())));
        cases.add(new SchedulerCase("euler-stochastic", () -> new FlowMatchScheduler(
                SchedulerConfig.flux2Klein().toBuilder().stochasticSampling(true).build())));
        return cases;
    }

    /** One full sampling: a scheduler, a dtype, a seed. */
    record Job(SchedulerCase scheduler, DType dtype, long seed) {
        String key() {
            return scheduler.name() + "/" + dtype.torchName() + "/" + seed;
        }
    }

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    private static List<Job> jobs() {
        List<Job> jobs = new ArrayList<>();
        long seed = 100;
        for (SchedulerCase scheduler : schedulers()) {
            for (DType dtype : DTYPES) {
                jobs.add(new Job(scheduler, dtype, seed++));
            }
        }
        return jobs;
    }

    /** The sampling's result bits: latents from the seed, the analytic model, a generator for stochastic steps. */
    private static int[] run(TensorBackend backend, Job job) {
        GaussianFlow flow = new GaussianFlow(Data.values(7, (int) SHAPE.numel(), 0.8, 0), 0.5);
        Sampler sampler = Sampler.builder().scheduler(job.scheduler().factory()).numSteps(STEPS).imageSeqLen(128)
                .build();
        try (Tensor latents = backend.fromFloats(Data.values(job.seed(), (int) SHAPE.numel(), 1.0, 0), job.dtype(),
                SHAPE);
             Tensor out = sampler.run(latents, flow, new TorchGenerator(job.seed()))) {
            return backend.toBits(out);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void eightThreadsGiveTheBitsOfOne(TensorBackend backend) throws Exception {
        Conformance.use(backend);
        List<Job> jobs = jobs();
        Map<String, int[]> single = new HashMap<>();
        for (Job job : jobs) {
            single.put(job.key(), run(backend, job));
        }
        // every job three times, shuffled, on 8 threads sharing the one backend instance
        List<Job> repeated = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            repeated.addAll(jobs);
        }
        Collections.shuffle(repeated, new Random(17));
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<int[]>> results = new ArrayList<>();
            for (Job job : repeated) {
                results.add(pool.submit(() -> run(backend, job)));
            }
            for (int i = 0; i < repeated.size(); i++) {
                Job job = repeated.get(i);
                assertArrayEquals(single.get(job.key()), results.get(i).get(), backend.name() + " " + job.key()
                        + ": 8 threads differ from one");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void memoryStaysFlatOverALongConcurrentRun(TensorBackend backend) throws Exception {
        Conformance.use(backend);
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux's /proc/self/status");
        int rounds = Integer.getInteger("flowmatch.soak.rounds", 2);
        List<Job> jobs = jobs();
        Map<String, int[]> single = new HashMap<>();
        for (Job job : jobs) {
            single.put(job.key(), run(backend, job));
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            // warm-up: allocator pools, JIT, native caches reach their working size
            concurrentRound(pool, backend, jobs, single);
            concurrentRound(pool, backend, jobs, single);
            long before = settledRss();
            long peak = before;
            for (int round = 0; round < rounds; round++) {
                concurrentRound(pool, backend, jobs, single);
                peak = Math.max(peak, settledRss());
            }
            long after = settledRss();
            Report.note(backend.name(), String.format(java.util.Locale.ROOT,
                    "memory over %d concurrent rounds (%d samplings): RSS %d -> %d MiB (peak %d)", rounds,
                    rounds * jobs.size(), before >> 20, after >> 20, peak >> 20));
            long grown = after - before;
            assertTrue(grown < RSS_SLACK_BYTES, backend.name() + ": RSS grew by " + (grown >> 20) + " MiB over "
                    + rounds + " rounds (" + (before >> 20) + " -> " + (after >> 20) + " MiB): a leak");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every job once on the pool; each result's bits must be the job's one-thread bits ({@code single}). */
    private static void concurrentRound(ExecutorService pool, TensorBackend backend, List<Job> jobs,
                                        Map<String, int[]> single) throws Exception {
        List<Future<int[]>> results = new ArrayList<>();
        for (Job job : jobs) {
            results.add(pool.submit(() -> run(backend, job)));
        }
        for (int i = 0; i < jobs.size(); i++) {
            Job job = jobs.get(i);
            assertArrayEquals(single.get(job.key()), results.get(i).get(), backend.name() + " " + job.key()
                    + ": a concurrent round differs from one thread");
        }
    }

    /** The resident set after a full collection (so garbage still waiting to be collected does not count). */
    private static long settledRss() throws IOException, InterruptedException {
        System.gc();
        Thread.sleep(100);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }
}

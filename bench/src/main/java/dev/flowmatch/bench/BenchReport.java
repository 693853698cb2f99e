package dev.flowmatch.bench;

import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark in one JMH run and rewrites {@code bench/RESULTS.md}: the machine, the tables, and each
 * target of issue 7 with its measured ratio. Run from the repository root:
 * {@code mvn -B -Pbench -pl bench -am -DskipTests verify} (add {@code -Dbench.args=quick} for a short run).
 */
public final class BenchReport {
    private static final int[] TOKENS = {16, 256, 1024, 4096, 16384};

    private BenchReport() {}

    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        boolean quick = List.of(args).contains("quick");
        List<String> backends = Backends.available().stream().map(TensorBackend::name).sorted().toList();
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(StepBenchmark.class.getSimpleName())
                .include(BaselineBenchmark.class.getSimpleName())
                .include(ScheduleBenchmark.class.getSimpleName())
                .include(NoiseBenchmark.class.getSimpleName())
                .param("backend", backends.toArray(String[]::new))
                .forks(1)
                .warmupIterations(quick ? 2 : 4).warmupTime(TimeValue.milliseconds(quick ? 300 : 1000))
                .measurementIterations(quick ? 3 : 6).measurementTime(TimeValue.milliseconds(quick ? 300 : 1000))
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "-Xmx4g")
                .timeUnit(TimeUnit.MICROSECONDS);
        if (backends.contains("djl")) {
            options.include(DjlRawBenchmark.class.getSimpleName());
        }
        List<RunResult> results = new ArrayList<>(new Runner(options.build()).run());
        if (backends.contains("java")) {
            // The java backend on the calling thread alone, to show what splitting over cores buys.
            results.addAll(new Runner(new OptionsBuilder().parent(options.build())
                    .include(StepBenchmark.class.getSimpleName()).exclude("Baseline|Schedule|Noise|DjlRaw")
                    .param("backend", "java").param("threads", "1").build()).run());
        }
        Scores scores = new Scores(results);
        Torch torch = torchRandnMicros();
        String report = render(scores, backends, torch, quick);
        Path file = Path.of("RESULTS.md");
        Files.writeString(file, report, StandardCharsets.UTF_8);
        System.out.println("wrote " + file.toAbsolutePath());
    }

    /** Scores (microseconds, or the benchmark's unit) by benchmark method and parameters. */
    static final class Scores {
        private final Collection<RunResult> results;

        Scores(Collection<RunResult> results) {
            this.results = results;
        }

        /** The result of {@code method} (e.g. {@code StepBenchmark.step}) whose parameters include {@code params}. */
        private RunResult find(String method, Map<String, String> params) {
            for (RunResult r : results) {
                String name = r.getParams().getBenchmark();
                if (!name.endsWith("." + method)) {
                    continue;
                }
                boolean all = true;
                for (Map.Entry<String, String> p : params.entrySet()) {
                    all &= p.getValue().equals(r.getParams().getParam(p.getKey()));
                }
                if (all) {
                    return r;
                }
            }
            return null;
        }

        /** {@code key}: the method, then {@code name=value} parameters, separated by spaces. */
        private RunResult find(String key) {
            String[] parts = key.split(" ");
            Map<String, String> params = new TreeMap<>();
            for (int i = 1; i < parts.length; i++) {
                params.put(parts[i].substring(0, parts[i].indexOf('=')), parts[i].substring(parts[i].indexOf('=') + 1));
            }
            return find(parts[0], params);
        }

        double get(String key) {
            RunResult r = find(key);
            return r == null ? Double.NaN : r.getPrimaryResult().getScore();
        }

        double error(String key) {
            RunResult r = find(key);
            return r == null ? Double.NaN : r.getPrimaryResult().getScoreError();
        }
    }

    static String step(String backend, int tokens, String dtype) {
        return step(backend, tokens, dtype, "all");
    }

    static String step(String backend, int tokens, String dtype, String threads) {
        return "StepBenchmark.step backend=" + backend + " dtype=" + dtype + " tokens=" + tokens + " threads=" + threads;
    }

    /** torch's own randn time on this machine: microseconds (NaN when not measured) and how it was measured. */
    record Torch(double micros, String text) {}

    static String render(Scores s, List<String> backends, Torch torch, boolean quick) {
        StringBuilder md = new StringBuilder();
        md.append("# flowmatch benchmark results\n\n");
        md.append("Generated by `mvn -B -Pbench -pl bench -am -DskipTests verify")
                .append(quick ? " -Dbench.args=quick" : "").append("` (JMH ")
                .append(quick ? "quick run: 2x300 ms warm-up, 3x300 ms measured" : "4x1 s warm-up, 6x1 s measured")
                .append(", 1 fork). All numbers come from one run on one machine, side by side; ratios compare")
                .append(" rows of that run. Shared machines are noisy: read the +- column.\n\n");
        md.append("- Date: ").append(LocalDate.now()).append('\n');
        md.append("- Machine: ").append(cpu()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores\n");
        md.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append('\n');
        md.append("- Backends measured: ").append(String.join(", ", backends)).append("\n\n");

        md.append("## Step `x + dt*v` on `[1, tokens, 128]` (microseconds per step)\n\n");
        md.append("| backend | dtype | tokens | us/step | +- | GB/s | % of triad speed |\n|---|---|---|---|---|---|---|\n");
        for (String b : backends) {
            for (String dtype : new String[] {"float32", "bfloat16"}) {
                for (int t : TOKENS) {
                    double us = s.get(step(b, t, dtype));
                    double triad = s.get("BaselineBenchmark.triad tokens=" + t);
                    double bytes = 3.0 * t * 128 * (dtype.equals("float32") ? 4 : 2);
                    md.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.2f | %.1f | %.0f%% |\n", b, dtype, t,
                            us, s.error(step(b, t, dtype)), bytes / us / 1e3, 100 * triad / us));
                }
            }
        }
        if (backends.contains("java")) {
            md.append("\nThe `java` rows above may split a large step over the cores (above 2^20 float32 or 2^18 ")
                    .append("bfloat16 elements); on the calling thread alone (`-Dflowmatch.java.threads=1`):\n\n")
                    .append("| dtype | tokens | us/step, 1 thread | +- | us/step, all cores |\n|---|---|---|---|---|\n");
            for (String dtype : new String[] {"float32", "bfloat16"}) {
                for (int t : TOKENS) {
                    md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f |\n", dtype, t,
                            s.get(step("java", t, dtype, "1")), s.error(step("java", t, dtype, "1")),
                            s.get(step("java", t, dtype))));
                }
            }
        }
        md.append("\n## Baselines (microseconds)\n\n| tokens | triad (float32) | copy (arraycopy) |");
        boolean djl = backends.contains("djl");
        md.append(djl ? " raw DJL `x.add(v.mul(dt))` |\n|---|---|---|---|\n" : "\n|---|---|---|\n");
        for (int t : TOKENS) {
            md.append(String.format(Locale.ROOT, "| %d | %.2f +- %.2f | %.2f +- %.2f |", t,
                    s.get("BaselineBenchmark.triad tokens=" + t), s.error("BaselineBenchmark.triad tokens=" + t),
                    s.get("BaselineBenchmark.copy tokens=" + t), s.error("BaselineBenchmark.copy tokens=" + t)));
            if (djl) {
                md.append(String.format(Locale.ROOT, " %.2f +- %.2f |", s.get("DjlRawBenchmark.step tokens=" + t),
                        s.error("DjlRawBenchmark.step tokens=" + t)));
            }
            md.append('\n');
        }
        md.append("\n## Schedule and noise\n\n| benchmark | time |\n|---|---|\n");
        for (int n : new int[] {4, 50}) {
            md.append(String.format(Locale.ROOT, "| setTimestepsWithMu(%d) | %.3f us |\n", n,
                    s.get("ScheduleBenchmark.setTimesteps steps=" + n)));
            md.append(String.format(Locale.ROOT, "| computeEmpiricalMu(4096, %d) | %.4f us |\n", n,
                    s.get("ScheduleBenchmark.empiricalMu steps=" + n)));
        }
        for (String dtype : new String[] {"float32", "bfloat16"}) {
            md.append(String.format(Locale.ROOT, "| randn [1, 4096, 128] %s (TORCH_CPU) | %.1f us |\n", dtype,
                    s.get("NoiseBenchmark.randn dtype=" + dtype)));
        }
        md.append("| torch 1.13 `torch.randn([1, 4096, 128], generator=...)` float32 (python3-torch, same machine, same run) | ")
                .append(torch.text()).append(" |\n");

        md.append("\n## Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
        if (backends.contains("java")) {
            for (int t : TOKENS) {
                double ratio = s.get(step("java", t, "float32")) / s.get("BaselineBenchmark.triad tokens=" + t);
                String name = t == 16 ? "per-call overhead at [1, 16, 128]: java float32 step < 2x triad"
                        : "java float32 step within 1.15x of triad at [1, " + t + ", 128]";
                double limit = t == 16 ? 2.0 : 1.15;
                md.append(target(name, ratio, "x triad", ratio <= limit));
            }
            for (int t : new int[] {4096, 16384}) {
                double ratio = s.get(step("java", t, "bfloat16")) / s.get(step("java", t, "float32"));
                md.append(target("java bf16 step no slower than float32 at [1, " + t + ", 128]", ratio,
                        "x float32", ratio <= 1.0));
            }
        }
        if (djl) {
            for (int t : TOKENS) {
                double ratio = s.get(step("djl", t, "float32")) / s.get("DjlRawBenchmark.step tokens=" + t);
                md.append(target("djl float32 step within 1.3x of raw DJL at [1, " + t + ", 128]", ratio,
                        "x raw DJL", ratio <= 1.3));
            }
        }
        double fifty = s.get("ScheduleBenchmark.setTimesteps steps=50");
        md.append(target("setTimesteps(50) under 10 us", fifty, "us", fifty < 10));
        double noise = s.get("NoiseBenchmark.randn dtype=float32");
        md.append(String.format(Locale.ROOT, "| float32 noise [1, 4096, 128] at least as fast as torch's CPU randn | %.3f x torch (%.1f us vs %s) | %s |\n",
                noise / torch.micros(), noise, torch.text(), Double.isNaN(torch.micros()) ? "not measured"
                        : noise <= torch.micros() ? "met" : "MISSED"));
        md.append(NOTES);
        return md.toString();
    }

    /** What the tables mean for the design; the numbers they refer to are in the tables above. */
    private static final String NOTES = """

            ## Notes

            - **Backend priority on a CPU.** The `java` step runs at the triad's speed: the SPI and the scheduler add
              nothing measurable, and it starts instantly. The native backends on a CPU are slower per step (`djl`
              pays JNI calls and PyTorch's allocator; `mlx` builds and evaluates a graph per step), so on a CPU the
              `java` backend has the highest priority (50) and `djl` / `mlx` (40) are used when named; on a GPU
              they take 110. A native backend earns its place by keeping the latents where the model runs.
            - **bfloat16 on the `java` backend misses its target.** Each element is widened from 16 bits, multiplied,
              rounded to bfloat16, added and rounded again; HotSpot's C2 does not vectorise these conversion loops,
              so they run as scalar code at a few ns per element, far from the memory bound. Splitting over the
              cores halves it where there is more than one core (second table). An attempt with the incubating Vector
              API (`jdk.incubator.vector`, JDK 25) was measured slower than the scalar loop on this machine and would
              make every user add `--add-modules`, so it is not used.
            - **`djl` bfloat16** is emulated (DJL 0.36 aborts the JVM on any BFLOAT16 NDArray): values are held as
              float32 and rounded with float arithmetic, several PyTorch kernels per step.
            - **`mlx` here is MLX's CPU backend** (Linux, no Metal); its bfloat16 conversions on the CPU are slow at
              large sizes. The target device, Metal on Apple silicon, is not measured here.
            - **Noise** is generated on one thread in plain Java; the torch row ran with `torch.get_num_threads()`
              as printed in it (Debian's torch 1.13 build).
            """;

    private static String target(String name, double value, String unit, boolean met) {
        return String.format(Locale.ROOT, "| %s | %.3f %s | %s |\n", name, value, unit, met ? "met" : "MISSED");
    }

    private static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    /** Debian's python3 (where python3-torch installs) if present, else the python3 on the PATH. */
    private static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** torch's own CPU randn on this machine (Debian's python3-torch), or why it could not be measured. */
    static Torch torchRandnMicros() throws InterruptedException {
        String script = String.join("\n",
                "import torch, time",
                "g = torch.Generator()",
                "for _ in range(20): torch.randn((1, 4096, 128), generator=g.manual_seed(42))",
                "best = []",
                "for _ in range(7):",
                "    t = time.perf_counter()",
                "    for _ in range(50): torch.randn((1, 4096, 128), generator=g.manual_seed(42))",
                "    best.append((time.perf_counter() - t) / 50 * 1e6)",
                "best.sort()",
                "print('%.1f us (median of 7x50 calls, torch %s, %d threads)' % (best[3], torch.__version__, torch.get_num_threads()))");
        try {
            Process p = new ProcessBuilder(python(), "-c", script).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                return new Torch(Double.NaN, "not measured (python3 with torch unavailable: "
                        + out.lines().reduce((a, b) -> b).orElse("") + ")");
            }
            return new Torch(Double.parseDouble(out.substring(0, out.indexOf(' '))), out);
        } catch (IOException e) {
            return new Torch(Double.NaN, "not measured (no python3: " + e.getMessage() + ")");
        }
    }

}

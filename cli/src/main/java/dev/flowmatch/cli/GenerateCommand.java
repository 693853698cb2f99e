package dev.flowmatch.cli;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.flowmatch.examples.ClassSampler;
import dev.flowmatch.examples.DjlFlowModel;
import dev.flowmatch.examples.FlowModel;
import dev.flowmatch.scheduler.FlowSchedulers;
import dev.flowmatch.examples.ModelFiles;
import dev.flowmatch.examples.ModelInfo;
import dev.flowmatch.examples.OrtFlowModel;
import dev.flowmatch.sampling.Guidance;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch generate}: a learned class-conditional flow model (the bundled {@code digits} model, or a model
 * directory), sampled by flowmatch with any scheduler of the family and classifier-free guidance (core's
 * {@link Sampler}), as a PNG grid: one column per label, one row per sample. The seed gives a torch generator that
 * draws the starting latents and continues into the steps of a stochastic scheduler.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Generates a grid of samples from a learned flow model (bundled: digits).",
        description = "Samples a learned class-conditional flow model with any scheduler of the family and"
                + " classifier-free guidance, through DJL's PyTorch engine (backend djl) or ONNX Runtime (backend"
                + " java), and writes them as a PNG grid. Progress goes to stderr: a bar on a terminal, one line per"
                + " model call otherwise.")
final class GenerateCommand implements Callable<Integer> {
    static final int MAX_ROWS = 64;
    static final int MAX_STEPS = 1000;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = ModelFiles.DIGITS, paramLabel = "NAME|DIR",
            description = "A bundled model (digits) or a directory with model.json (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--runtime", defaultValue = "onnx", paramLabel = "onnx|djl",
            description = "onnx: ONNX Runtime with the java backend; djl: DJL's PyTorch engine with the djl backend (default ${DEFAULT-VALUE}).")
    String runtime;

    @Option(names = "--labels", split = ",", paramLabel = "L[,L...]", hideParamSyntax = true,
            description = "The columns: one label each (default: every class).")
    int[] labels;

    @Option(names = "--rows", defaultValue = "4", paramLabel = "R", description = "Samples per label (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--guidance", defaultValue = "3.0", paramLabel = "G",
            description = "Classifier-free guidance scale; <= 1 calls the model once per step, unguided (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--steps", defaultValue = "20", paramLabel = "N",
            description = "Inference steps (num_inference_steps; Heun calls the model about twice per step) (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerChoice.Names.class,
            description = "The scheduler: ${COMPLETION-CANDIDATES} (or a diffusers class name; default: euler, or the class --config names).")
    String scheduler;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A diffusers scheduler_config.json (its _class_name picks the class unless --scheduler is given); default: the class's flow-mode config.")
    Path config;

    @Option(names = "--shift", paramLabel = "S",
            description = "Fixed time shift of the built-in config (shift, or flow_shift for dpm and unipc) (default 1.0; not with --config).")
    Double shift;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED", description = "The generator's seed (torch.manual_seed): the starting noise, then the noise of stochastic steps (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr (warnings and errors are still shown).")
    boolean quiet;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "Model runtime threads (default ${DEFAULT-VALUE}: the digits model is tiny, one thread is fastest).")
    int threads;

    @Option(names = "--out", defaultValue = "generated.png", paramLabel = "FILE", description = "The PNG grid (default ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (rows < 1 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("--rows: " + rows + " must be in 1.." + MAX_ROWS);
        }
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException("--steps: " + steps + " must be in 1.." + MAX_STEPS);
        }
        if (!Float.isFinite(guidance) || guidance < 0) {
            throw new IllegalArgumentException("--guidance: " + guidance + " must be finite and >= 0");
        }
        if (shift != null && config != null) {
            throw new IllegalArgumentException("--shift: " + shift + " cannot be combined with --config (the config's"
                    + " shift or flow_shift applies)");
        }
        if (shift != null) {
            dev.flowmatch.Limits.requireShift("--shift", shift);
        }
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("--threads: " + threads + " must be in 1..256");
        }
        String runtimeName = runtime.toLowerCase(Locale.ROOT);
        if (!List.of("onnx", "djl").contains(runtimeName)) {
            throw new IllegalArgumentException("--runtime: '" + runtime + "' must be onnx or djl");
        }
        SampleCommand.requireWritable("--out", out);
        ModelFiles files = ModelFiles.named(model);
        ModelInfo info = files.info();
        int[] columns = labels != null ? labels : defaultLabels(info);
        if (columns.length == 0) {
            throw new IllegalArgumentException("--labels: give at least one label");
        }
        for (int label : columns) {
            if (label < 0 || label >= info.numClasses()) {
                throw new IllegalArgumentException("--labels: " + label + " is not a class of model '" + info.name()
                        + "' (0.." + (info.numClasses() - 1) + ")");
            }
        }
        int[] batchLabels = new int[rows * columns.length];
        for (int i = 0; i < batchLabels.length; i++) {
            batchLabels[i] = columns[i % columns.length];
        }
        Supplier<Scheduler> factory = schedulerFactory();
        Scheduler probe = factory.get(); // checks the config now, before a model is loaded
        // The run takes the probe (its timesteps set again), so a config's unused keys are warned about once.
        AtomicReference<Scheduler> unused = new AtomicReference<>(probe);
        Supplier<Scheduler> schedulers = () -> {
            Scheduler first = unused.getAndSet(null);
            return first != null ? first : factory.get();
        };
        // FLUX's image sequence length is the latents' positions: for the digits model 16 x 16 (used by mu, which only
        // a config with dynamic shifting reads).
        int imageSeqLen = info.sampleSize() / Math.toIntExact(info.sampleShape()[0]);
        ScheduleRequest request = FlowSchedulers.request(probe, steps, Flux2.computeEmpiricalMu(imageSeqLen, steps));
        probe.setTimesteps(request);
        int calls = probe.timesteps().length;
        String schedule = String.format(Locale.ROOT, "%s (%s) %d steps%s", probe.className(), configSource(), steps,
                calls == steps ? "" : ", " + calls + " model calls");
        boolean guided = Guidance.applies(guidance, false);

        long loadStart = System.nanoTime();
        try (FlowModel flow = load(runtimeName, files)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            stdout.printf(Locale.ROOT, "flowmatch generate: model %s (%s, backend %s), %s of %s, %s, guidance"
                            + " %s%s, seed %d%s%n", info.name(), runtimeName, flow.backend().name(),
                    Flowmatch.count(batchLabels.length, "sample"), Arrays.toString(columns), schedule, guidance,
                    guided ? " (conditional + unconditional in one batched call)" : " (unguided)", seed,
                    probe.isStochastic() ? " (the generator continues into every step)" : "");
            Progress progress = new Progress(stderr, Progress.Mode.detect(quiet), calls, "model call");
            Sampler sampler = Sampler.builder().scheduler(schedulers).schedule(request).numSteps(steps)
                    .imageSeqLen(imageSeqLen).guidanceScale(guidance).distilled(false)
                    .listener(event -> progress.step(event.index() + 1, "")).build();
            long start = System.nanoTime();
            float[] samples = ClassSampler.sample(flow, batchLabels, seed, sampler);
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.done();
            String title = String.format(Locale.ROOT, "%s: %s %s, guidance %s, seed %d, %s", info.name(),
                    schedulerName(probe), Flowmatch.count(steps, "step"), guidance, seed, runtimeName);
            SampleGrid.write(out, samples, info, columns, rows, title);
            stdout.printf(Locale.ROOT, "model loaded in %.2f s; sampled in %.2f s (%.1f ms per model call)%n",
                    loadSeconds, seconds, seconds * 1e3 / calls);
            stdout.println("wrote " + out);
        }
        stdout.flush();
        return 0;
    }

    /**
     * Makes the scheduler of each run: from {@code --config} (as its {@code _class_name}, or as {@code --scheduler}),
     * else the flow-mode config of {@code --scheduler} (default euler) with {@code --shift}.
     */
    private Supplier<Scheduler> schedulerFactory() {
        SchedulerType type = scheduler == null ? null : SchedulerChoice.parse(scheduler);
        if (config != null) {
            JsonNode json = SchedulerChoice.readConfig(config);
            return type == null ? () -> Schedulers.fromConfig(json) : () -> Schedulers.fromConfig(json, type);
        }
        SchedulerType flowType = type == null ? SchedulerType.FLOW_MATCH_EULER : type;
        double fixedShift = shift == null ? 1.0 : shift;
        return () -> FlowSchedulers.create(flowType, fixedShift);
    }



    private String configSource() {
        if (config != null) {
            return "config " + config;
        }
        return "flow config, shift " + (shift == null ? 1.0 : shift);
    }

    /** The CLI name of the scheduler's class (its diffusers class name for a class the family lacks). */
    private static String schedulerName(Scheduler scheduler) {
        return Arrays.stream(SchedulerType.values()).filter(t -> t.className().equals(scheduler.className()))
                .map(SchedulerType::cliName).findFirst().orElse(scheduler.className());
    }

    private FlowModel load(String runtimeName, ModelFiles files) {
        if (runtimeName.equals("djl")) {
            // Read by DJL's PyTorch engine when it starts (in this process: now); a user's -D setting wins.
            if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
                System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
                System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            }
            return DjlFlowModel.load(files);
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            return OrtFlowModel.load(files, options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static int[] defaultLabels(ModelInfo info) {
        int[] all = new int[info.numClasses()];
        Arrays.setAll(all, i -> i);
        return all;
    }
}

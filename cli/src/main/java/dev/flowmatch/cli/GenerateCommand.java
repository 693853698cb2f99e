package dev.flowmatch.cli;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.flowmatch.examples.ClassSampler;
import dev.flowmatch.examples.DjlFlowModel;
import dev.flowmatch.examples.FlowModel;
import dev.flowmatch.examples.Guidance;
import dev.flowmatch.examples.ModelFiles;
import dev.flowmatch.examples.ModelInfo;
import dev.flowmatch.examples.OrtFlowModel;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.StepEvent;
import dev.flowmatch.schedule.SchedulerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch generate}: a learned class-conditional flow model (the bundled {@code digits} model, or a model
 * directory), sampled by flowmatch with classifier-free guidance, as a PNG grid: one column per label, one row
 * per sample.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generates a grid of samples from a learned class-conditional flow model (bundled: digits) with",
                "classifier-free guidance, through DJL's PyTorch engine (backend djl) or ONNX Runtime (backend java)."})
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

    @Option(names = "--labels", split = ",", paramLabel = "L,L,...",
            description = "The columns: one label each (default: every class).")
    int[] labels;

    @Option(names = "--rows", defaultValue = "4", paramLabel = "R", description = "Samples per label (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--guidance", defaultValue = "3.0", paramLabel = "G",
            description = "Classifier-free guidance scale; <= 1 calls the model once per step, unguided (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--steps", defaultValue = "20", paramLabel = "N", description = "Euler steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--shift", defaultValue = "1.0", paramLabel = "S", description = "Fixed time shift of the schedule (default ${DEFAULT-VALUE}).")
    double shift;

    @Option(names = "--seed", defaultValue = "42", description = "Noise seed: torch.manual_seed semantics (default ${DEFAULT-VALUE}).")
    long seed;

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
        dev.flowmatch.Limits.requireShift("--shift", shift);
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
        SchedulerConfig config = SchedulerConfig.builder().shift(shift).useDynamicShifting(false).build();

        long loadStart = System.nanoTime();
        try (FlowModel flow = load(runtimeName, files)) {
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            stdout.printf(Locale.ROOT, "flowmatch generate: model %s (%s, backend %s), %d samples of %s, Euler %d steps"
                            + " (shift %s), guidance %s%s, seed %d%n", info.name(), runtimeName, flow.backend().name(),
                    batchLabels.length, Arrays.toString(columns), steps, shift, guidance,
                    Guidance.isEnabled(guidance) ? " (conditional + unconditional in one batched call)" : " (unguided)",
                    seed);
            Progress progress = new Progress(stderr, steps);
            Sampler sampler = Sampler.builder().config(config).numSteps(steps).listener(progress::step).build();
            long start = System.nanoTime();
            float[] samples = ClassSampler.sample(flow, batchLabels, guidance, seed, sampler);
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.done();
            String title = String.format(Locale.ROOT, "%s: Euler %d steps, guidance %s, seed %d, %s", info.name(), steps,
                    guidance, seed, runtimeName);
            SampleGrid.write(out, samples, info, columns, rows, title);
            stdout.printf(Locale.ROOT, "model loaded in %.2f s; sampled in %.2f s (%.1f ms per step)%n", loadSeconds,
                    seconds, seconds * 1e3 / steps);
            stdout.println("wrote " + out);
        }
        stdout.flush();
        return 0;
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

    /** A one-line progress bar on stderr. */
    private static final class Progress {
        private final PrintWriter err;
        private final int total;
        private final long start = System.nanoTime();

        Progress(PrintWriter err, int total) {
            this.err = err;
            this.total = total;
        }

        void step(StepEvent event) {
            int done = event.index() + 1;
            int width = 30;
            int filled = done * width / total;
            double seconds = (System.nanoTime() - start) / 1e9;
            err.printf(Locale.ROOT, "\r[%s%s] %d/%d steps, sigma %.3f, %.1f steps/s", "#".repeat(filled),
                    ".".repeat(width - filled), done, total, event.sigmaNext(), done / Math.max(seconds, 1e-9));
            err.flush();
        }

        void done() {
            err.println();
            err.flush();
        }
    }
}

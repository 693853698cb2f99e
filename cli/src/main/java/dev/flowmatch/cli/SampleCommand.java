package dev.flowmatch.cli;

import dev.flowmatch.Limits;
import dev.flowmatch.Precision;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.noise.NoiseGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.StepEvent;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch sample}: the FLUX.2 [klein] pipeline loop, end to end, on an exact analytic model (data
 * {@code N(m, s^2 I)} with a picture as {@code m}), so the result can be compared with the exact ODE endpoint.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Runs the FLUX.2 [klein] denoising loop on an exact analytic model.",
        description = "The model is the exact velocity of data distributed around a picture, so the result can be"
                + " compared with the exact ODE endpoint. Writes a PNG strip: the noise, each step's prediction of"
                + " the clean latents, the result and the exact target; the last line printed is the relative L2"
                + " error against the exact endpoint. With --convention ollama, runs Ollama's loop instead (its"
                + " sizes, schedule, model timestep and bfloat16 step, MLX noise). Progress goes to stderr: a bar"
                + " on a terminal, one line per step otherwise.")
final class SampleCommand implements Callable<Integer> {
    /** Pixels above which a request is refused (4 megapixels, the FLUX.2 [klein] range). */
    static final long MAX_PIXELS = 4L * 1024 * 1024;
    /** The analytic data's standard deviation around the picture. */
    static final double DATA_STD = 0.5;

    @Spec
    CommandSpec spec;

    @Mixin
    ImageSizeOptions size;

    @Option(names = "--steps", defaultValue = "4", paramLabel = "N", description = "Inference steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED", description = "Noise seed (default"
            + " ${DEFAULT-VALUE}): torch.manual_seed's meaning with --noise torch, MLX's random.key(uint64(seed)) with"
            + " --noise mlx.")
    long seed;

    @Option(names = "--convention", defaultValue = "diffusers", paramLabel = "diffusers|ollama|ollama-arm64",
            description = "Whose loop to run (default ${DEFAULT-VALUE}).")
    String convention;

    @Option(names = "--noise", paramLabel = "torch|mlx",
            description = "Initial noise: torch's CPU randn (diffusers) or MLX's random.normal (Ollama); default: the"
                    + " convention's.")
    String noise;

    @Option(names = "--backend", paramLabel = "NAME", description = "java, djl or mlx (default: the best available).")
    String backend;

    @Option(names = "--dtype", defaultValue = "bf16", paramLabel = "bf16|f32", description = "Latent dtype (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--precision", defaultValue = "diffusers", paramLabel = "fp32|diffusers",
            description = "Step precision (default ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--out", defaultValue = "sample.png", paramLabel = "FILE", description = "The PNG strip (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also plot the error against step count (1 to 50) for no shift, fixed shift 3 and FLUX.2's dynamic shift.")
    Path plot;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr (warnings and errors are still shown).")
    boolean quiet;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Limits.requireSteps("--steps", steps);
        Convention engine = parseConvention(convention);
        if (engine == Convention.COMFYUI) {
            throw new IllegalArgumentException("--convention: comfyui is a schedule convention only (see flowmatch"
                    + " schedule); sample runs diffusers, ollama or ollama-arm64");
        }
        NoiseGenerator generator = noise == null
                ? (engine == Convention.DIFFUSERS ? NoiseGenerator.TORCH_CPU : NoiseGenerator.MLX)
                : parseNoise(noise);
        ImageSize image;
        if (engine == Convention.DIFFUSERS) {
            image = size.size(stderr);
        } else {
            // flux2.go: each side rounded to the nearest multiple of 16, 4-megapixel cap
            ImageSize requested = size.requested();
            try {
                image = OllamaSchedule.outputSize(requested);
            } catch (IllegalArgumentException e) {
                throw Options.asOption(e, "width", "--width", "height", "--height");
            }
            if (!image.equals(requested)) {
                stderr.printf("flowmatch: note: Ollama renders %dx%d as %dx%d%n", requested.width(), requested.height(),
                        image.width(), image.height());
            }
        }
        if (image.pixels() > MAX_PIXELS) {
            throw new IllegalArgumentException("--width x --height: " + image.width() + "x" + image.height()
                    + " is above 4 megapixels");
        }
        DType latentType = parseDtype(dtype);
        Precision stepPrecision = parsePrecision(precision);
        requireWritable("--out", out);
        if (plot != null) {
            requireWritable("--plot", plot);
        }
        TensorBackend chosen = backend == null ? Backends.select() : Backends.named(backend);
        int gridW = image.width() / 16;
        int gridH = image.height() / 16;
        GaussianFlow flow = new GaussianFlow(LatentPictures.pattern(gridW, gridH), DATA_STD);

        stdout.printf(Locale.ROOT, "flowmatch sample: %dx%d (%s), %s, seed %d, %s %s, precision %s, convention %s,"
                        + " noise %s%n", image.width(), image.height(), Flowmatch.count(gridW * gridH, "token"),
                Flowmatch.count(steps, "step"), seed, chosen.name(), latentType.torchName(),
                engine.ollama().isPresent() ? "ollama (fp32, bf16 result)" : stepPrecision, engine.cliName(),
                generator == NoiseGenerator.MLX ? "mlx" : "torch");
        SampleStrip strip = new SampleStrip();
        List<String> rows = new ArrayList<>();
        Progress.Mode progressMode = Progress.Mode.detect(quiet);
        Progress progress = new Progress(stderr, progressMode, steps, "step");
        double error;
        try (Tensor noise = Flux2Latents.initLatents(chosen, 1, image, seed, latentType, generator)) {
            float[] z = chosen.toFloats(noise);
            double[] exact = flow.exactEndpoint(z);
            strip.add(LatentPictures.picture(z, gridW, gridH), "noise (seed " + seed + ")");
            Sampler sampler = Sampler.builder().config(SchedulerConfig.flux2Klein()).numSteps(steps).imageSize(image)
                    .convention(engine).precision(stepPrecision).listener(event -> {
                        rows.add(String.format(Locale.ROOT, "%5d  %-11s  %-11s  %8.2f", event.index(), event.sigma(),
                                event.timestep(), event.nanos() / 1e6));
                        if (steps <= 12 || event.index() == steps - 1 || event.index() % (steps / 8 + 1) == 0) {
                            strip.add(LatentPictures.picture(x0Prediction(event), gridW, gridH),
                                    String.format(Locale.ROOT, "x0 @ step %d (sigma %.3f)", event.index(), event.sigma()));
                        }
                        progress.step(event.index() + 1, "");
                    }).build();
            try (Tensor result = sampler.run(noise, flow)) {
                float[] values = chosen.toFloats(result);
                error = GaussianFlow.relativeL2(values, exact);
                strip.add(LatentPictures.picture(values, gridW, gridH), "result");
                strip.add(LatentPictures.picture(toFloats(exact), gridW, gridH), "exact target");
            }
        }
        progress.done();
        stdout.printf(Locale.ROOT, "%5s  %-11s  %-11s  %8s%n", "step", "sigma", "timestep", "ms");
        rows.forEach(stdout::println);
        strip.write(out, String.format(Locale.ROOT, "flowmatch: FLUX.2 [klein] schedule, %s, %s, %s, rel. L2 error %.4g",
                Flowmatch.count(steps, "step"), chosen.name(), latentType.torchName(), error));
        stdout.println("wrote " + out);
        if (plot != null) {
            plotErrors(chosen, image, latentType, stepPrecision, engine, generator, flow, stderr, progressMode);
            stdout.println("wrote " + plot);
        }
        stdout.printf(Locale.ROOT, "relative L2 error vs exact: %.6g%n", error);
        stdout.flush();
        return 0;
    }

    /** {@code x0 = x - sigma * v}, the model's prediction of the clean latents at this step. */
    private static float[] x0Prediction(StepEvent event) {
        TensorBackend b = event.sample().backend();
        float[] x = b.toFloats(event.sample());
        float[] v = b.toFloats(event.velocity());
        float[] x0 = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x0[i] = x[i] - event.sigma() * v[i];
        }
        return x0;
    }

    private void plotErrors(TensorBackend chosen, ImageSize image, DType latentType, Precision p, Convention engine,
                            NoiseGenerator generator, GaussianFlow flow, PrintWriter stderr, Progress.Mode progressMode) {
        SchedulerConfig noShift = SchedulerConfig.builder().shift(1.0).build();
        SchedulerConfig fixed3 = SchedulerConfig.builder().shift(3.0).build();
        SchedulerConfig dynamic = SchedulerConfig.flux2Klein();
        ErrorPlot chart = new ErrorPlot();
        String[] names = {"no shift", "fixed shift 3", "FLUX.2 dynamic shift"};
        SchedulerConfig[] configs = {noShift, fixed3, dynamic};
        Progress progress = new Progress(stderr, progressMode, configs.length, "schedule");
        try (Tensor noise = Flux2Latents.initLatents(chosen, 1, image, seed, latentType, generator)) {
            double[] exact = flow.exactEndpoint(chosen.toFloats(noise));
            for (int k = 0; k < configs.length; k++) {
                double[] counts = new double[50];
                double[] errors = new double[50];
                for (int n = 1; n <= 50; n++) {
                    Sampler sampler = Sampler.builder().config(configs[k]).numSteps(n).imageSize(image).precision(p)
                            .convention(engine).build();
                    try (Tensor result = sampler.run(noise, flow)) {
                        counts[n - 1] = n;
                        errors[n - 1] = GaussianFlow.relativeL2(chosen.toFloats(result), exact);
                    }
                }
                chart.add(names[k], counts, errors);
                progress.step(k + 1, "plot (" + names[k] + ", 1 to 50 steps)");
            }
        }
        progress.done();
        chart.write(plot, String.format(Locale.ROOT, "Euler on the exact Gaussian flow, %dx%d, %s", image.width(), image.height(), latentType.torchName()));
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    static DType parseDtype(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "bf16", "bfloat16" -> DType.BFLOAT16;
            case "f32", "fp32", "float32" -> DType.FLOAT32;
            default -> throw new IllegalArgumentException("--dtype: '" + value + "' must be bf16 or f32");
        };
    }

    /** {@code --convention}: a {@link Convention} name, or an error naming the option. */
    static Convention parseConvention(String value) {
        try {
            return Convention.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage(), e);
        }
    }

    static NoiseGenerator parseNoise(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "torch" -> NoiseGenerator.TORCH_CPU;
            case "mlx" -> NoiseGenerator.MLX;
            default -> throw new IllegalArgumentException("--noise: '" + value + "' must be torch or mlx");
        };
    }

    static Precision parsePrecision(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "fp32" -> Precision.FP32;
            case "diffusers" -> Precision.DIFFUSERS;
            default -> throw new IllegalArgumentException("--precision: '" + value + "' must be fp32 or diffusers");
        };
    }

    /** Fails before any work when the file cannot be written. */
    static void requireWritable(String option, Path file) {
        Path absolute = file.toAbsolutePath();
        Path parent = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(option + ": " + file + " is a directory");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(option + ": cannot write " + file + ": no directory " + parent);
        }
        if (Files.exists(absolute) ? !Files.isWritable(absolute) : !Files.isWritable(parent)) {
            throw new IllegalArgumentException(option + ": cannot write " + file + ": permission denied");
        }
    }
}

package dev.flowmatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.Limits;
import dev.flowmatch.Precision;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.noise.NoiseGenerator;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.sampling.Guidance;
import dev.flowmatch.sampling.GuidedGaussianFlow;
import dev.flowmatch.sampling.Sampler;
import dev.flowmatch.sampling.StepEvent;
import dev.flowmatch.sampling.Strength;
import dev.flowmatch.sampling.VelocityModel;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.scheduler.FlowSchedulers;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flowmatch sample}: the FLUX.2 [klein] pipeline loops, end to end, on an exact analytic model (data
 * {@code N(m, s^2 I)} with a picture as {@code m}), so the result can be compared with the exact answer: the
 * distilled text-to-image loop (default), klein base with classifier-free guidance ({@code --base}: a conditional and
 * an unconditional Gaussian flow, whose guided ODE ends at a known point), image-to-image ({@code --image},
 * {@code --strength}) and inpainting ({@code --mask}), with any scheduler of the family ({@code --scheduler}).
 */
@Command(name = "sample", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Runs the FLUX.2 [klein] denoising loop on an exact analytic model.",
        description = "The model is the exact velocity of data distributed around a picture, so the result can be"
                + " compared with the exact ODE endpoint. Writes a PNG strip: the noise (or the image), each step's"
                + " prediction of the clean latents, the result and the exact target; the last line printed is the"
                + " relative L2 error against the exact answer. --base runs klein base's guided loop, --image"
                + " image-to-image, --mask inpainting; --scheduler any scheduler of the family. With --convention"
                + " ollama, runs Ollama's loop instead (its sizes, schedule, model timestep and bfloat16 step, MLX"
                + " noise). Progress goes to stderr: a bar on a terminal, one line per step otherwise.")
final class SampleCommand implements Callable<Integer> {
    /** Pixels above which a request is refused (4 megapixels, the FLUX.2 [klein] range). */
    static final long MAX_PIXELS = 4L * 1024 * 1024;
    /** The analytic data's standard deviation around the picture. */
    static final double DATA_STD = 0.5;
    /** klein base's steps and guidance scale ({@code Sampler.Builder.kleinBase()}, diffusers' defaults). */
    static final int BASE_STEPS = 50;
    /** See {@link #BASE_STEPS}. */
    static final double BASE_GUIDANCE = 4.0;
    /** {@code --strength}'s default. */
    static final double DEFAULT_STRENGTH = 0.6;

    @Spec
    CommandSpec spec;

    @Mixin
    ImageSizeOptions size;

    @Option(names = "--steps", paramLabel = "N", description = "Inference steps (default 4; 50 with --base).")
    Integer steps;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "SEED", description = "Noise seed (default"
            + " ${DEFAULT-VALUE}): torch.manual_seed's meaning with --noise torch (the generator continues into the"
            + " steps of a stochastic scheduler), MLX's random.key(uint64(seed)) with --noise mlx.")
    long seed;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerChoice.Names.class,
            description = "The scheduler: ${COMPLETION-CANDIDATES} (or a diffusers class name), with FLUX.2 [klein]'s"
                    + " config loaded as that class in flow mode and the set_timesteps call the FLUX.2 pipelines make"
                    + " for it (default: euler).")
    String scheduler;

    @Option(names = "--base", description = "klein base: classifier-free guidance on the analytic conditional and"
            + " unconditional pair (the unconditional picture lacks the word); 50 steps and guidance 4.0 by default.")
    boolean base;

    @Option(names = "--guidance", paramLabel = "G",
            description = "With --base: the guidance scale (default 4.0; <= 1 runs unguided, as diffusers does).")
    Double guidance;

    @Option(names = "--image", paramLabel = "FILE.png",
            description = "Image-to-image from this picture (PNG; its size, each side rounded down to a multiple of"
                    + " 16, is the image size): each 16x16 block of pixels becomes one latent token.")
    Path image;

    @Option(names = "--strength", paramLabel = "S",
            description = "With --image: how much of the schedule runs, in (0, 1] (default 0.6; 1 starts from noise).")
    Double strength;

    @Option(names = "--mask", paramLabel = "FILE.png",
            description = "With --image: inpainting; white is painted, black keeps the image (the image's size).")
    Path mask;

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
            description = "Step precision of the euler scheduler (default ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--out", defaultValue = "sample.png", paramLabel = "FILE", description = "The PNG strip (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--plot", paramLabel = "FILE.png",
            description = "Also plot the error against the number of steps (4 to 256) of Euler, Heun, DPM++ 2M and 3M,"
                    + " UniPC-2 and 3 on one log-log chart (256 tokens, float32, no shift, the model at each step's"
                    + " sigma).")
    Path plot;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr (warnings and errors are still shown).")
    boolean quiet;

    /** The image (and mask) of image-to-image and inpainting, in the latent space. */
    private record Inputs(ImageSize size, float[] latents, float[] mask) {}

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Convention engine = parseConvention(convention);
        if (engine == Convention.COMFYUI) {
            throw new IllegalArgumentException("--convention: comfyui is a schedule convention only (see flowmatch"
                    + " schedule); sample runs diffusers, ollama or ollama-arm64");
        }
        SchedulerType type = scheduler == null ? SchedulerType.FLOW_MATCH_EULER : SchedulerChoice.parse(scheduler);
        checkCombinations(engine, type);
        NoiseGenerator generator = noise == null
                ? (engine == Convention.DIFFUSERS ? NoiseGenerator.TORCH_CPU : NoiseGenerator.MLX)
                : parseNoise(noise);
        JsonNode familyConfig = type == SchedulerType.FLOW_MATCH_EULER ? null : FlowSchedulers.flux2Klein(type);
        Scheduler probe = familyConfig == null ? null : Schedulers.fromConfig(familyConfig, type);
        boolean stochastic = probe != null && probe.isStochastic();
        if (stochastic && generator != NoiseGenerator.TORCH_CPU) {
            throw new IllegalArgumentException("--noise " + noise + ": --scheduler " + scheduler + " draws noise in its"
                    + " steps from the torch generator that drew the starting noise; use --noise torch");
        }
        Inputs inputs = image == null ? null : readInputs(stderr);
        ImageSize imageSize;
        if (inputs != null) {
            imageSize = inputs.size();
        } else if (engine == Convention.DIFFUSERS) {
            imageSize = size.size(stderr);
        } else {
            // flux2.go: each side rounded to the nearest multiple of 16, 4-megapixel cap
            ImageSize requested = size.requested();
            try {
                imageSize = OllamaSchedule.outputSize(requested);
            } catch (IllegalArgumentException e) {
                throw Options.asOption(e, "width", "--width", "height", "--height");
            }
            if (!imageSize.equals(requested)) {
                stderr.printf("flowmatch: note: Ollama renders %dx%d as %dx%d%n", requested.width(), requested.height(),
                        imageSize.width(), imageSize.height());
            }
        }
        if (imageSize.pixels() > MAX_PIXELS) {
            throw new IllegalArgumentException("--width x --height: " + imageSize.width() + "x" + imageSize.height()
                    + " is above 4 megapixels");
        }
        int numSteps = steps != null ? steps : base ? BASE_STEPS : 4;
        Limits.requireSteps("--steps", numSteps);
        double guidanceScale = guidance != null ? guidance : BASE_GUIDANCE;
        if (!Double.isFinite(guidanceScale) || guidanceScale < 0) {
            throw new IllegalArgumentException("--guidance: " + guidanceScale + " must be finite and >= 0");
        }
        double imageStrength = strength != null ? strength : DEFAULT_STRENGTH;
        if (!(imageStrength > 0 && imageStrength <= 1)) {
            throw new IllegalArgumentException("--strength: " + imageStrength + " must lie in (0, 1]");
        }
        DType latentType = parseDtype(dtype);
        Precision stepPrecision = parsePrecision(precision);
        requireWritable("--out", out);
        if (plot != null) {
            requireWritable("--plot", plot);
        }
        TensorBackend chosen = backend == null ? Backends.select() : Backends.named(backend);
        int gridW = imageSize.width() / 16;
        int gridH = imageSize.height() / 16;
        float[] conditional = LatentPictures.pattern(gridW, gridH);
        GaussianFlow flow = new GaussianFlow(conditional, DATA_STD);
        GuidedGaussianFlow pair = base
                ? new GuidedGaussianFlow(conditional, LatentPictures.background(gridW, gridH), DATA_STD) : null;
        boolean guided = base && Guidance.applies(guidanceScale, false);
        VelocityModel model = base ? pair : flow;
        // The guided velocity is the velocity of the Gaussian flow of mean m_u + g (m_c - m_u) (GuidedGaussianFlow),
        // so that flow gives the exact answer of a guided run from any start.
        GaussianFlow answer = guided ? new GaussianFlow(guidedMean(pair, conditional.length, guidanceScale), DATA_STD)
                : flow;

        stdout.printf(Locale.ROOT, "flowmatch sample: %dx%d (%s), %s, seed %d, %s %s, %s, convention %s,"
                        + " noise %s%n", imageSize.width(), imageSize.height(), Flowmatch.count(gridW * gridH, "token"),
                Flowmatch.count(numSteps, "step"), seed, chosen.name(), latentType.torchName(),
                engine.ollama().isPresent() ? "precision ollama (fp32, bf16 result)"
                        : familyConfig == null ? "precision " + stepPrecision : "scheduler " + type.className(),
                engine.cliName(), generator == NoiseGenerator.MLX ? "mlx" : "torch");
        if (base) {
            stdout.printf(Locale.ROOT, "klein base: guidance %s%s%n", guidanceScale, guided
                    ? " (conditional and unconditional prediction at every step; the unconditional picture lacks the"
                    + " word)" : " (<= 1: unguided, as diffusers runs it)");
        }

        SampleStrip strip = new SampleStrip();
        List<String> rows = new ArrayList<>();
        Progress.Mode progressMode = Progress.Mode.detect(quiet);
        Progress[] progress = {null};
        float[][] start = {null};
        float[] startSigma = {Float.NaN};
        Sampler.Builder builder = Sampler.builder().numSteps(numSteps).imageSize(imageSize).convention(engine)
                .guidanceScale(base ? guidanceScale : 1.0).distilled(!base)
                .listener(event -> {
                    if (event.index() == 0) {
                        progress[0] = new Progress(stderr, progressMode, event.numSteps(), "step");
                        start[0] = event.sample().backend().toFloats(event.sample());
                        startSigma[0] = event.sigma();
                    }
                    rows.add(String.format(Locale.ROOT, "%5d  %-11s  %-11s  %8.2f", event.index(), event.sigma(),
                            event.timestep(), event.nanos() / 1e6));
                    int calls = event.numSteps();
                    if (calls <= 12 || event.index() == calls - 1 || event.index() % (calls / 8 + 1) == 0) {
                        strip.add(LatentPictures.picture(x0Prediction(event), gridW, gridH),
                                String.format(Locale.ROOT, "x0 @ step %d (sigma %.3f)", event.index(), event.sigma()));
                    }
                    progress[0].step(event.index() + 1, "");
                });
        if (familyConfig == null) {
            builder.config(SchedulerConfig.flux2Klein()).precision(stepPrecision);
        } else {
            double mu = Flux2.computeEmpiricalMu(Flux2.imageSeqLen(imageSize), numSteps);
            builder.scheduler(() -> Schedulers.fromConfig(familyConfig, type))
                    .schedule(FlowSchedulers.request(probe, numSteps, mu));
        }
        Sampler sampler = builder.build();
        if (inputs != null) {
            // get_timesteps as the inpaint pipeline computes it, for the report (the sampler computes the same)
            try (Scheduler run = sampler.newScheduler()) {
                Strength kept = Strength.of(run.numInferenceSteps(), imageStrength, run.order());
                stdout.printf(Locale.ROOT, "%s: %s (%dx%d), strength %s: t_start %d, %s of %d run, from sigma %s%n",
                        inputs.mask() == null ? "image-to-image" : "inpainting", image, imageSize.width(),
                        imageSize.height(), imageStrength, kept.tStart(),
                        Flowmatch.count(kept.numInferenceSteps(), "step"), run.numInferenceSteps(),
                        run.sigmas()[kept.beginIndex()]);
            }
        }

        float[] values;
        double[] exact;
        float[] z;
        float[] imageValues = null;
        TorchGenerator torch = generator == NoiseGenerator.TORCH_CPU ? new TorchGenerator(seed) : null;
        Shape latentShape = Flux2Latents.packedShape(1, imageSize);
        try (Tensor noiseLatents = torch != null ? Flux2Latents.initLatents(chosen, 1, imageSize, latentType, torch)
                : Flux2Latents.initLatents(chosen, 1, imageSize, seed, latentType, generator)) {
            z = chosen.toFloats(noiseLatents);
            TorchGenerator stepNoise = stochastic ? torch : null;
            if (inputs == null) {
                strip.add(LatentPictures.picture(z, gridW, gridH), "noise (seed " + seed + ")");
                try (Tensor result = sampler.run(noiseLatents, model, stepNoise)) {
                    values = chosen.toFloats(result);
                }
                exact = guided ? pair.exactEndpoint(z, guidanceScale) : flow.exactEndpoint(z);
            } else {
                strip.add(LatentPictures.picture(inputs.latents(), gridW, gridH), "image (16x16 block means)");
                if (inputs.mask() != null) {
                    strip.add(LatentPictures.maskPicture(inputs.mask(), gridW, gridH), "mask (white: painted)");
                }
                int stripStart = strip.size();
                try (Tensor imageLatents = chosen.fromFloats(inputs.latents(), latentType, latentShape);
                     Tensor maskTensor = inputs.mask() == null ? null
                             : chosen.fromFloats(inputs.mask(), latentType, Shape.of(1, gridW * gridH, 1));
                     Tensor result = maskTensor == null
                             ? sampler.imageToImage(imageLatents, noiseLatents, imageStrength, model, stepNoise)
                             : sampler.inpaint(imageLatents, noiseLatents, maskTensor, imageStrength, model, stepNoise)) {
                    values = chosen.toFloats(result);
                    imageValues = chosen.toFloats(imageLatents); // in the latents' dtype, as the blend keeps them
                }
                strip.insert(stripStart, LatentPictures.picture(start[0], gridW, gridH), String.format(Locale.ROOT,
                        "start (sigma %.3f)", startSigma[0]));
                exact = answer.exactEndpointFrom(start[0], startSigma[0]);
            }
        }
        if (progress[0] != null) {
            progress[0].done();
        }
        stdout.printf(Locale.ROOT, "%5s  %-11s  %-11s  %8s%n", "step", "sigma", "timestep", "ms");
        rows.forEach(stdout::println);

        boolean inpainting = inputs != null && inputs.mask() != null;
        float[] target = exactTarget(exact, inpainting ? inputs.mask() : null, imageValues);
        double error = inpainting ? inpaintReport(stdout, values, exact, inputs.mask(), imageValues)
                : GaussianFlow.relativeL2(values, exact);
        if (inputs != null) {
            stdout.printf(Locale.ROOT, "the exact answer is the endpoint of the %sODE from the start latents%s%n",
                    guided ? "guided " : "", inpainting ? " (painted tokens), the image (kept tokens)" : "");
        } else if (guided) {
            stdout.printf(Locale.ROOT, "the exact answer is the guided endpoint m_u + %s (m_c - m_u) + s z%n",
                    guidanceScale);
        }
        if (stochastic) {
            stdout.printf(Locale.ROOT, "note: %s draws fresh noise in its steps, so it does not follow the ODE (the"
                            + " error below is against the ODE's endpoint); it aims at the data distribution N(m, s^2):"
                            + " (x - m) / s over the result has %s (the data: 0 and 1; a last step that returns the"
                            + " denoised prediction narrows it)%n", type.cliName(),
                    standardized(values, answer, inpainting ? inputs.mask() : null));
        }
        strip.add(LatentPictures.picture(values, gridW, gridH), "result");
        strip.add(LatentPictures.picture(target, gridW, gridH), inpainting ? "exact: endpoint / image"
                : guided ? "exact target (guided)" : "exact target");
        strip.write(out, String.format(Locale.ROOT, "flowmatch: %s, rel. L2 error %.4g", title(type, numSteps,
                guidanceScale, guided, inputs, imageStrength, chosen, latentType), error));
        stdout.println("wrote " + out);
        if (plot != null) {
            plotOrders(chosen, stderr, progressMode);
            stdout.println("wrote " + plot);
        }
        stdout.printf(Locale.ROOT, "relative L2 error vs exact: %.6g%n", error);
        stdout.flush();
        return 0;
    }

    /**
     * Options that make no sense together: each refused with a line naming them. {@code --guidance} needs
     * {@code --base} (the library follows diffusers, which ignores guidance on a distilled model with a warning; the
     * command line refuses it); {@code --strength} and {@code --mask} need {@code --image}; Ollama's loop is the
     * distilled model's text-to-image with its own Euler.
     */
    private void checkCombinations(Convention engine, SchedulerType type) {
        if (guidance != null && !base) {
            throw new IllegalArgumentException("--guidance: only with --base (klein base; the distilled model takes no"
                    + " guidance)");
        }
        if (strength != null && image == null) {
            throw new IllegalArgumentException("--strength: only with --image (image-to-image)");
        }
        if (mask != null && image == null) {
            throw new IllegalArgumentException("--mask: only with --image (inpainting paints over an image)");
        }
        if (engine != Convention.DIFFUSERS) {
            String option = base ? "--base" : image != null ? "--image" : type != SchedulerType.FLOW_MATCH_EULER
                    ? "--scheduler " + scheduler : null;
            if (option != null) {
                throw new IllegalArgumentException("--convention " + engine.cliName() + " with " + option + ": Ollama's"
                        + " loop is the distilled model's text-to-image with its own Euler scheduler; use --convention"
                        + " diffusers");
            }
            if (plot != null) {
                throw new IllegalArgumentException("--convention " + engine.cliName() + " with --plot: the chart runs"
                        + " diffusers' schedulers; use --convention diffusers");
            }
        }
        if (type != SchedulerType.FLOW_MATCH_EULER
                && spec.commandLine().getParseResult().hasMatchedOption("--precision")) {
            throw new IllegalArgumentException("--precision: only with the euler scheduler (" + type.cliName()
                    + " rounds as diffusers' " + type.className() + " does)");
        }
    }

    /** {@code --image} (and {@code --mask}): the pictures, their size, and their latents. */
    private Inputs readInputs(PrintWriter stderr) {
        BufferedImage picture = readPicture("--image", image);
        int w = picture.getWidth() / 16 * 16;
        int h = picture.getHeight() / 16 * 16;
        if (w == 0 || h == 0) {
            throw new IllegalArgumentException("--image: " + image + " is " + picture.getWidth() + "x"
                    + picture.getHeight() + "; each side must be at least 16 pixels (one latent token)");
        }
        if (w != picture.getWidth() || h != picture.getHeight()) {
            stderr.printf("flowmatch: warning: --image %dx%d is not a multiple of 16 on each side; cropped to %dx%d%n",
                    picture.getWidth(), picture.getHeight(), w, h);
        }
        var parsed = spec.commandLine().getParseResult();
        for (Object[] side : new Object[][] {{"--width", size.width, w}, {"--height", size.height, h}}) {
            if (parsed.hasMatchedOption((String) side[0]) && !side[1].equals(side[2])) {
                throw new IllegalArgumentException(side[0] + ": " + side[1] + " differs from --image " + image + " ("
                        + w + "x" + h + "); the image sets the size: leave " + side[0] + " out");
            }
        }
        float[] maskValues = null;
        if (mask != null) {
            BufferedImage maskPicture = readPicture("--mask", mask);
            if (maskPicture.getWidth() != picture.getWidth() || maskPicture.getHeight() != picture.getHeight()) {
                throw new IllegalArgumentException("--mask: " + mask + " is " + maskPicture.getWidth() + "x"
                        + maskPicture.getHeight() + ", but --image is " + picture.getWidth() + "x" + picture.getHeight()
                        + "; the mask must have the image's size");
            }
            maskValues = LatentPictures.mask(maskPicture, w / 16, h / 16);
        }
        return new Inputs(ImageSize.of(h, w), LatentPictures.latents(picture, w / 16, h / 16, 16), maskValues);
    }

    /** Reads a picture, refusing one above {@link #MAX_PIXELS} before decoding it. */
    static BufferedImage readPicture(String option, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + ": " + file + " is not a file");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IllegalArgumentException(option + ": " + file + " is not a picture Java can read (PNG, JPEG,"
                        + " BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new IllegalArgumentException(option + ": " + file + " is " + reader.getWidth(0) + "x"
                            + reader.getHeight(0) + ", above 4 megapixels");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code m_u + g (m_c - m_u)} per element, the mean of the flow the guided ODE follows. */
    private static float[] guidedMean(GuidedGaussianFlow pair, int length, double guidanceScale) {
        // the guided endpoint from z = 0 is exactly that mean (float64), rounded once
        double[] mean = pair.exactEndpoint(new float[length], guidanceScale);
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            out[i] = (float) mean[i];
        }
        return out;
    }

    /**
     * Inpainting's checks: the kept tokens (mask 0) must equal the image exactly, the painted ones (mask 1) are
     * compared with the exact endpoint; edge tokens (between 0 and 1) are blended every step and have no closed form.
     * Prints the counts; returns the relative L2 error over the painted tokens.
     */
    private static double inpaintReport(PrintWriter stdout, float[] values, double[] exact, float[] mask,
                                        float[] imageValues) {
        int channels = LatentPictures.CHANNELS;
        int kept = 0;
        int keptEqual = 0;
        int edge = 0;
        List<Integer> painted = new ArrayList<>();
        for (int token = 0; token < mask.length; token++) {
            if (mask[token] == 0) {
                for (int c = 0; c < channels; c++) {
                    int i = token * channels + c;
                    kept++;
                    keptEqual += values[i] == imageValues[i] ? 1 : 0;
                }
            } else if (mask[token] == 1) {
                painted.add(token);
            } else {
                edge++;
            }
        }
        float[] paintedValues = new float[painted.size() * channels];
        double[] paintedExact = new double[painted.size() * channels];
        for (int k = 0; k < painted.size(); k++) {
            for (int c = 0; c < channels; c++) {
                paintedValues[k * channels + c] = values[painted.get(k) * channels + c];
                paintedExact[k * channels + c] = exact[painted.get(k) * channels + c];
            }
        }
        stdout.printf(Locale.ROOT, "kept (mask 0): %d of %d values equal the image exactly; painted (mask 1): %s;"
                        + " edge (mask between 0 and 1, blended, not compared): %s%n", keptEqual, kept,
                Flowmatch.count(painted.size(), "token"), Flowmatch.count(edge, "token"));
        return painted.isEmpty() ? 0 : GaussianFlow.relativeL2(paintedValues, paintedExact);
    }

    /**
     * The exact target as a picture: the exact answer; for inpainting, the image where the mask keeps it (edge tokens
     * drawn as the mask's mix of both).
     */
    private static float[] exactTarget(double[] exact, float[] mask, float[] imageValues) {
        float[] target = new float[exact.length];
        for (int i = 0; i < exact.length; i++) {
            double value = exact[i];
            if (mask != null) {
                float m = mask[i / LatentPictures.CHANNELS];
                value = (1 - m) * imageValues[i] + m * exact[i];
            }
            target[i] = (float) value;
        }
        return target;
    }

    /** Mean and standard deviation of {@code (x - m) / s} over the compared values (the painted ones with a mask). */
    private static String standardized(float[] values, GaussianFlow answer, float[] mask) {
        float[] mean = answer.mean();
        double sum = 0;
        double sumSquares = 0;
        long n = 0;
        for (int i = 0; i < values.length; i++) {
            if (mask != null && mask[i / LatentPictures.CHANNELS] != 1) {
                continue;
            }
            double u = (values[i] - mean[i % mean.length]) / answer.std();
            sum += u;
            sumSquares += u * u;
            n++;
        }
        double m = sum / n;
        return String.format(Locale.ROOT, "mean %.4f, std %.4f", m, Math.sqrt(Math.max(sumSquares / n - m * m, 0)));
    }

    private String title(SchedulerType type, int numSteps, double guidanceScale, boolean guided, Inputs inputs,
                         double imageStrength, TensorBackend chosen, DType latentType) {
        StringBuilder t = new StringBuilder(base ? "FLUX.2 [klein] base" : "FLUX.2 [klein]");
        t.append(", ").append(type.cliName()).append(", ").append(Flowmatch.count(numSteps, "step"));
        if (base) {
            t.append(guided ? ", guidance " + guidanceScale : ", unguided");
        }
        if (inputs != null) {
            t.append(inputs.mask() == null ? ", image-to-image" : ", inpainting").append(" strength ")
                    .append(imageStrength);
        }
        return t.append(", ").append(chosen.name()).append(", ").append(latentType.torchName()).toString();
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

    /**
     * {@code --plot}: {@link OrderChart}'s samplers on the analytic flow of {@link OrderChart#SIZE}, from the seed's
     * noise, with guide lines of slope -1 and -2 through the points of Euler and UniPC-2 at 64 steps; prints each
     * line's fitted slope.
     */
    private void plotOrders(TensorBackend chosen, PrintWriter stderr, Progress.Mode progressMode) {
        ImageSize imageSize = OrderChart.SIZE;
        GaussianFlow flow = new GaussianFlow(LatentPictures.pattern(imageSize.width() / 16, imageSize.height() / 16),
                DATA_STD);
        ErrorPlot chart = new ErrorPlot();
        Progress progress = new Progress(stderr, progressMode, OrderChart.LINES.size(), "sampler");
        Shape shape = Flux2Latents.packedShape(1, imageSize);
        float[] z;
        try (Tensor noiseLatents = Flux2Latents.initLatents(chosen, 1, imageSize, seed, DType.FLOAT32)) {
            z = chosen.toFloats(noiseLatents);
        }
        double[] exact = flow.exactEndpoint(z);
        int[] steps = OrderChart.STEPS;
        double[] counts = new double[steps.length];
        for (int j = 0; j < steps.length; j++) {
            counts[j] = steps[j];
        }
        double[][] errors = new double[OrderChart.LINES.size()][steps.length];
        StringBuilder slopes = new StringBuilder();
        for (int k = 0; k < OrderChart.LINES.size(); k++) {
            OrderChart.Line line = OrderChart.LINES.get(k);
            for (int j = 0; j < steps.length; j++) {
                errors[k][j] = OrderChart.error(chosen, line, steps[j], flow, z, shape, exact);
            }
            chart.add(line.label(), counts, errors[k]);
            slopes.append(String.format(Locale.ROOT, "%s%s %.2f", k == 0 ? "" : ", ", line.label().replaceFirst(
                    " \\(.*", ""), OrderChart.slope(counts, errors[k], OrderChart.SLOPE_FROM)));
            progress.step(k + 1, "plot (" + line.label() + ")");
        }
        progress.done();
        // guides through the points at 64 steps of Euler and UniPC-2, over 16 to 256 steps
        int at = java.util.Arrays.binarySearch(steps, 64);
        double from = 16;
        double to = steps[steps.length - 1];
        chart.addGuide(1, from, to, 64, errors[0][at]);
        chart.addGuide(2, from, to, 64, errors[4][at]);
        spec.commandLine().getOut().printf(Locale.ROOT, "plot: slope of log error against log steps (%d to %d steps,"
                + " least squares): %s%n", OrderChart.SLOPE_FROM, steps[steps.length - 1], slopes);
        chart.write(plot, String.format(Locale.ROOT, "Error against steps on the exact Gaussian flow (%d tokens,"
                + " float32, no shift, seed %d)", imageSize.width() / 16 * (imageSize.height() / 16), seed));
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

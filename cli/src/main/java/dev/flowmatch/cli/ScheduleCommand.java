package dev.flowmatch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.Limits;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.DiffusersRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.scheduler.FlowSchedulers;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.scheduler.TimestepType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code flowmatch schedule}: the sigmas and timesteps a FLUX.2 pipeline would use, computed as diffusers
 * computes them.
 */
@Command(name = "schedule", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Prints the schedule (sigmas, timesteps) a pipeline would use.",
        description = "Computed exactly as diffusers computes it. By default: the scheduler of FLUX.2 [klein], the"
                + " pipeline's sigmas linspace(1, 1/N, N) and the empirical mu of a --width by --height image. With"
                + " --scheduler or a --config of another class, that class of the family and the set_timesteps call"
                + " the FLUX.2 pipelines make for it (timesteps printed as integers where the class keeps int64). With"
                + " --convention, exactly as Ollama (amd64 or arm64) or the Flux2Scheduler node of ComfyUI computes"
                + " it.")
final class ScheduleCommand implements Callable<Integer> {

    enum Format { table, json, csv }

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A diffusers scheduler_config.json; its _class_name picks the class unless --scheduler is"
                    + " given (default: the preset for FLUX.2 [klein]).")
    Path config;

    @Option(names = "--scheduler", paramLabel = "NAME", completionCandidates = SchedulerChoice.Names.class,
            description = "The scheduler class: ${COMPLETION-CANDIDATES} (or a diffusers class name); without --config,"
                    + " FLUX.2 [klein]'s config loaded as that class in flow mode (default: euler, or the class --config"
                    + " names).")
    String scheduler;

    @Option(names = "--steps", paramLabel = "N",
            description = "Inference steps (default 4, or the length of --sigmas / --timesteps).")
    Integer steps;

    @Mixin
    ImageSizeOptions size;

    @Option(names = "--mu", paramLabel = "X",
            description = "The dynamic-shift mu, with diffusers' meaning (0 is the identity shift; the seed's"
                    + " setTimestepsWithMu alone reads 0 as the fixed shift) (default: FLUX.2's empirical mu for the"
                    + " image size and steps).")
    Double mu;

    @Option(names = "--sigmas", paramLabel = "SIGMA[,SIGMA...]", split = ",", hideParamSyntax = true,
            description = "Custom sigmas, comma-separated.")
    List<Double> sigmas;

    @Option(names = "--timesteps", paramLabel = "T[,T...]", split = ",", hideParamSyntax = true,
            description = "Custom timesteps, comma-separated.")
    List<Double> timesteps;

    @Option(names = "--default-spacing",
            description = "Use the scheduler's own spacing (set_timesteps(N)) instead of the pipeline's sigmas.")
    boolean defaultSpacing;

    @Option(names = "--convention", defaultValue = "diffusers", paramLabel = "NAME",
            description = "diffusers, ollama, ollama-arm64 or comfyui: whose arithmetic (default ${DEFAULT-VALUE}).")
    String convention;

    @Option(names = "--torch-kernel", defaultValue = "avx2", paramLabel = "avx2|default",
            description = "comfyui: the torch CPU kernel whose linspace ComfyUI runs on (default ${DEFAULT-VALUE}).")
    String torchKernel;

    @Option(names = "--torch-version", defaultValue = "2.7", paramLabel = "VERSION",
            description = "comfyui: the torch release (1.13 vectorised its linspace; 2.x did not; default ${DEFAULT-VALUE}).")
    String torchVersion;

    @Option(names = "--diffusers-release", defaultValue = "0.40", paramLabel = "0.39|0.40",
            description = "diffusers: 0.39 returns custom --timesteps as given, 0.40 recomputes them from the sigmas"
                    + " (default ${DEFAULT-VALUE}).")
    String diffusersRelease;

    @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or csv (default ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Convention engine = SampleCommand.parseConvention(convention);
        DiffusersRelease release = parseDiffusersRelease(diffusersRelease);
        if (steps != null) {
            Limits.requireSteps("--steps", steps);
        }
        if (mu != null) {
            Limits.requireMu("--mu", mu);
        }
        for (List<Double> values : java.util.Arrays.asList(sigmas, timesteps)) {
            if (values != null && values.size() > Limits.MAX_STEPS) {
                throw new IllegalArgumentException((values == sigmas ? "--sigmas: " : "--timesteps: ") + values.size()
                        + " values; at most " + Limits.MAX_STEPS + " (one per step)");
            }
        }
        SchedulerType given = scheduler == null ? null : SchedulerChoice.parse(scheduler);
        JsonNode json = config == null ? null : SchedulerChoice.readConfig(config);
        SchedulerType type = SchedulerChoice.resolve(given, json);
        try {
            if (type != SchedulerType.FLOW_MATCH_EULER) {
                return callFamily(engine, type, json, release);
            }
            SchedulerConfig cfg = SchedulerConfig.flux2Klein();
            if (json != null) {
                try {
                    cfg = SchedulerConfigJson.fromTree(json, warning -> err.println("flowmatch: warning: " + warning));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--config: " + config + ": " + e.getMessage(), e);
                }
            }
            return engine == Convention.DIFFUSERS ? callDiffusers(cfg, release) : callOtherEngine(engine, cfg);
        } catch (IllegalArgumentException e) {
            throw Options.asOption(e, "num_inference_steps", "--steps", "numSteps", "--steps", "steps", "--steps",
                    "sigmas", "--sigmas", "timesteps", "--timesteps", "mu", "--mu", "width", "--width", "height",
                    "--height");
        }
    }

    /** diffusers' schedule: the pipeline's sigmas (or the given ones) and mu, as set_timesteps computes them. */
    private int callDiffusers(SchedulerConfig cfg, DiffusersRelease release) {
        if (defaultSpacing && (sigmas != null || timesteps != null)) {
            throw new IllegalArgumentException("--default-spacing cannot be combined with --sigmas or --timesteps");
        }
        double[] customSigmas = sigmas == null ? null : sigmas.stream().mapToDouble(Double::doubleValue).toArray();
        double[] customTimesteps = timesteps == null ? null : timesteps.stream().mapToDouble(Double::doubleValue).toArray();
        int n = steps != null ? steps
                : customSigmas != null ? customSigmas.length
                : customTimesteps != null ? customTimesteps.length : 4;
        if (customSigmas == null && customTimesteps == null && !defaultSpacing) {
            customSigmas = Flux2.pipelineSigmas(n);
        }
        Double usedMu = null;
        if (cfg.useDynamicShifting()) {
            usedMu = mu != null ? mu : Flux2.computeEmpiricalMu(imageSeqLen(), n);
        }
        ScheduleRequest request = new ScheduleRequest(steps != null || defaultSpacing ? n : null, customSigmas,
                usedMu, customTimesteps);
        Schedule schedule = Schedules.compute(cfg, cfg.shift(), request, release);
        print(Convention.DIFFUSERS, cfg, schedule, usedMu);
        return 0;
    }

    /**
     * A class of the family other than Euler ({@code --scheduler}, or the class the {@code --config} names): the
     * FLUX.2 pipelines' {@code set_timesteps} call for it ({@link FlowSchedulers#request}, {@code mu} where the class
     * takes it), or the custom sigmas / timesteps / default spacing asked for, with the same {@code mu}.
     */
    private int callFamily(Convention engine, SchedulerType type, JsonNode json, DiffusersRelease release) {
        String option = scheduler != null ? "--scheduler " + scheduler : "--config " + config;
        if (engine != Convention.DIFFUSERS) {
            throw new IllegalArgumentException("--convention " + engine.cliName() + ": " + option + " is "
                    + type.className() + "; Ollama and ComfyUI schedules are FlowMatchEuler's (use --convention"
                    + " diffusers, or --scheduler euler)");
        }
        if (release != DiffusersRelease.V0_40) {
            throw new IllegalArgumentException("--diffusers-release " + diffusersRelease + ": only with the euler"
                    + " scheduler (" + option + " is " + type.className() + ")");
        }
        if (defaultSpacing && (sigmas != null || timesteps != null)) {
            throw new IllegalArgumentException("--default-spacing cannot be combined with --sigmas or --timesteps");
        }
        JsonNode configJson = json != null ? json : FlowSchedulers.flux2Klein(type);
        Scheduler s = Schedulers.fromConfig(configJson, type);
        double[] customSigmas = sigmas == null ? null : sigmas.stream().mapToDouble(Double::doubleValue).toArray();
        double[] customTimesteps = timesteps == null ? null : timesteps.stream().mapToDouble(Double::doubleValue).toArray();
        int n = steps != null ? steps
                : customSigmas != null ? customSigmas.length
                : customTimesteps != null ? customTimesteps.length : 4;
        if (n < 1) {
            throw new IllegalArgumentException("--steps: " + n + " must be >= 1");
        }
        ScheduleRequest pipeline = FlowSchedulers.request(s, n, mu != null ? mu : Flux2.computeEmpiricalMu(imageSeqLen(), n));
        if (mu != null && pipeline.mu() == null) {
            throw new IllegalArgumentException("--mu: " + type.className() + " with this config takes no mu (the FLUX.2"
                    + " pipelines pass mu only to a class with dynamic shifting)");
        }
        ScheduleRequest request = pipeline;
        String custom = "";
        if (customSigmas != null || customTimesteps != null || defaultSpacing) {
            custom = customSigmas != null ? "--sigmas: " : customTimesteps != null ? "--timesteps: " : "--default-spacing: ";
            request = new ScheduleRequest(steps != null || defaultSpacing ? n : null, customSigmas, pipeline.mu(),
                    customTimesteps);
        }
        try {
            s.setTimesteps(request);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(custom + e.getMessage(), e);
        }
        printFamily(s, configJson, request.mu());
        return 0;
    }

    private void printFamily(Scheduler s, JsonNode configJson, Double usedMu) {
        PrintWriter out = spec.commandLine().getOut();
        float[] sigmaValues = s.sigmas();
        float[] timestepValues = s.timesteps();
        boolean int64 = s.timestepType() == TimestepType.INT64;
        switch (format) {
            case json -> {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode root = mapper.createObjectNode();
                root.put("convention", Convention.DIFFUSERS.cliName());
                root.put("scheduler", s.className());
                root.set("config", configJson);
                root.put("num_inference_steps", s.numInferenceSteps());
                root.put("order", s.order());
                if (usedMu == null) {
                    root.putNull("mu");
                } else {
                    root.put("mu", usedMu);
                }
                root.put("timestep_dtype", int64 ? "int64" : "float32");
                ArrayNode sigmaArray = root.putArray("sigmas");
                for (float v : sigmaValues) {
                    sigmaArray.add(v);
                }
                ArrayNode timestepArray = root.putArray("timesteps");
                for (float v : timestepValues) {
                    if (int64) {
                        timestepArray.add((long) v);
                    } else {
                        timestepArray.add(v);
                    }
                }
                try {
                    out.println(mapper.writeValueAsString(root));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
            case csv -> {
                out.println("step,sigma,timestep");
                for (int i = 0; i < sigmaValues.length; i++) {
                    out.println(i + "," + sigmaValues[i] + ","
                            + (i < timestepValues.length ? timestep(timestepValues[i], int64) : ""));
                }
            }
            case table -> {
                String calls = timestepValues.length == s.numInferenceSteps() ? ""
                        : ", " + Flowmatch.count(timestepValues.length, "model call");
                out.printf(Locale.ROOT, "%s%s, %s (order %d, %s timesteps), mu %s%n",
                        Flowmatch.count(s.numInferenceSteps(), "step"), calls, s.className(), s.order(),
                        int64 ? "int64" : "float32", usedMu == null ? "none" : Double.toString(usedMu));
                out.printf(Locale.ROOT, "%5s  %-12s  %-12s%n", "step", "sigma", "timestep");
                for (int i = 0; i < sigmaValues.length; i++) {
                    out.printf(Locale.ROOT, "%5d  %-12s  %-12s%n", i, sigmaValues[i],
                            i < timestepValues.length ? timestep(timestepValues[i], int64) : "(terminal)");
                }
            }
        }
        out.flush();
    }

    /** A timestep as the class keeps it: an integer for int64 classes, float32's shortest digits otherwise. */
    private static String timestep(float value, boolean int64) {
        return int64 ? Long.toString((long) value) : Float.toString(value);
    }

    /**
     * Ollama's or ComfyUI's FLUX.2 schedule: the engine's image sequence length of the size as given (each engine
     * rounds it its own way), its empirical mu unless --mu, its SetTimestepsWithMu / Flux2Scheduler arithmetic.
     */
    private int callOtherEngine(Convention engine, SchedulerConfig cfg) {
        if (sigmas != null || timesteps != null || defaultSpacing) {
            throw new IllegalArgumentException("--sigmas, --timesteps and --default-spacing: only with --convention"
                    + " diffusers (" + engine.cliName() + " computes the FLUX.2 pipeline schedule only)");
        }
        int n = steps != null ? steps : 4;
        TorchBuild torch = new TorchBuild(TorchCpuKernel.parse(torchKernel), TorchRelease.parse(torchVersion));
        double usedMu = mu != null ? mu : engine.empiricalMu(engine.imageSeqLen(size.requested()), n);
        Schedule schedule = engine.flux2Schedule(cfg, cfg.shift(), n, usedMu, torch);
        print(engine, cfg, schedule, usedMu);
        return 0;
    }

    private void print(Convention engine, SchedulerConfig cfg, Schedule schedule, Double usedMu) {
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case json -> out.println(json(engine, cfg, schedule, usedMu));
            case csv -> csv(out, schedule);
            case table -> table(out, engine, cfg, schedule, usedMu);
        }
        out.flush();
    }

    static DiffusersRelease parseDiffusersRelease(String value) {
        return switch (value.trim()) {
            case "0.39", "v0.39" -> DiffusersRelease.V0_39;
            case "0.40", "v0.40" -> DiffusersRelease.V0_40;
            default -> throw new IllegalArgumentException("--diffusers-release: '" + value + "' must be 0.39 or 0.40");
        };
    }

    private int imageSeqLen() {
        PrintWriter err = spec.commandLine().getErr();
        return Flux2.imageSeqLen(size.size(err));
    }

    static String json(Convention engine, SchedulerConfig cfg, Schedule schedule, Double mu) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("convention", engine.cliName());
        root.put("scheduler", SchedulerConfigJson.CLASS_NAME);
        root.set("config", SchedulerConfigJson.toTree(cfg));
        root.put("num_inference_steps", schedule.numSteps());
        if (mu == null) {
            root.putNull("mu");
        } else {
            root.put("mu", mu);
        }
        root.put("timestep_dtype", "float32");
        // Jackson prints a float with Float.toString's shortest digits: parsing them as float32 gives the value back.
        ArrayNode s = root.putArray("sigmas");
        for (float v : schedule.sigmas()) {
            s.add(v);
        }
        ArrayNode t = root.putArray("timesteps");
        for (float v : schedule.timesteps()) {
            t.add(v);
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void csv(PrintWriter out, Schedule schedule) {
        out.println("step,sigma,timestep");
        float[] sigmas = schedule.sigmas();
        float[] timesteps = schedule.timesteps();
        for (int i = 0; i < sigmas.length; i++) {
            out.println(i + "," + sigmas[i] + "," + (i < timesteps.length ? Float.toString(timesteps[i]) : ""));
        }
    }

    private static void table(PrintWriter out, Convention engine, SchedulerConfig cfg, Schedule schedule, Double mu) {
        String arithmetic = engine == Convention.DIFFUSERS ? describe(cfg)
                : engine == Convention.COMFYUI ? "ComfyUI Flux2Scheduler"
                : (engine == Convention.OLLAMA_ARM64 ? "Ollama (arm64), " : "Ollama (amd64), ") + describe(cfg);
        out.printf(Locale.ROOT, "%s, %s, mu %s%n", Flowmatch.count(schedule.numSteps(), "step"), arithmetic,
                mu == null ? "none (fixed shift)" : Double.toString(mu));
        out.printf(Locale.ROOT, "%5s  %-12s  %-12s%n", "step", "sigma", "timestep");
        float[] sigmas = schedule.sigmas();
        float[] timesteps = schedule.timesteps();
        for (int i = 0; i < sigmas.length; i++) {
            out.printf(Locale.ROOT, "%5d  %-12s  %-12s%n", i, sigmas[i],
                    i < timesteps.length ? Float.toString(timesteps[i]) : "(terminal)");
        }
    }

    private static String describe(SchedulerConfig c) {
        String shift = c.useDynamicShifting() ? "dynamic " + c.timeShiftType().configValue() + " shift"
                : "fixed shift " + c.shift();
        String spacing = c.useKarrasSigmas() ? ", karras" : c.useExponentialSigmas() ? ", exponential sigmas"
                : c.useBetaSigmas() ? ", beta sigmas" : "";
        String terminal = c.shiftTerminal() == null ? "" : ", shift_terminal " + c.shiftTerminal();
        return shift + spacing + terminal + (c.invertSigmas() ? ", inverted" : "");
    }
}

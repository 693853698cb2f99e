package dev.flowmatch.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads golden files of the schema in DESIGN.md ("Golden vectors"): data computed by diffusers and torch,
 * never by flowmatch. The bundled file is {@value #BUNDLED}; more can be given at run time with
 * {@code -Dflowmatch.goldens=PATH[,PATH...]}.
 */
public final class Goldens {
    /** The bundled file of diffusers' Euler scheduler and torch's generator (the seed's goldens). */
    public static final String BUNDLED = "/golden/diffusers-goldens.json";
    /**
     * Every golden file bundled in test resources ({@code /golden/NAME}), each copied unchanged from the
     * project's shared golden data or written by a committed script under {@code tools/reference/} that runs the
     * reference implementation; each names its source in its {@code source} field.
     */
    public static final List<String> BUNDLED_FILES = List.of("diffusers-goldens.json", "sampler-goldens.json",
            "klein-goldens.json", "conventions-goldens.json", "mlx-noise-goldens.json", "dpm-solver-runs.json",
            "sampler-goldens-extra.json", "unipc-reference-runs.json");
    public static final String PROPERTY = "flowmatch.goldens";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Goldens() {}

    /** A golden file: its name and parsed root. */
    public record GoldenFile(String name, JsonNode root) {
        public List<ScheduleCase> schedules() {
            return list("schedules", ScheduleCase::of);
        }

        public List<EmpiricalMuCase> empiricalMu() {
            return list("empirical_mu", EmpiricalMuCase::of);
        }

        public List<StepCase> steps() {
            return list("steps", StepCase::of);
        }

        public List<RandnCase> torchRandn() {
            return list("torch_randn", RandnCase::of);
        }

        public List<LatentsCase> flux2Latents() {
            return list("flux2_latents", LatentsCase::of);
        }

        private <T> List<T> list(String section, java.util.function.Function<JsonNode, T> parse) {
            List<T> out = new ArrayList<>();
            for (JsonNode node : root.path(section)) {
                out.add(parse.apply(node));
            }
            return out;
        }
    }

    /** A tensor in a golden file: dtype, shape and raw bits (int32 for float32, uint16 otherwise). */
    public record GoldenTensor(DType dtype, Shape shape, int[] bits) {
        public static GoldenTensor of(JsonNode n) {
            return new GoldenTensor(DType.parse(n.get("dtype").asText()), Shape.of(longs(n.get("shape"))),
                    ints(n.get("bits")));
        }
    }

    /** One {@code set_timesteps} call and diffusers' resulting sigmas and timesteps. */
    public record ScheduleCase(String name, SchedulerConfig config, JsonNode configJson, ScheduleRequest request,
                               int[] sigmasBits, int[] timestepsBits) {
        public static ScheduleCase of(JsonNode n) {
            JsonNode call = n.get("call");
            JsonNode expected = n.get("expected");
            ScheduleRequest request = new ScheduleRequest(
                    call.path("num_inference_steps").isNull() ? null : call.get("num_inference_steps").asInt(),
                    doublesOrNull(call.get("sigmas")),
                    call.path("mu").isNull() || call.path("mu").isMissingNode() ? null : call.get("mu").asDouble(),
                    doublesOrNull(call.get("timesteps")));
            return new ScheduleCase(n.path("name").asText(), SchedulerConfigJson.fromTree(n.get("config")),
                    n.get("config"), request, ints(expected.get("sigmas_bits")), ints(expected.get("timesteps_bits")));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public record EmpiricalMuCase(int imageSeqLen, int numSteps, double mu) {
        public static EmpiricalMuCase of(JsonNode n) {
            return new EmpiricalMuCase(n.get("image_seq_len").asInt(), n.get("num_steps").asInt(),
                    n.get("mu").asDouble());
        }

        @Override
        public String toString() {
            return "seq_len=" + imageSeqLen + " steps=" + numSteps;
        }
    }

    /** One diffusers {@code step} on a FLUX.2 schedule ({@code DIFFUSERS} precision). */
    public record StepCase(String name, int numSteps, double mu, int stepIndex, float sigma, float sigmaNext,
                           GoldenTensor sample, GoldenTensor modelOutput, GoldenTensor expected) {
        public static StepCase of(JsonNode n) {
            return new StepCase(n.path("name").asText(), n.get("num_steps").asInt(), n.get("mu").asDouble(),
                    n.get("step_index").asInt(), (float) n.get("sigma").asDouble(),
                    (float) n.get("sigma_next").asDouble(), GoldenTensor.of(n.get("sample")),
                    GoldenTensor.of(n.get("model_output")), GoldenTensor.of(n.get("expected")));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** {@code torch.randn(shape, generator=manual_seed(seed), dtype)} on the CPU. */
    public record RandnCase(long seed, Shape shape, DType dtype, String cpuCapability, GoldenTensor expected) {
        public static RandnCase of(JsonNode n) {
            return new RandnCase(n.get("seed").asLong(), Shape.of(longs(n.get("shape"))),
                    DType.parse(n.get("dtype").asText()), n.path("torch_cpu_capability").asText("avx2"),
                    GoldenTensor.of(n.get("expected")));
        }

        @Override
        public String toString() {
            return "seed=" + seed + " " + shape + " " + dtype.torchName() + " " + cpuCapability;
        }
    }

    /** The packed FLUX.2 latents a pipeline starts from. */
    public record LatentsCase(long seed, int width, int height, DType dtype, int batch, String cpuCapability,
                              GoldenTensor expected) {
        public static LatentsCase of(JsonNode n) {
            return new LatentsCase(n.get("seed").asLong(), n.get("width").asInt(), n.get("height").asInt(),
                    DType.parse(n.get("dtype").asText()), n.path("batch").asInt(1),
                    n.path("torch_cpu_capability").asText("avx2"), GoldenTensor.of(n.get("expected")));
        }

        /** The image size, height first. */
        public ImageSize size() {
            return ImageSize.of(height, width);
        }

        @Override
        public String toString() {
            return "seed=" + seed + " " + width + "x" + height + " " + dtype.torchName() + " batch=" + batch;
        }
    }

    /** The bundled {@code diffusers-goldens.json}. */
    public static GoldenFile bundled() {
        return bundled("diffusers-goldens.json");
    }

    /** A golden file bundled in test resources under {@code /golden/}, by file name. */
    public static GoldenFile bundled(String fileName) {
        String resource = "/golden/" + fileName;
        try (InputStream in = Goldens.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + resource + " is not on the class path");
            }
            return new GoldenFile(fileName, MAPPER.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Golden files named by {@code -Dflowmatch.goldens=PATH[,PATH...]}; empty when unset. */
    public static List<GoldenFile> extra() {
        String spec = System.getProperty(PROPERTY, "").trim();
        List<GoldenFile> files = new ArrayList<>();
        if (spec.isEmpty()) {
            return files;
        }
        for (String part : spec.split(",")) {
            Path path = Path.of(part.trim());
            try {
                files.add(new GoldenFile(path.toString(), MAPPER.readTree(Files.readString(path))));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read golden file " + path + " (from -D" + PROPERTY + ")", e);
            }
        }
        return files;
    }

    /** Every bundled file and every extra file. */
    public static List<GoldenFile> all() {
        List<GoldenFile> files = new ArrayList<>();
        for (String name : BUNDLED_FILES) {
            files.add(bundled(name));
        }
        files.addAll(extra());
        return files;
    }

    /** A JSON array of integers (int32 bit patterns may be written unsigned) as ints. */
    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) array.get(i).asLong();
        }
        return out;
    }

    /** A JSON array of integers as longs. */
    public static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    /** A JSON array of numbers as doubles, or null for a JSON null or a missing field. */
    public static double[] doublesOrNull(JsonNode array) {
        if (array == null || array.isNull() || array.isMissingNode()) {
            return null;
        }
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}

package dev.flowmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.noise.TorchGenerator;
import dev.flowmatch.sampling.GaussianFlow;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.schedule.TimeShiftType;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "Departures from the references": every input listed there, where diffusers (or Ollama, ComfyUI)
 * returns NaN, infinity or a schedule that is not one, is refused with an {@link IllegalArgumentException}, and the
 * README shows that exception's message word for word (so the list cannot drift from the code). The second half is
 * every probe of {@code sampler-goldens.json}'s {@code excluded[]}, which diffusers itself ran.
 */
class DeparturesTest {
    private static final JavaBackend BACKEND = new JavaBackend();
    private static final SchedulerConfig KLEIN = SchedulerConfig.flux2Klein();
    private static final SchedulerConfig EULER = SchedulerConfig.defaults();

    /** One departure: the input as the README shows it, and the call that makes it. */
    record Departure(String input, Runnable call) {}

    static List<Departure> departures() {
        return List.of(
                new Departure("mu 1e10", () -> Schedules.compute(KLEIN,
                        new ScheduleRequest(null, Flux2.pipelineSigmas(4), 1e10, null))),
                new Departure("mu -1e308", () -> Schedules.compute(KLEIN,
                        new ScheduleRequest(null, Flux2.pipelineSigmas(4), -1e308, null))),
                new Departure("100,000 steps", () -> Flux2.computeEmpiricalMu(4096, 100_000)),
                new Departure("a 100000x100000 image", () -> Flux2.imageSeqLen(ImageSize.square(100_000))),
                new Departure("linear time shift, mu 0", () -> Schedules.compute(
                        KLEIN.toBuilder().timeShiftType(TimeShiftType.LINEAR).build(),
                        new ScheduleRequest(null, Flux2.pipelineSigmas(4), 0.0, null))),
                new Departure("sigmas 2, 1.5, 1", () -> Schedules.compute(EULER, ScheduleRequest.ofSigmas(2, 1.5, 1))),
                new Departure("sigmas 0, 0, 0", () -> Schedules.compute(EULER, ScheduleRequest.ofSigmas(0, 0, 0))),
                new Departure("sigmas 0.2, 0.5, 0.9", () -> Schedules.compute(EULER,
                        ScheduleRequest.ofSigmas(0.2, 0.5, 0.9))),
                new Departure("timesteps 2000, 1000", () -> Schedules.compute(EULER,
                        ScheduleRequest.ofTimesteps(2000, 1000))),
                new Departure("shift_terminal, one step", () -> Schedules.compute(
                        EULER.toBuilder().shiftTerminal(0.1).build(), ScheduleRequest.steps(1))),
                new Departure("use_exponential_sigmas, sigmas ending at 0", () -> Schedules.compute(
                        EULER.toBuilder().useExponentialSigmas(true).build(), ScheduleRequest.ofSigmas(1, 0.5, 0))),
                new Departure("shift 0.001", () -> EULER.toBuilder().shift(0.001).build()),
                new Departure("num_train_timesteps 1000000",
                        () -> EULER.toBuilder().numTrainTimesteps(1_000_000).build()),
                new Departure("_class_name EulerDiscreteScheduler",
                        () -> SchedulerConfigJson.parse("{\"_class_name\": \"EulerDiscreteScheduler\"}")),
                new Departure("text after the object", () -> SchedulerConfigJson.parse("{\"shift\": 3.0} {\"shift\": 2.0}")),
                new Departure("Ollama model timestep of 1e30", () -> OllamaSchedule.modelTimestep(1e30f, 1000)),
                new Departure("LTX sigmas 4, 2, 1", () -> Schedulers.create(SchedulerType.LTX_EULER_ANCESTRAL_RF)
                        .setTimesteps(ScheduleRequest.ofSigmas(4, 2, 1))),
                new Departure("LTX invert_sigmas", () -> Schedulers.fromConfig(
                        Schedulers.parseJson("{\"invert_sigmas\": true}"), SchedulerType.LTX_EULER_ANCESTRAL_RF)
                        .setTimesteps(ScheduleRequest.steps(2))),
                new Departure("LTX eta 1e10", () -> Schedulers.fromConfig(Schedulers.parseJson("{\"eta\": 1e10}"),
                        SchedulerType.LTX_EULER_ANCESTRAL_RF)),
                new Departure("LCM sigmas with timesteps 1e39", () -> Schedulers.create(SchedulerType.FLOW_MATCH_LCM)
                        .setTimesteps(new ScheduleRequest(null, new double[] {1, 0.5}, null,
                                new double[] {1e39, 500}))));
    }

    @Test
    void everyDepartureIsRefusedWithTheMessageTheReadmeShows() throws IOException {
        String readme = departuresSection();
        List<String> missing = new ArrayList<>();
        for (Departure d : departures()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, d.call()::run, d.input());
            requireNamesAParameter(d.input(), e.getMessage());
            if (!readme.contains("`" + e.getMessage() + "`")) {
                missing.add(d.input() + ": `" + e.getMessage() + "`");
            }
        }
        assertEquals(List.of(), missing, "the README's departures lack these messages");
    }

    /** Every probe of the goldens' {@code excluded[]}: diffusers raised or returned NaN/inf; flowmatch refuses. */
    @Test
    void everyProbeDiffusersFailsOnIsRefusedWithTheMessageTheReadmeShows() throws IOException {
        String readme = departuresSection();
        List<String> missing = new ArrayList<>();
        JsonNode excluded = Goldens.bundled("sampler-goldens.json").root().get("excluded");
        for (JsonNode probe : excluded) {
            String name = probe.get("name").asText();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> runProbe(probe), name);
            requireNamesAParameter(name, e.getMessage());
            String row = name.replaceFirst("^probe ", "");
            if (!readme.contains("| " + row + " |") || !readme.contains("`" + e.getMessage() + "`")) {
                missing.add(row + ": `" + e.getMessage() + "`");
            }
        }
        assertEquals(18, excluded.size());
        assertEquals(List.of(), missing, "the README's departures lack these probes or messages");
    }

    /**
     * The probe's scheduler from its config, its {@code set_timesteps} call, then every step with an analytic model;
     * the Heun probe's loop starts mid-schedule at the odd index 5, as diffusers' probe did, without
     * {@code set_begin_index}.
     */
    private static void runProbe(JsonNode probe) {
        SchedulerType type = SchedulerType.parse(probe.get("scheduler").asText());
        Scheduler scheduler = Schedulers.fromConfig(probe.get("config"), type);
        JsonNode call = probe.get("set_timesteps");
        scheduler.setTimesteps(new ScheduleRequest(
                call.path("num_inference_steps").isNumber() ? call.get("num_inference_steps").asInt() : null,
                Goldens.doublesOrNull(call.get("sigmas")),
                call.path("mu").isNumber() ? call.get("mu").asDouble() : null,
                Goldens.doublesOrNull(call.get("timesteps"))));
        int start = probe.get("name").asText().contains("mid-schedule start") ? 5 : 0;
        GaussianFlow flow = new GaussianFlow(new float[] {0.5f, -0.25f, 1.0f}, 0.4);
        TorchGenerator generator = new TorchGenerator(7);
        float[] timesteps = scheduler.timesteps();
        Tensor x = BACKEND.fromFloats(new float[] {0.7f, -1.3f, 0.2f, 2.1f, -0.4f, 0.05f}, DType.FLOAT32,
                Shape.of(2, 3));
        try {
            for (int i = start; i < timesteps.length; i++) {
                try (Tensor v = flow.velocity(x, Math.max(timesteps[i], 1f) / 1000f); Tensor previous = x) {
                    x = scheduler.step(v, timesteps[i], previous, generator);
                }
            }
        } finally {
            x.close();
        }
    }

    /**
     * A message starts with the parameter (a key, an option) and a colon; a message about JSON text names the line
     * and column instead.
     */
    private static void requireNamesAParameter(String input, String message) {
        assertTrue(message != null && (message.matches("^[^ :]+(\\[\\d+])?( x [^ :]+)?: .*")
                        || message.matches("^malformed scheduler config JSON at line \\d+, column \\d+: .*")),
                input + ": the message names the parameter first: " + message);
    }

    /** The README's "Departures from the references" section, from its heading to the next heading. */
    private static String departuresSection() throws IOException {
        Path readme = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../README.md").normalize();
        String text = Files.readString(readme);
        int at = text.indexOf("### Departures from the references");
        assertTrue(at >= 0, "README.md has no departures section");
        int end = text.indexOf("\n#", at + 1);
        return end < 0 ? text.substring(at) : text.substring(at, end);
    }
}

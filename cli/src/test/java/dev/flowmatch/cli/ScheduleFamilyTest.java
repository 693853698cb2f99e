package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.scheduler.FlowSchedulers;
import dev.flowmatch.scheduler.SchedulerType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code flowmatch schedule --config FILE} / {@code --scheduler NAME} for every class of the family: the schedules of
 * diffusers v0.40.0's own runs ({@code golden/sampler-schedules.json}, copied from core's sampler-goldens.json by
 * {@code tools/reference/cli_schedule_cases.py}), bit for bit, with the class picked by the config's
 * {@code _class_name} (or by {@code --scheduler} where diffusers loaded a config of a compatible class).
 */
class ScheduleFamilyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Stream<Arguments> diffusersRuns() throws IOException {
        try (InputStream in = ScheduleFamilyTest.class.getResourceAsStream("/golden/sampler-schedules.json")) {
            JsonNode cases = JSON.readTree(in).get("cases");
            List<Arguments> out = new ArrayList<>();
            for (JsonNode c : cases) {
                out.add(Arguments.of(c.get("name").asText(), c));
            }
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("diffusersRuns")
    void printsDiffusersScheduleOfEveryRun(String name, JsonNode c) throws IOException {
        Path config = Files.createTempFile(dir, "scheduler_config", ".json");
        Files.writeString(config, c.get("config").toString());
        List<String> args = new ArrayList<>(List.of("schedule", "--config", config.toString(), "--format", "json"));
        String className = c.get("scheduler").asText();
        if (!className.equals(c.get("config").path("_class_name").asText())) {
            args.addAll(List.of("--scheduler", className)); // from_config of a compatible class, as pipelines load it
        }
        JsonNode call = c.get("set_timesteps");
        boolean custom = !call.get("sigmas").isNull() || !call.get("timesteps").isNull();
        if (!call.get("num_inference_steps").isNull()) {
            args.addAll(List.of("--steps", call.get("num_inference_steps").asText()));
            if (!custom) {
                args.add("--default-spacing"); // set_timesteps(N): the class's own spacing
            }
        }
        for (String key : new String[] {"sigmas", "timesteps"}) {
            if (!call.get(key).isNull()) {
                List<String> values = new ArrayList<>();
                call.get(key).forEach(v -> values.add(v.asText()));
                args.add("--" + key + "=" + String.join(",", values));
            }
        }
        if (!call.get("mu").isNull()) {
            args.addAll(List.of("--mu", call.get("mu").asText()));
        }
        CliRunner r = CliRunner.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), String.join(" ", args) + "\n" + r.err());
        JsonNode root = JSON.readTree(r.out());
        assertEquals(className, root.get("scheduler").asText());

        JsonNode sigmaBits = c.get("sigmas_bits");
        JsonNode sigmas = root.get("sigmas");
        assertEquals(sigmaBits.size(), sigmas.size(), r.out());
        for (int i = 0; i < sigmas.size(); i++) {
            assertEquals(sigmaBits.get(i).asInt(), Float.floatToRawIntBits(Float.parseFloat(sigmas.get(i).asText())),
                    "sigma " + i + ": " + sigmas.get(i));
        }
        JsonNode expected = c.get("timesteps");
        JsonNode timesteps = root.get("timesteps");
        boolean int64 = expected.get("dtype").asText().equals("int64");
        assertEquals(int64 ? "int64" : "float32", root.get("timestep_dtype").asText());
        JsonNode values = int64 ? expected.get("values") : expected.get("bits");
        assertEquals(values.size(), timesteps.size(), r.out());
        for (int i = 0; i < timesteps.size(); i++) {
            if (int64) {
                assertTrue(timesteps.get(i).isIntegralNumber(), timesteps.get(i).toString());
                assertEquals(values.get(i).asLong(), timesteps.get(i).asLong(), "timestep " + i);
            } else {
                assertEquals(values.get(i).asInt(), Float.floatToRawIntBits(Float.parseFloat(timesteps.get(i).asText())),
                        "timestep " + i + ": " + timesteps.get(i));
            }
        }
    }

    /** {@code --scheduler NAME} alone is FLUX.2 [klein]'s config loaded as that class: the same as that --config. */
    @ParameterizedTest
    @EnumSource(SchedulerType.class)
    void schedulerNameIsKleinsConfigAsThatClass(SchedulerType type) throws IOException {
        Path config = dir.resolve(type.cliName() + ".json");
        Files.writeString(config, FlowSchedulers.flux2Klein(type).toString());
        CliRunner byName = CliRunner.run("schedule", "--scheduler", type.cliName(), "--steps", "6", "--format", "json");
        CliRunner byConfig = CliRunner.run("schedule", "--config", config.toString(), "--steps", "6", "--format",
                "json");
        assertEquals(0, byName.status(), byName.err());
        assertEquals(byConfig.out(), byName.out());
        JsonNode root = JSON.readTree(byName.out());
        assertEquals(type.className(), root.get("scheduler").asText());
        JsonNode sigmas = root.get("sigmas");
        // Heun interleaves its second-order points: 2N sigmas; every other class N + 1; all end at sigma 0 here
        assertEquals(type == SchedulerType.FLOW_MATCH_HEUN ? 12 : 7, sigmas.size(), byName.out());
        assertEquals(0.0, sigmas.get(sigmas.size() - 1).asDouble(), byName.out());
        // the diffusers class name works as well as the short name
        assertEquals(byName.out(), CliRunner.run("schedule", "--scheduler", type.className(), "--steps", "6",
                "--format", "json").out());
    }

    /** The table's head: the class, its {@code order} (model calls per step, diffusers' attribute), the timestep type. */
    @Test
    void tableNamesClassOrderAndTimestepType() {
        CliRunner dpm = CliRunner.run("schedule", "--scheduler", "dpm", "--steps", "4");
        assertEquals(0, dpm.status(), dpm.err());
        assertTrue(dpm.out().startsWith("4 steps, DPMSolverMultistepScheduler (order 1, int64 timesteps), mu "),
                dpm.out());
        CliRunner heun = CliRunner.run("schedule", "--scheduler", "heun", "--steps", "4");
        assertTrue(heun.out().startsWith("4 steps, 7 model calls, FlowMatchHeunDiscreteScheduler (order 2, float32"
                + " timesteps)"), heun.out());
    }

    @Test
    void badFamilyOptionsNameTheOption() throws IOException {
        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, "{\"_class_name\": \"DDIMScheduler\"}");
        assertBad(CliRunner.run("schedule", "--config", unknown.toString()), "--config: _class_name");
        assertBad(CliRunner.run("schedule", "--scheduler", "ddim"), "--scheduler: 'ddim'");
        Path fixed = dir.resolve("fixed-dpm.json");
        Files.writeString(fixed, "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"use_flow_sigmas\": true,"
                + " \"prediction_type\": \"flow_prediction\", \"flow_shift\": 3.0}");
        // diffusers asserts use_dynamic_shifting when mu is given (the goldens' excluded list)
        assertBad(CliRunner.run("schedule", "--config", fixed.toString(), "--mu", "1.0"), "--mu: ");
        assertBad(CliRunner.run("schedule", "--scheduler", "unipc", "--convention", "ollama"), "--convention ollama");
        assertBad(CliRunner.run("schedule", "--scheduler", "heun", "--steps", "0"), "--steps: 0");
    }

    private static void assertBad(CliRunner r, String text) {
        assertEquals(2, r.status(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.split("\\R").length, err);
        assertTrue(err.startsWith("flowmatch: ") && err.contains(text), err);
    }
}

package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.convention.ComfyUiSchedule;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void jsonFloatsParseBackToTheExactFloat32Values() throws Exception {
        CliRunner r = CliRunner.run("schedule", "--format", "json", "--steps", "28", "--width", "1024", "--height", "768");
        assertEquals(0, r.status(), r.err());
        JsonNode root = JSON.readTree(r.out());
        double mu = Flux2.computeEmpiricalMu(3072, 28);
        assertEquals(mu, root.get("mu").asDouble(), 0.0);
        assertEquals(28, root.get("num_inference_steps").asInt());
        Schedule expected = Schedules.compute(SchedulerConfig.flux2Klein(),
                ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(28)).withMu(mu));
        assertArrayEquals(expected.sigmas(), floats(root.get("sigmas")));
        assertArrayEquals(expected.timesteps(), floats(root.get("timesteps")));
        assertEquals(SchedulerConfig.flux2Klein(), SchedulerConfigJson.fromTree(root.get("config")));
    }

    @Test
    void configFileCustomSigmasAndDefaultSpacing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 5.0}");
        CliRunner custom = CliRunner.run("schedule", "--config", file.toString(), "--sigmas", "1,0.6,0.2", "--format", "json");
        assertEquals(0, custom.status(), custom.err());
        JsonNode root = JSON.readTree(custom.out());
        assertTrue(root.get("mu").isNull());
        SchedulerConfig cfg = SchedulerConfig.builder().shift(5.0).build();
        assertArrayEquals(Schedules.compute(cfg, ScheduleRequest.ofSigmas(1, 0.6, 0.2)).sigmas(),
                floats(root.get("sigmas")));

        CliRunner spacing = CliRunner.run("schedule", "--config", file.toString(), "--default-spacing", "--steps", "5",
                "--format", "csv");
        assertEquals(0, spacing.status(), spacing.err());
        String[] lines = spacing.out().strip().split("\\R");
        assertEquals("step,sigma,timestep", lines[0]);
        assertEquals(7, lines.length);
        float[] sigmas = Schedules.compute(cfg, ScheduleRequest.steps(5)).sigmas();
        assertEquals(sigmas[1], Float.parseFloat(lines[2].split(",")[1]));
        assertTrue(lines[6].endsWith(","), lines[6]);
    }

    @Test
    void anUnknownConfigKeyIsOnePlainWarningLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, "{\"shift\": 3.0, \"use_flow_sigmas\": true}");
        CliRunner r = CliRunner.run("schedule", "--config", file.toString(), "--steps", "1");
        assertEquals(0, r.status(), r.err());
        assertEquals("flowmatch: warning: scheduler config key 'use_flow_sigmas' is not used by"
                + " FlowMatchEulerDiscreteScheduler; ignored" + System.lineSeparator(), r.err());
        assertTrue(r.out().startsWith("1 step, fixed shift 3.0"), r.out());
    }

    @Test
    void tableShowsEveryStepAndTheTerminalSigma() {
        CliRunner r = CliRunner.run("schedule", "--steps", "3", "--mu", "1.5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("mu 1.5"), r.out());
        assertTrue(r.out().contains("(terminal)"), r.out());
        assertEquals(6, r.out().strip().split("\\R").length, r.out());
    }

    @Test
    void conventionsPrintTheirEnginesNumbers() throws Exception {
        for (Convention c : new Convention[] {Convention.OLLAMA, Convention.OLLAMA_ARM64, Convention.COMFYUI}) {
            CliRunner r = CliRunner.run("schedule", "--convention", c.cliName(), "--steps", "20", "--width", "1000",
                    "--height", "1000", "--format", "json");
            assertEquals(0, r.status(), r.err());
            JsonNode root = JSON.readTree(r.out());
            assertEquals(c.cliName(), root.get("convention").asText());
            double mu = c.empiricalMu(c.imageSeqLen(ImageSize.square(1000)), 20);
            assertEquals(mu, root.get("mu").asDouble(), 0.0);
            Schedule expected = c.flux2Schedule(SchedulerConfig.flux2Klein(), 3.0, 20, mu, TorchBuild.STANDARD);
            assertArrayEquals(expected.sigmas(), floats(root.get("sigmas")), c.cliName());
            assertArrayEquals(expected.timesteps(), floats(root.get("timesteps")), c.cliName());
        }
        assertEquals(ComfyUiSchedule.flux2Scheduler(20, ImageSize.square(1000), TorchBuild.STANDARD),
                Convention.COMFYUI.flux2Schedule(SchedulerConfig.flux2Klein(), 3.0, 20,
                        Convention.COMFYUI.empiricalMu(3906, 20), TorchBuild.STANDARD));
        CliRunner old = CliRunner.run("schedule", "--convention", "comfyui", "--steps", "20", "--torch-kernel", "default",
                "--torch-version", "1.13", "--format", "json");
        assertEquals(0, old.status(), old.err());
        assertArrayEquals(ComfyUiSchedule.flux2Scheduler(20, ImageSize.square(1024),
                new TorchBuild(TorchCpuKernel.DEFAULT, TorchRelease.TORCH_1_13)).sigmas(),
                floats(JSON.readTree(old.out()).get("sigmas")));
        CliRunner table = CliRunner.run("schedule", "--convention", "ollama-arm64");
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().contains("Ollama (arm64), "), table.out());
    }

    @Test
    void diffusersReleaseDecidesCustomTimesteps() throws Exception {
        CliRunner r = CliRunner.run("schedule", "--timesteps", "1000,750.3,500.9", "--mu", "1.2", "--diffusers-release",
                "0.39", "--format", "json");
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(new float[] {1000f, 750.3f, 500.9f}, floats(JSON.readTree(r.out()).get("timesteps")));
        CliRunner v40 = CliRunner.run("schedule", "--timesteps", "1000,750.3,500.9", "--mu", "1.2", "--format", "json");
        assertEquals(0, v40.status(), v40.err());
        SchedulerConfig cfg = SchedulerConfig.flux2Klein();
        assertArrayEquals(Schedules.compute(cfg, ScheduleRequest.ofTimesteps(1000, 750.3, 500.9).withMu(1.2))
                .timesteps(), floats(JSON.readTree(v40.out()).get("timesteps")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"--convention=mlx", "--convention=ollama --sigmas=1,0.5", "--convention=comfyui --default-spacing",
            "--convention=comfyui --torch-kernel=sse", "--diffusers-release=0.41", "--convention=ollama --width=-5"})
    void badConventionOptionsGiveOneLineAndStatusTwo(String options) {
        CliRunner r = CliRunner.run(("schedule " + options).split(" "));
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().split("\\R").length, r.err());
        assertTrue(r.err().startsWith("flowmatch: "), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--steps=0", "--mu=NaN", "--sigmas=1,abc", "--format=xml", "--width=-16", "--config=/no/such/file.json",
            "--sigmas=1,0.5 --steps=3", "--default-spacing --sigmas=1", "--bogus"})
    void badOptionsGiveOneLineAndStatusTwo(String options) {
        String[] args = ("schedule " + options).split(" ");
        CliRunner r = CliRunner.run(args);
        assertEquals(2, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().split("\\R").length, r.err());
        assertTrue(r.err().startsWith("flowmatch: "), r.err());
        assertTrue(!r.err().contains("\tat "), r.err());
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(array.get(i).asText());
        }
        return out;
    }
}

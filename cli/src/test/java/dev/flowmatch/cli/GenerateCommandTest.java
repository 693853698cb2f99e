package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateCommandTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"onnx", "djl"})
    void writesAGridOfGeneratedDigits(String runtime) throws Exception {
        if (runtime.equals("djl")) {
            assumeTrue(Backends.find("djl").map(TensorBackend::isAvailable).orElse(false), "djl unavailable");
        }
        Path png = dir.resolve("g.png");
        CliRunner r = CliRunner.run("generate", "--runtime", runtime, "--labels", "3,8", "--rows", "2", "--steps", "4",
                "--out", png.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("flowmatch: model call 4/4 done") && !r.err().contains("\r"), r.err());
        assertTrue(r.out().contains("conditional + unconditional in one batched call"), r.out());
        assertTrue(r.out().contains("wrote " + png), r.out());
        BufferedImage image = ImageIO.read(png.toFile());
        // Two columns of 64-pixel cells would be narrower than the minimum width; rows: header + 2 cells.
        assertTrue(image.getHeight() > 2 * 64, "height " + image.getHeight());
        assertLooksLikeADigit(image);
    }

    /** A generated digit has ink and background: the first cell is neither all black nor all white. */
    private static void assertLooksLikeADigit(BufferedImage image) {
        int light = 0;
        int dark = 0;
        for (int y = 48; y < 48 + 64; y++) {
            for (int x = 4; x < 4 + 64; x++) {
                int grey = image.getRGB(x, y) & 0xFF;
                light += grey > 160 ? 1 : 0;
                dark += grey < 60 ? 1 : 0;
            }
        }
        assertTrue(light > 200 && dark > 200, "light " + light + ", dark " + dark);
    }

    /** Every scheduler of the family, by its CLI name, with its flow-mode config: a digit in a few steps. */
    @ParameterizedTest
    @EnumSource(SchedulerType.class)
    void everySchedulerOfTheFamilyGenerates(SchedulerType type) throws Exception {
        Path png = dir.resolve(type.cliName() + ".png");
        CliRunner r = CliRunner.run("generate", "--scheduler", type.cliName(), "--labels", "0", "--rows", "1",
                "--steps", "6", "--out", png.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains(type.className() + " (flow config, shift 1.0) 6 steps"), r.out());
        assertFalse(r.err().contains("not used by"), "the flow config has only keys the class takes: " + r.err());
        assertLooksLikeADigit(ImageIO.read(png.toFile()));
    }

    /** A stochastic scheduler is seeded: the same seed gives the same picture, another seed another one. */
    @Test
    void stochasticSchedulersAreSeeded() throws Exception {
        byte[][] pictures = new byte[3][];
        long[] seeds = {5, 5, 6};
        for (int i = 0; i < 3; i++) {
            Path png = dir.resolve("lcm" + i + ".png");
            CliRunner r = CliRunner.run("generate", "--scheduler", "lcm", "--labels", "4", "--rows", "1", "--steps",
                    "4", "--seed", Long.toString(seeds[i]), "--out", png.toString());
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("(the generator continues into every step)"), r.out());
            pictures[i] = pixels(png);
        }
        assertArrayEquals(pictures[0], pictures[1]);
        assertFalse(Arrays.equals(pictures[0], pictures[2]));
    }

    /** The grid without its title row (the title names the seed). */
    private static byte[] pixels(Path png) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        byte[] out = new byte[image.getWidth() * (image.getHeight() - 48)];
        for (int y = 48; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                out[(y - 48) * image.getWidth() + x] = (byte) image.getRGB(x, y);
            }
        }
        return out;
    }

    /** --config: the class its _class_name names, or the --scheduler class built from it. */
    @Test
    void configFileChoosesTheClassAndItsKeys() throws Exception {
        Path dpm = dir.resolve("dpm.json");
        Files.writeString(dpm, """
                {"_class_name": "DPMSolverMultistepScheduler", "_diffusers_version": "0.40.0",
                 "use_flow_sigmas": true, "prediction_type": "flow_prediction", "flow_shift": 3.0}""");
        CliRunner r = CliRunner.run("generate", "--config", dpm.toString(), "--labels", "1", "--rows", "1", "--steps",
                "5", "--out", dir.resolve("g.png").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("DPMSolverMultistepScheduler (config " + dpm + ") 5 steps"), r.out());

        Path euler = dir.resolve("euler.json");
        Files.writeString(euler, """
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 2.0,
                 "use_dynamic_shifting": false}""");
        r = CliRunner.run("generate", "--config", euler.toString(), "--scheduler", "heun", "--labels", "1", "--rows",
                "1", "--steps", "3", "--out", dir.resolve("g.png").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("FlowMatchHeunDiscreteScheduler (config " + euler + ") 3 steps, 5 model calls"),
                r.out());
        assertTrue(r.err().contains("model call 5/5 done"), r.err());
    }

    @Test
    void guidanceOneIsUnguided() {
        CliRunner r = CliRunner.run("generate", "--labels", "1", "--rows", "1", "--steps", "2", "--guidance", "1",
                "--out", dir.resolve("g.png").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("(unguided)"), r.out());
    }

    @Test
    void badInputExitsWithStatusTwoAndNamesTheOption() {
        String out = dir.resolve("g.png").toString();
        String[][] cases = {
                {"--guidance", "-1", "--guidance"}, {"--guidance", "NaN", "--guidance"}, {"--labels", "10", "--labels"},
                {"--labels", "-1", "--labels"}, {"--rows", "0", "--rows"}, {"--steps", "0", "--steps"},
                {"--runtime", "tensorflow", "--runtime"}, {"--threads", "0", "--threads"}, {"--shift", "0", "--shift"},
                {"--model", "no-such-model", "model"}, {"--scheduler", "ddim", "--scheduler: 'ddim'"},
                {"--config", dir.resolve("missing.json").toString(), "--config"},
        };
        for (String[] c : cases) {
            CliRunner r = CliRunner.run("generate", c[0], c[1], "--out", out);
            assertEquals(Flowmatch.USAGE, r.status(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[2]), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    @Test
    void badSchedulerSetupsExitWithStatusTwoAndNameTheKey() throws Exception {
        String out = dir.resolve("g.png").toString();
        Path epsilon = dir.resolve("epsilon.json");
        Files.writeString(epsilon, "{\"_class_name\": \"DPMSolverMultistepScheduler\"}");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"shift\": ");
        Path noClass = dir.resolve("noclass.json");
        Files.writeString(noClass, "{\"shift\": 2.0}");
        String[][] cases = {
                {"--config", epsilon.toString(), "prediction_type"},
                {"--config", broken.toString(), "--config: " + broken},
                {"--config", noClass.toString(), "_class_name"},
                {"--shift", "2", "--config", noClass.toString(), "--shift: 2.0 cannot be combined with --config"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 2];
            args[0] = "generate";
            System.arraycopy(c, 0, args, 1, c.length - 1);
            args[c.length] = "--out";
            args[c.length + 1] = out;
            CliRunner r = CliRunner.run(args);
            assertEquals(Flowmatch.USAGE, r.status(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[c.length - 1]), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}

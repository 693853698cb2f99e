package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    private static double lastError(CliRunner r) {
        String[] lines = r.out().strip().split("\\R");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("relative L2 error vs exact: "), last);
        return Double.parseDouble(last.substring("relative L2 error vs exact: ".length()));
    }

    /** {@code flowmatch sample} at 128x128 on java into the temp folder, with {@code extra} options added or overriding. */
    private CliRunner sample(String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("sample"));
        java.util.List<String> given = java.util.List.of(extra);
        for (String[] option : new String[][] {{"--width", "128"}, {"--height", "128"}, {"--backend", "java"},
                {"--out", dir.resolve("s.png").toString()}}) {
            if (!given.contains(option[0])) {
                args.addAll(java.util.List.of(option));
            }
        }
        args.addAll(given);
        return CliRunner.run(args.toArray(String[]::new));
    }

    @Test
    void writesALabelledStripAndTheErrorLine() throws Exception {
        CliRunner r = sample("--steps", "4");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("step  sigma"), r.out());
        // Not a terminal (System.console() is none here): one plain progress line per step, never a \r frame.
        assertFalse(r.err().contains("\r"), r.err());
        assertEquals(4, r.err().lines().filter(l -> l.matches("flowmatch: step [1-4]/4 done, .* steps/s")).count(),
                r.err());
        BufferedImage png = ImageIO.read(dir.resolve("s.png").toFile());
        // noise, 4 x0 predictions, result, exact target: 7 panels.
        assertTrue(png.getWidth() > 7 * 192, "width " + png.getWidth());
        double error = lastError(r);
        assertTrue(error > 0 && error < 1, "error " + error);
    }

    @Test
    void errorShrinksWithStepsAsEulerShould() {
        double previous = Double.MAX_VALUE;
        for (String steps : new String[] {"2", "8", "32"}) {
            CliRunner r = sample("--steps", steps, "--dtype", "f32", "--precision", "fp32");
            assertEquals(0, r.status(), r.err());
            double error = lastError(r);
            assertTrue(error < previous * 0.75, steps + " steps: " + error + " after " + previous);
            previous = error;
        }
    }

    @Test
    void sameSeedSameResultAndPlotIsWritten() throws Exception {
        CliRunner a = sample("--steps", "3", "--seed", "7");
        CliRunner b = sample("--steps", "3", "--seed", "7");
        CliRunner c = sample("--steps", "3", "--seed", "8");
        assertEquals(lastError(a), lastError(b));
        assertTrue(lastError(a) != lastError(c));
        Path plot = dir.resolve("plot.png");
        CliRunner p = CliRunner.run("sample", "--width", "32", "--height", "32", "--steps", "2", "--out",
                dir.resolve("p.png").toString(), "--plot", plot.toString());
        assertEquals(0, p.status(), p.err());
        assertTrue(Files.size(plot) > 1000);
        assertTrue(ImageIO.read(plot.toFile()).getWidth() > 0);
        // the fitted slopes of log error against log steps show each sampler's order
        java.util.regex.Matcher slopes = java.util.regex.Pattern.compile("plot: slope of log error against log steps"
                + " \\(32 to 256 steps, least squares\\): Euler (-[0-9.]+), Heun (-[0-9.]+), DPM\\+\\+ 2M (-[0-9.]+),"
                + " DPM\\+\\+ 3M (-[0-9.]+), UniPC-2 (-[0-9.]+), UniPC-3 (-[0-9.]+)").matcher(p.out());
        assertTrue(slopes.find(), p.out());
        double euler = Double.parseDouble(slopes.group(1));
        assertTrue(euler > -1.1 && euler < -0.9, "Euler: " + euler);
        for (int line = 2; line <= 6; line++) {
            double slope = Double.parseDouble(slopes.group(line));
            assertTrue(slope < -1.5, "line " + line + ": " + slope); // second order or better (see OrderChart)
        }
    }

    @Test
    void sizesAreRoundedDownToSixteenWithAWarning() {
        CliRunner r = sample("--width", "136", "--steps", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("--width 136 is not a multiple of 16; rounded down to 128"), r.err());
    }

    @Test
    void badInputIsOneLineAndStatusTwo() {
        assertBad(sample("--width", "0"), "--width: 0 must lie in [16, 16384]");
        assertBad(sample("--width", "4096", "--height", "2048"), "above 4 megapixels");
        assertBad(sample("--dtype", "int8"), "--dtype: 'int8'");
        assertBad(sample("--precision", "fp8"), "--precision: 'fp8'");
        assertBad(sample("--steps", "0"), "--steps: 0");
        assertBad(CliRunner.run("sample", "--width", "64", "--height", "64", "--out",
                dir.resolve("no/such/dir/s.png").toString()), "--out: cannot write");
        assertBad(CliRunner.run("sample", "--width", "64", "--height", "64", "--out", dir.toString()), "is a directory");
    }

    private static void assertBad(CliRunner r, String text) {
        assertEquals(2, r.status(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.split("\\R").length, err);
        assertTrue(err.contains(text), err);
    }

    @Test
    void quietPrintsNoProgressAndOneStepIsOneStep() {
        CliRunner r = sample("--steps", "1", "--quiet");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains(", 1 step, seed"), r.out());
        assertFalse(r.out().contains("1 steps"), r.out());
    }

    @Test
    void progressModes() {
        java.io.StringWriter text = new java.io.StringWriter();
        java.io.PrintWriter err = new java.io.PrintWriter(text, true);
        Progress bar = new Progress(err, Progress.Mode.BAR, 2, "step");
        bar.step(1, "");
        bar.step(2, "");
        bar.done();
        String drawn = text.toString();
        assertTrue(drawn.startsWith("\r[###############...............] 1/2 steps, "), drawn);
        assertTrue(drawn.contains("\r[##############################] 2/2 steps, "), drawn);
        assertTrue(drawn.endsWith("\n") || drawn.endsWith(System.lineSeparator()), drawn);

        text.getBuffer().setLength(0);
        new Progress(err, Progress.Mode.LINES, 3, "schedule").step(1, "plot");
        assertTrue(text.toString().matches("flowmatch: plot: schedule 1/3 done, [0-9.]+ schedules/s\\R"), text.toString());

        text.getBuffer().setLength(0);
        Progress quiet = new Progress(err, Progress.Mode.QUIET, 3, "step");
        quiet.step(1, "");
        quiet.done();
        assertEquals("", text.toString());
        assertEquals(Progress.Mode.QUIET, Progress.Mode.detect(true));
    }

    @Test
    void backendsListsEveryBackendFound() {
        CliRunner r = CliRunner.run("backends");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("java     available"), r.out());
        assertTrue(r.out().contains("djl"), r.out());
        assertTrue(r.out().contains("mlx"), r.out());
        assertTrue(r.out().contains("selected: "), r.out());
    }

    @Test
    void ollamaConventionRunsOllamasLoopWithMlxNoise() {
        CliRunner r = sample("--convention", "ollama", "--steps", "3", "--width", "120", "--height", "130");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("128x128 (64 tokens)"), r.out());
        assertTrue(r.out().contains("convention ollama, noise mlx"), r.out());
        assertTrue(r.err().contains("Ollama renders 120x130 as 128x128"), r.err());
        double error = lastError(r);
        assertTrue(error > 0 && error < 1, "error " + error);
        CliRunner torchNoise = sample("--convention", "ollama-arm64", "--noise", "torch", "--steps", "3");
        assertEquals(0, torchNoise.status(), torchNoise.err());
        assertTrue(torchNoise.out().contains("convention ollama-arm64, noise torch"), torchNoise.out());
        CliRunner mlxNoise = sample("--noise", "mlx", "--steps", "3");
        assertEquals(0, mlxNoise.status(), mlxNoise.err());
        assertTrue(mlxNoise.out().contains("convention diffusers, noise mlx"), mlxNoise.out());
    }

    @Test
    void badConventionAndNoiseAreOneLineErrors() {
        for (String[] bad : new String[][] {{"--convention", "comfyui"}, {"--noise", "philox"},
                {"--convention", "tensorrt"}}) {
            CliRunner r = sample(bad);
            assertEquals(2, r.status(), r.err());
            assertEquals(1, r.err().strip().split("\\R").length, r.err());
            assertTrue(r.err().startsWith("flowmatch: " + bad[0]), r.err());
        }
    }
}

package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.scheduler.SchedulerType;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flowmatch sample} with the scheduler family ({@code --scheduler}), klein base ({@code --base},
 * {@code --guidance}), image-to-image ({@code --image}, {@code --strength}) and inpainting ({@code --mask}): each
 * against its exact answer on the analytic flow, and the combinations refused with one line naming the option.
 */
class SampleModesTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void headlessAndPictures() throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage picture = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = picture.createGraphics();
        g.setColor(new Color(80, 150, 230));
        g.fillRect(0, 0, 128, 128);
        g.setColor(new Color(40, 140, 60));
        g.fillRect(0, 80, 128, 48);
        g.setColor(new Color(250, 190, 40));
        g.fillOval(80, 10, 30, 30);
        g.dispose();
        ImageIO.write(picture, "png", dir.resolve("picture.png").toFile());
        BufferedImage mask = new BufferedImage(128, 128, BufferedImage.TYPE_INT_RGB);
        Graphics2D m = mask.createGraphics();
        m.setColor(Color.WHITE);
        // the mask reads the 2x2 pixels at each 16x16 block's centre: a square of 4x4 painted tokens, one token half
        // painted (the column x = 8 splits its centre) and the rest kept
        m.fillRect(32, 32, 64, 64);
        m.fillRect(8, 0, 8, 16);
        m.dispose();
        ImageIO.write(mask, "png", dir.resolve("mask.png").toFile());
        ImageIO.write(new BufferedImage(64, 128, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("narrow.png").toFile());
        Files.writeString(dir.resolve("text.png"), "not a picture");
    }

    /** {@code flowmatch sample} at 128x128 on java (unless {@code --image} sets the size). */
    private static CliRunner sample(String... extra) {
        List<String> args = new ArrayList<>(List.of("sample", "--backend", "java", "--quiet", "--out",
                dir.resolve("s.png").toString()));
        List<String> given = List.of(extra);
        if (!given.contains("--image")) {
            args.addAll(List.of("--width", "128", "--height", "128"));
        }
        args.addAll(given);
        return CliRunner.run(args.toArray(String[]::new));
    }

    private static String[] concat(String[] first, String... more) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static double lastError(CliRunner r) {
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().strip().split("\\R");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("relative L2 error vs exact: "), last);
        return Double.parseDouble(last.substring("relative L2 error vs exact: ".length()));
    }

    private static void assertBad(CliRunner r, String text) {
        assertEquals(2, r.status(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.split("\\R").length, err);
        assertTrue(err.startsWith("flowmatch: ") && err.contains(text), err);
    }

    @Test
    void everySchedulerOfTheFamilyRunsOnTheAnalyticFlow() {
        double euler = lastError(sample("--steps", "8", "--dtype", "f32"));
        for (SchedulerType type : SchedulerType.values()) {
            CliRunner r = sample("--scheduler", type.cliName(), "--steps", "8", "--dtype", "f32");
            double error = lastError(r);
            assertTrue(error > 0 && error < 1, type + ": " + error);
            boolean stochastic = type == SchedulerType.FLOW_MATCH_LCM || type == SchedulerType.LTX_EULER_ANCESTRAL_RF;
            assertEquals(stochastic, r.out().contains("note: " + type.cliName() + " draws fresh noise"), r.out());
            if (type != SchedulerType.FLOW_MATCH_EULER) {
                assertTrue(r.out().contains("scheduler " + type.className()), r.out());
            }
        }
        // second order against Euler's first, on the same FLUX.2 schedule
        assertTrue(lastError(sample("--scheduler", "heun", "--steps", "8", "--dtype", "f32")) < euler / 4);
        // Euler-ancestral RF calls the model at sigma 0 last: the analytic flow's velocity there is -x
        CliRunner ltx = sample("--scheduler", "euler-ancestral-rf", "--steps", "3");
        assertTrue(ltx.out().contains("    3  0.0          0.0"), ltx.out());
    }

    @Test
    void stochasticSchedulersAreSeededAndReportTheDistribution() {
        CliRunner a = sample("--scheduler", "lcm", "--seed", "5");
        CliRunner b = sample("--scheduler", "lcm", "--seed", "5");
        CliRunner c = sample("--scheduler", "lcm", "--seed", "6");
        assertEquals(lastError(a), lastError(b));
        assertTrue(lastError(a) != lastError(c));
        Matcher spread = Pattern.compile("has mean (-?[0-9.]+), std ([0-9.]+)").matcher(a.out());
        assertTrue(spread.find(), a.out());
        assertTrue(Math.abs(Double.parseDouble(spread.group(1))) < 0.05, a.out());
        assertBad(sample("--scheduler", "lcm", "--noise", "mlx"), "--noise mlx: --scheduler lcm draws noise");
    }

    @Test
    void kleinBaseGuidesWithFiftyStepsAndScaleFourByDefault() {
        CliRunner base = sample("--base");
        assertTrue(base.out().contains(", 50 steps, "), base.out());
        assertTrue(base.out().contains("klein base: guidance 4.0 (conditional and unconditional"), base.out());
        assertTrue(base.out().contains("the exact answer is the guided endpoint m_u + 4.0 (m_c - m_u) + s z"),
                base.out());
        assertEquals(lastError(base), lastError(sample("--base", "--steps", "50", "--guidance", "4")));
        double error = lastError(base);
        assertTrue(error > 0 && error < 0.05, "klein base, 50 Euler steps: " + error);
        // scale 1 is no guidance, bit for bit: the result of the distilled loop with the same steps
        CliRunner one = sample("--base", "--guidance", "1", "--steps", "6");
        assertTrue(one.out().contains("klein base: guidance 1.0 (<= 1: unguided"), one.out());
        assertEquals(lastError(sample("--steps", "6")), lastError(one));
        // the guided ODE's error shrinks at Euler's first order, and at Heun's second
        double coarse = lastError(sample("--base", "--steps", "8", "--dtype", "f32"));
        double fine = lastError(sample("--base", "--steps", "32", "--dtype", "f32"));
        assertTrue(fine < coarse / 2.5, coarse + " -> " + fine);
        double heun = lastError(sample("--base", "--steps", "32", "--dtype", "f32", "--scheduler", "heun"));
        assertTrue(heun < fine / 10, "heun " + heun + ", euler " + fine);
    }

    @Test
    void imageToImageStartsFromTheNoisedImage() {
        String picture = dir.resolve("picture.png").toString();
        CliRunner r = sample("--image", picture, "--steps", "10", "--strength", "0.6", "--dtype", "f32");
        assertTrue(r.out().contains("128x128 (64 tokens)"), r.out());
        assertTrue(r.out().contains("image-to-image: " + picture + " (128x128), strength 0.6: t_start 4, 6 steps of"
                + " 10 run"), r.out());
        double error = lastError(r);
        assertTrue(error > 0 && error < 0.5, "6 Euler steps: " + error);
        // the error against the exact endpoint from the noised image shrinks at Euler's first order
        double fine = lastError(sample("--image", picture, "--steps", "40", "--strength", "0.6", "--dtype", "f32"));
        assertTrue(fine < error / 2.5 && fine > error / 8, error + " -> " + fine);
        assertTrue(lastError(sample("--image", picture, "--steps", "10", "--strength", "0.6", "--dtype", "f32",
                "--scheduler", "heun")) < error / 4);
        // strength 1 starts from the noise itself: text-to-image, bit for bit
        assertEquals(lastError(sample("--steps", "5")), lastError(sample("--image", picture, "--strength", "1",
                "--steps", "5")));
        // the default strength is 0.6
        assertTrue(sample("--image", picture).out().contains("strength 0.6: t_start 1, 3 steps of 4 run"));
    }

    @Test
    void inpaintingKeepsTheImageExactlyWhereTheMaskIsBlack() {
        String picture = dir.resolve("picture.png").toString();
        for (String scheduler : new String[] {"euler", "dpm", "heun"}) {
            CliRunner r = sample("--image", picture, "--mask", dir.resolve("mask.png").toString(), "--scheduler",
                    scheduler, "--steps", "8");
            Matcher kept = Pattern.compile("kept \\(mask 0\\): ([0-9]+) of ([0-9]+) values equal the image exactly;"
                    + " painted \\(mask 1\\): ([0-9]+) tokens; edge \\(mask between 0 and 1, blended, not compared\\):"
                    + " ([0-9]+) tokens?").matcher(r.out());
            assertTrue(kept.find(), r.out());
            assertEquals(kept.group(2), kept.group(1), r.out());
            int keptTokens = Integer.parseInt(kept.group(2)) / 128;
            int painted = Integer.parseInt(kept.group(3));
            int edge = Integer.parseInt(kept.group(4));
            assertEquals(List.of(64 - 16 - 1, 16, 1), List.of(keptTokens, painted, edge), r.out());
            double error = lastError(r);
            assertTrue(error > 0 && error < 0.5, scheduler + ": " + error);
        }
        // the painted tokens follow the ODE: their error shrinks with steps (Euler: first order)
        String[] inpaint = {"--image", picture, "--mask", dir.resolve("mask.png").toString(), "--dtype", "f32"};
        double coarse = lastError(sample(concat(inpaint, "--steps", "10")));
        double fine = lastError(sample(concat(inpaint, "--steps", "40")));
        assertTrue(fine < coarse / 2.5 && fine > coarse / 8, coarse + " -> " + fine);
    }

    @Test
    void badCombinationsNameTheOption() {
        String picture = dir.resolve("picture.png").toString();
        assertBad(sample("--guidance", "3"), "--guidance: only with --base");
        assertBad(sample("--strength", "0.5"), "--strength: only with --image");
        assertBad(sample("--mask", dir.resolve("mask.png").toString()), "--mask: only with --image");
        for (String strength : new String[] {"0", "-0.1", "1.5", "NaN"}) {
            assertBad(sample("--image", picture, "--strength", strength), "--strength: ");
        }
        assertBad(sample("--image", picture, "--mask", dir.resolve("narrow.png").toString()),
                "--mask: " + dir.resolve("narrow.png") + " is 64x128, but --image is 128x128");
        assertBad(sample("--image", dir.resolve("none.png").toString()), "--image: ");
        assertBad(sample("--image", dir.resolve("text.png").toString()), "--image: ");
        assertBad(sample("--image", picture, "--width", "256"), "--width: 256 differs from --image");
        assertBad(sample("--base", "--guidance", "Infinity"), "--guidance: ");
        for (String[] ollama : new String[][] {{"--base"}, {"--image", picture}, {"--scheduler", "dpm"},
                {"--plot", dir.resolve("p.png").toString()}}) {
            List<String> args = new ArrayList<>(List.of("--convention", "ollama"));
            args.addAll(List.of(ollama));
            assertBad(sample(args.toArray(String[]::new)), "--convention ollama with " + ollama[0]);
        }
        assertEquals(0, sample("--convention", "ollama", "--scheduler", "euler", "--steps", "1").status());
        assertBad(sample("--scheduler", "dpm", "--precision", "fp32"), "--precision: only with the euler scheduler");
        assertBad(sample("--scheduler", "ddim"), "--scheduler: 'ddim'");
    }
}

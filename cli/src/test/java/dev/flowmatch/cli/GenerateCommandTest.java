package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
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
        assertTrue(r.err().contains("4/4 steps"), r.err());
        assertTrue(r.out().contains("conditional + unconditional in one batched call"), r.out());
        assertTrue(r.out().contains("wrote " + png), r.out());
        BufferedImage image = ImageIO.read(png.toFile());
        // Two columns of 64-pixel cells would be narrower than the minimum width; rows: header + 2 cells.
        assertTrue(image.getHeight() > 2 * 64, "height " + image.getHeight());
        // A generated digit has ink and background: the first cell is neither all black nor all white.
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
                {"--model", "no-such-model", "model"},
        };
        for (String[] c : cases) {
            CliRunner r = CliRunner.run("generate", c[0], c[1], "--out", out);
            assertEquals(Flowmatch.USAGE, r.status(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[2]), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}

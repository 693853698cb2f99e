package dev.flowmatch.torchmath;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.floats;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.torchmath.TorchLinalg.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TorchLinalg#solve} against torch 1.13 itself: every {@code torch.linalg.solve} call that diffusers' UniPC
 * made while the sampler goldens were recorded ({@code sampler-goldens.json}, {@code steps[].linalg_solve}), and
 * {@code /torchmath/torch-1.13-linalg-solve.json} (made by {@code tools/reference/torch_linalg_solve_cases.py}).
 */
class TorchLinalgTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode read(String resource) throws IOException {
        try (InputStream in = TorchLinalgTest.class.getResourceAsStream(resource)) {
            return MAPPER.readTree(in);
        }
    }

    private static float[] floatsOf(JsonNode bits) {
        float[] out = new float[bits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.intBitsToFloat(bits.get(i).asInt());
        }
        return out;
    }

    private static float[][] matrix(float[] rowMajor, int n) {
        float[][] a = new float[n][];
        for (int i = 0; i < n; i++) {
            a[i] = Arrays.copyOfRange(rowMajor, i * n, (i + 1) * n);
        }
        return a;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    @Test
    void everyUniPcSolveOfTheSamplerGoldens() throws IOException {
        JsonNode root = read("/golden/sampler-goldens.json");
        int calls = 0;
        int predictor = 0;
        for (JsonNode run : root.get("sampler_runs")) {
            for (JsonNode step : run.get("steps")) {
                JsonNode solves = step.get("linalg_solve");
                if (solves == null || solves.isNull()) {
                    continue;
                }
                for (JsonNode call : solves) {
                    int n = call.get("A").get("shape").get(0).asInt();
                    float[][] a = matrix(floatsOf(call.get("A").get("bits")), n);
                    float[] b = floatsOf(call.get("B").get("bits"));
                    float[] x = floatsOf(call.get("X").get("bits"));
                    // The corrector solves R, whose last column is rks[-1]^p = 1 (a fresh, contiguous stack);
                    // the predictor solves the view R[:-1, :-1], which drops that column.
                    boolean corrector = true;
                    for (float[] row : a) {
                        corrector &= row[n - 1] == 1f;
                    }
                    Layout layout = corrector ? Layout.CONTIGUOUS : Layout.NON_CONTIGUOUS;
                    predictor += corrector ? 0 : 1;
                    String where = run.get("name").asText() + " step " + step.get("i").asInt();
                    assertArrayEquals(bits(x), bits(TorchLinalg.solve(a, b, layout)),
                            () -> where + ": A " + Arrays.deepToString(a) + ", b " + Arrays.toString(b));
                    calls++;
                }
            }
        }
        assertEquals(294, calls, "UniPC solve calls in the sampler goldens");
        assertTrue(predictor > 20, "predictor (non-contiguous) calls: " + predictor);
    }

    @Test
    void torchReferenceCases() throws IOException {
        JsonNode root = read("/torchmath/torch-1.13-linalg-solve.json");
        int solved = 0;
        int singular = 0;
        for (JsonNode c : root.get("cases")) {
            int n = c.get("n").asInt();
            float[][] a = matrix(floatsOf(c.get("a")), n);
            float[] b = floatsOf(c.get("b"));
            Layout layout = c.get("layout").asText().equals("contiguous") ? Layout.CONTIGUOUS : Layout.NON_CONTIGUOUS;
            if (c.has("singular")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> TorchLinalg.solve(a, b, layout), () -> "torch raised for " + Arrays.deepToString(a));
                assertTrue(e.getMessage().contains("singular"), e.getMessage());
                singular++;
            } else {
                float[] x = floatsOf(c.get("x"));
                assertArrayEquals(bits(x), bits(TorchLinalg.solve(a, b, layout)),
                        () -> layout + " A " + Arrays.deepToString(a) + ", b " + Arrays.toString(b) + ", torch "
                                + Arrays.toString(x));
                solved++;
            }
        }
        assertTrue(solved > 1400 && singular > 5, solved + " solved, " + singular + " singular");
    }

    @Test
    void theLayoutsRoundDifferently() throws IOException {
        // why the caller must say which tensor it had: torch's two paths disagree on some golden calls
        JsonNode root = read("/golden/sampler-goldens.json");
        int differ = 0;
        for (JsonNode run : root.get("sampler_runs")) {
            for (JsonNode step : run.get("steps")) {
                JsonNode solves = step.get("linalg_solve");
                for (JsonNode call : solves == null ? MAPPER.createArrayNode() : solves) {
                    int n = call.get("A").get("shape").get(0).asInt();
                    float[][] a = matrix(floatsOf(call.get("A").get("bits")), n);
                    float[] b = floatsOf(call.get("B").get("bits"));
                    differ += Arrays.equals(bits(TorchLinalg.solve(a, b, Layout.CONTIGUOUS)),
                            bits(TorchLinalg.solve(a, b, Layout.NON_CONTIGUOUS))) ? 0 : 1;
                }
            }
        }
        assertTrue(differ > 50, differ + " golden calls differ between the layouts");
    }

    @Test
    void scalingTheRightHandSideByAPowerOfTwoScalesTheSolutionExactly() {
        // every operation on b (dots, reciprocal-free divisions, axpys, swaps) commutes with an exact power-of-two
        // scale while nothing under- or overflows, in torch's arithmetic as in any IEEE arithmetic
        qt().forAll(integers().between(1, TorchLinalg.MAX_SIZE), longs().all(), integers().between(-20, 20))
                .checkAssert((n, seed, exponent) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    float[][] a = new float[n][n];
                    float[] b = new float[n];
                    for (int i = 0; i < n; i++) {
                        b[i] = (float) (random.nextDouble(-1, 1));
                        for (int j = 0; j < n; j++) {
                            a[i][j] = (float) (random.nextDouble(-1, 1) + (i == j ? 2 : 0));
                        }
                    }
                    float scale = Math.scalb(1f, exponent);
                    float[] scaled = new float[n];
                    for (int i = 0; i < n; i++) {
                        scaled[i] = b[i] * scale;
                    }
                    for (Layout layout : Layout.values()) {
                        float[] x = TorchLinalg.solve(a, b, layout);
                        float[] y = TorchLinalg.solve(a, scaled, layout);
                        for (int i = 0; i < n; i++) {
                            assertEquals(Float.floatToRawIntBits(x[i] * scale), Float.floatToRawIntBits(y[i]),
                                    layout + " element " + i);
                        }
                    }
                });
    }

    @Test
    void oneByOneIsOneDivision() {
        // torch's 1x1 solve: both paths reduce to b / a (checked against torch in the reference cases)
        qt().forAll(floats().between(-1e6f, 1e6f), floats().between(-1e6f, 1e6f)).checkAssert((a, b) -> {
            if (a == 0f) {
                return;
            }
            for (Layout layout : Layout.values()) {
                assertEquals(Float.floatToRawIntBits(b / a),
                        Float.floatToRawIntBits(TorchLinalg.solve(new float[][] {{a}}, new float[] {b}, layout)[0]));
            }
        });
    }

    @Test
    void badSystemsAreRejectedNamingTheArgument() {
        float[][] identity = {{1f, 0f}, {0f, 1f}};
        float[] b = {1f, 2f};
        assertMessage("layout: null", () -> TorchLinalg.solve(identity, b, null));
        assertMessage("a: null", () -> TorchLinalg.solve(null, b, Layout.CONTIGUOUS));
        assertMessage("a: 0 rows", () -> TorchLinalg.solve(new float[0][], new float[0], Layout.CONTIGUOUS));
        assertMessage("a: 5 rows (accepted: 1 to 4)",
                () -> TorchLinalg.solve(new float[5][5], new float[5], Layout.CONTIGUOUS));
        assertMessage("a: row 1 has 3 entries",
                () -> TorchLinalg.solve(new float[][] {{1f, 0f}, {0f, 1f, 0f}}, b, Layout.CONTIGUOUS));
        assertMessage("b: length 3 (expected length 2",
                () -> TorchLinalg.solve(identity, new float[3], Layout.NON_CONTIGUOUS));
        assertMessage("b: null", () -> TorchLinalg.solve(identity, null, Layout.NON_CONTIGUOUS));
        assertMessage("a: entry [0, 1] is NaN",
                () -> TorchLinalg.solve(new float[][] {{1f, Float.NaN}, {0f, 1f}}, b, Layout.CONTIGUOUS));
        assertMessage("b: entry [1] is Infinity",
                () -> TorchLinalg.solve(identity, new float[] {0f, Float.POSITIVE_INFINITY}, Layout.CONTIGUOUS));
        assertMessage("singular", () -> TorchLinalg.solve(new float[][] {{1f, 2f}, {2f, 4f}}, b, Layout.CONTIGUOUS));
        assertMessage("singular", () -> TorchLinalg.solve(new float[2][2], b, Layout.NON_CONTIGUOUS));
    }

    @Test
    void theArgumentsAreNotModified() {
        float[][] a = {{2f, 1f, 0.5f}, {1f, 3f, 1f}, {0.25f, 1f, 4f}};
        float[] b = {1f, 2f, 3f};
        float[][] aCopy = {a[0].clone(), a[1].clone(), a[2].clone()};
        float[] bCopy = b.clone();
        for (Layout layout : Layout.values()) {
            TorchLinalg.solve(a, b, layout);
            assertTrue(Arrays.deepEquals(aCopy, a) && Arrays.equals(bCopy, b));
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    }
}

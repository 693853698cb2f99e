package dev.flowmatch.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bit-exact against MLX 0.31.2's CPU {@code random.normal}: the {@code mlx_normal} cases of the golden file, and
 * {@code reference/mlx-normal-hashes.json} ({@code tools/reference/mlx_normal_reference.c}: Ollama's latent shapes
 * for 1024x1024, 1000x1000 and 1280x768, 64-bit seeds, hashed).
 */
class MlxRandomGoldenTest {
    record Case(long seed, Shape shape, DType dtype, int[] bits) {
        @Override
        public String toString() {
            return "seed=" + Long.toUnsignedString(seed) + " " + shape + " " + dtype.torchName();
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (JsonNode n : Goldens.bundled("mlx-noise-goldens.json").root().get("mlx_normal")) {
            out.add(new Case(n.get("seed").bigIntegerValue().longValue(), Shape.of(Goldens.longs(n.get("shape"))),
                    DType.parse(n.get("dtype").asText()), Goldens.ints(n.get("bits"))));
        }
        return out;
    }

    record Hashed(long seed, Shape shape, DType dtype, String fnv1a64, int[] first) {
        @Override
        public String toString() {
            return "seed=" + Long.toUnsignedString(seed) + " " + shape + " " + dtype.torchName();
        }
    }

    static List<Hashed> hashed() throws java.io.IOException {
        List<Hashed> out = new ArrayList<>();
        try (java.io.InputStream in = MlxRandomGoldenTest.class.getResourceAsStream("/reference/mlx-normal-hashes.json")) {
            for (JsonNode n : new com.fasterxml.jackson.databind.ObjectMapper().readTree(in).get("mlx_normal_hashes")) {
                out.add(new Hashed(n.get("seed").bigIntegerValue().longValue(), Shape.of(Goldens.longs(n.get("shape"))),
                        DType.parse(n.get("dtype").asText()), n.get("fnv1a64").asText(), Goldens.ints(n.get("first"))));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hashed")
    void matchesMlxOnOllamasShapes(Hashed c) {
        int[] bits = MlxRandom.normalBits(c.seed(), c.shape(), c.dtype());
        assertArrayEquals(c.first(), java.util.Arrays.copyOf(bits, c.first().length), c::toString);
        long hash = 0xcbf29ce484222325L;
        for (int b : bits) {
            hash = (hash ^ Integer.toUnsignedLong(b)) * 0x100000001b3L;
        }
        org.junit.jupiter.api.Assertions.assertEquals(c.fnv1a64(), String.format("%016x", hash), c::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMlx(Case c) {
        assertArrayEquals(c.bits(), MlxRandom.normalBits(c.seed(), c.shape(), c.dtype()), c::toString);
    }
}

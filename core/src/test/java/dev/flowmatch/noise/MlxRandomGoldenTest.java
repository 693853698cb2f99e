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

/** Bit-exact against MLX 0.31.2's CPU {@code random.normal}: the {@code mlx_normal} cases of the golden file. */
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesMlx(Case c) {
        assertArrayEquals(c.bits(), MlxRandom.normalBits(c.seed(), c.shape(), c.dtype()), c::toString);
    }
}

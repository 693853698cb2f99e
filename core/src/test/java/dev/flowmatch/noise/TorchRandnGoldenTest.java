package dev.flowmatch.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.golden.Goldens;
import dev.flowmatch.golden.Goldens.RandnCase;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code torch_randn} golden cases (torch 1.13 CPU), bit for bit. */
class TorchRandnGoldenTest {

    static List<RandnCase> cases() {
        return Goldens.bundled().torchRandn();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(RandnCase c) {
        TorchGenerator g = new TorchGenerator(c.seed(), TorchBuild.parse(c.cpuCapability(), "torch 1.13"));
        int[] bits = g.randnBits(c.shape(), c.dtype());
        assertEquals(c.expected().shape(), c.shape());
        assertArrayEquals(c.expected().bits(), bits, () -> c + " differs");
    }
}

package dev.flowmatch.convention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Bit-exact against torch 1.13's {@code torch.linspace} under both CPU kernels (tools/reference/torch_conventions.py). */
class TorchLinspaceTest {
    record Case(float start, float end, int steps, TorchCpuKernel kernel, int[] bits) {
        @Override
        public String toString() {
            return "linspace(" + start + ", " + end + ", " + steps + ") " + kernel;
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (JsonNode n : ReferenceData.torchConventions().get("torch_linspace")) {
            float start = (float) n.get("start").asDouble();
            float end = (float) n.get("end").asDouble();
            int steps = n.get("steps").asInt();
            out.add(new Case(start, end, steps, TorchCpuKernel.AVX2, Goldens.ints(n.get("bits_avx2"))));
            out.add(new Case(start, end, steps, TorchCpuKernel.DEFAULT, Goldens.ints(n.get("bits_default"))));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch113(Case c) {
        float[] values = TorchLinspace.linspace(c.start(), c.end(), c.steps(),
                new TorchBuild(c.kernel(), TorchRelease.TORCH_1_13));
        int[] bits = new int[values.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        assertArrayEquals(c.bits(), bits, c::toString);
    }
}

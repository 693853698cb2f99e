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

/**
 * Bit-exact against {@code torch.linspace} under both CPU kernels: torch 1.13 ({@code tools/reference/torch_conventions.py})
 * and libtorch 2.7.1 ({@code tools/reference/TorchLinspaceReference.java}).
 */
class TorchLinspaceTest {
    record Case(float start, float end, int steps, TorchBuild build, int[] bits) {
        @Override
        public String toString() {
            return "linspace(" + start + ", " + end + ", " + steps + ") " + build.kernel() + " " + build.release();
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (JsonNode n : ReferenceData.torchConventions().get("torch_linspace")) {
            float start = (float) n.get("start").asDouble();
            float end = (float) n.get("end").asDouble();
            int steps = n.get("steps").asInt();
            out.add(new Case(start, end, steps, new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_1_13),
                    Goldens.ints(n.get("bits_avx2"))));
            out.add(new Case(start, end, steps, new TorchBuild(TorchCpuKernel.DEFAULT, TorchRelease.TORCH_1_13),
                    Goldens.ints(n.get("bits_default"))));
        }
        for (TorchCpuKernel kernel : TorchCpuKernel.values()) {
            JsonNode file = ReferenceData.torch27Linspace(kernel);
            for (JsonNode n : file.get("torch_linspace")) {
                out.add(new Case((float) n.get("start").asDouble(), (float) n.get("end").asDouble(),
                        n.get("steps").asInt(), new TorchBuild(kernel, TorchRelease.TORCH_2_7),
                        Goldens.ints(n.get("bits"))));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(Case c) {
        float[] values = TorchLinspace.linspace(c.start(), c.end(), c.steps(), c.build());
        int[] bits = new int[values.length];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        assertArrayEquals(c.bits(), bits, c::toString);
    }
}

package dev.flowmatch.convention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.schedule.ImageSize;
import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.noise.TorchRelease;
import dev.flowmatch.schedule.Flux2;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ComfyUI's Flux2Scheduler node and simple scheduler over ModelSamplingFlux, against ComfyUI's code under torch
 * 1.13 (both CPU kernels): the {@code comfyui_*} sections of {@code conventions-goldens.json} and of
 * {@code reference/torch-conventions.json} ({@code tools/reference/torch_conventions.py}).
 */
class ComfyUiScheduleGoldenTest {
    private static final TorchBuild AVX2 = new TorchBuild(TorchCpuKernel.AVX2, TorchRelease.TORCH_1_13);
    private static final TorchBuild DEFAULT = new TorchBuild(TorchCpuKernel.DEFAULT, TorchRelease.TORCH_1_13);

    record Case(String file, JsonNode node) {
        @Override
        public String toString() {
            return file + ": " + node.path("name").asText();
        }
    }

    static List<Case> flux2() {
        return cases("comfyui_flux2_scheduler");
    }

    static List<Case> simple() {
        return cases("comfyui_simple_flux");
    }

    private static List<Case> cases(String section) {
        List<Case> out = new ArrayList<>();
        for (JsonNode n : Goldens.bundled("conventions-goldens.json").root().path(section)) {
            out.add(new Case("conventions-goldens.json", n));
        }
        for (JsonNode n : ReferenceData.torchConventions().path(section)) {
            out.add(new Case("torch-conventions.json", n));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flux2")
    void flux2Scheduler(Case c) {
        JsonNode n = c.node();
        int steps = n.get("steps").asInt();
        ImageSize size = ImageSize.of(n.get("height").asInt(), n.get("width").asInt());
        int seqLen = ComfyUiSchedule.imageSeqLen(size);
        assertEquals(n.get("image_seq_len").asInt(), seqLen, "image_seq_len");
        assertEquals(n.get("mu").asDouble(), Flux2.computeEmpiricalMu(seqLen, steps), 0.0, "mu");
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits")),
                bits(ComfyUiSchedule.flux2Scheduler(steps, size, AVX2).sigmas()), "sigmas (avx2)");
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits_default_kernel")),
                bits(ComfyUiSchedule.flux2Scheduler(steps, size, DEFAULT).sigmas()), "sigmas (default)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("simple")
    void simpleScheduler(Case c) {
        JsonNode n = c.node();
        double shift = n.get("shift").asDouble();
        int steps = n.get("steps").asInt();
        assertEquals(ComfyUiSchedule.MODEL_SAMPLING_TABLE_SIZE, n.get("table_size").asInt());
        if (n.has("table_indices")) {
            assertArrayEquals(Goldens.ints(n.get("table_indices")),
                    ComfyUiSchedule.simpleIndices(ComfyUiSchedule.MODEL_SAMPLING_TABLE_SIZE, steps), "indices");
        }
        if (n.has("table_bits")) {
            assertArrayEquals(Goldens.ints(n.get("table_bits")),
                    bits(ComfyUiSchedule.modelSamplingFluxSigmas(shift)), "ModelSamplingFlux sigmas");
        }
        int[] sigmas = bits(ComfyUiSchedule.simpleFlux(shift, steps).sigmas());
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits")), sigmas, "sigmas (avx2)");
        assertArrayEquals(Goldens.ints(n.get("sigmas_bits_default_kernel")), sigmas, "sigmas (default)");
    }

    static int[] bits(float[] values) {
        return OllamaScheduleGoldenTest.bits(values);
    }
}

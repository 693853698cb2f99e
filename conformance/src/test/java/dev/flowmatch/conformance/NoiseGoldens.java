package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.golden.Goldens;
import dev.flowmatch.noise.Flux2Latents;
import dev.flowmatch.noise.Noise;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;

/**
 * The noise sections of the golden files: torch's CPU randn and FLUX.2's packed latents, drawn in core and
 * placed on each backend. The torch build that drew a case comes from the case ({@code torch_cpu_capability})
 * and the file ({@code source}, its torch version): float16 noise changed in torch 2.1.
 */
final class NoiseGoldens {
    private NoiseGoldens() {}

    static void randn(Goldens.GoldenFile file, Goldens.RandnCase c, TensorBackend backend) {
        TorchBuild build = TorchBuild.parse(c.cpuCapability(), source(file));
        try (Tensor noise = Noise.initNoise(backend, c.shape(), c.seed(), c.dtype(), build)) {
            assertEquals(c.expected().shape(), noise.shape());
            assertEquals(c.expected().dtype(), noise.dtype());
            assertArrayEquals(c.expected().bits(), backend.toBits(noise));
        }
    }

    static void latents(Goldens.GoldenFile file, Goldens.LatentsCase c, TensorBackend backend) {
        TorchBuild build = TorchBuild.parse(c.cpuCapability(), source(file));
        try (Tensor latents = Flux2Latents.initLatents(backend, c.batch(), c.size(), c.seed(), c.dtype(), build)) {
            assertEquals(c.expected().shape(), latents.shape());
            assertArrayEquals(c.expected().bits(), backend.toBits(latents));
        }
    }

    private static String source(Goldens.GoldenFile file) {
        return file.root().path("source").asText("");
    }
}

package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import dev.flowmatch.golden.Goldens;
import dev.flowmatch.tensor.TensorBackend;

/** The noise sections of the golden files: torch's CPU randn and FLUX.2's packed latents. */
final class NoiseGoldens {
    private NoiseGoldens() {}

    static void randn(Goldens.RandnCase c, TensorBackend backend) {
        fail("torch_randn: not implemented yet");
    }

    static void latents(Goldens.LatentsCase c, TensorBackend backend) {
        fail("flux2_latents: not implemented yet");
    }
}

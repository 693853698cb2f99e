package dev.flowmatch.convention;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Reference data generated with the scripts under {@code tools/reference/} (torch, ComfyUI's and diffusers'
 * code; never flowmatch), read once.
 */
final class ReferenceData {
    private static JsonNode torchConventions;

    private ReferenceData() {}

    /** {@code reference/torch-conventions.json} ({@code tools/reference/torch_conventions.py}). */
    static synchronized JsonNode torchConventions() {
        if (torchConventions == null) {
            torchConventions = read("/reference/torch-conventions.json");
        }
        return torchConventions;
    }

    /** {@code reference/torch-2.7-linspace-KERNEL.json} ({@code tools/reference/TorchLinspaceReference.java}). */
    static JsonNode torch27Linspace(dev.flowmatch.noise.TorchCpuKernel kernel) {
        return read("/reference/torch-2.7-linspace-" + kernel.name().toLowerCase(java.util.Locale.ROOT) + ".json");
    }

    private static JsonNode read(String resource) {
        try (InputStream in = ReferenceData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(resource, e);
        }
    }
}

package dev.flowmatch.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.golden.Goldens.LatentsCase;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** FLUX.2 initial latents: diffusers' {@code prepare_latents} + {@code _pack_latents}. */
class Flux2LatentsTest {
    private final JavaBackend backend = new JavaBackend();

    static List<LatentsCase> cases() {
        return Goldens.bundled().flux2Latents();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesThePipelinesPackedLatents(LatentsCase c) {
        TorchBuild build = TorchBuild.parse(c.cpuCapability(), Goldens.bundled().root().path("source").asText());
        try (Tensor t = Flux2Latents.initLatents(backend, c.batch(), c.size(), c.seed(), c.dtype(), build)) {
            assertEquals(c.expected().shape(), t.shape());
            assertEquals(c.dtype(), t.dtype());
            assertArrayEquals(c.expected().bits(), backend.toBits(t), () -> c + " differs");
        }
    }

    /**
     * Non-square images (the golden file's are square): reference latents made by diffusers' prepare_latents
     * and _pack_latents, reproduced with torch 1.13 by tools/reference/flux2_nonsquare_latents.py.
     */
    static List<Arguments> nonSquareCases() throws IOException {
        try (InputStream in = Flux2LatentsTest.class.getResourceAsStream("/reference/flux2-nonsquare-latents.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Arguments> cases = new ArrayList<>();
            for (JsonNode n : root.get("flux2_latents")) {
                LatentsCase c = LatentsCase.of(n);
                cases.add(Arguments.of(c, TorchBuild.parse(c.cpuCapability(), root.get("source").asText())));
            }
            return cases;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonSquareCases")
    void nonSquareImagesMatchThePipeline(LatentsCase c, TorchBuild build) {
        assertNotEquals(c.height() / 16, c.width() / 16, "a non-square case");
        try (Tensor t = Flux2Latents.initLatents(backend, c.batch(), c.size(), c.seed(), c.dtype(), build)) {
            assertEquals(c.expected().shape(), t.shape());
            assertArrayEquals(c.expected().bits(), backend.toBits(t), () -> c + " differs");
        }
        // Packed latents hold the same values for a swapped size (randn fills [B, 128, h, w] in one flat order);
        // what a swap changes is the grid the tokens stand for, which the unpacked shape shows.
        Shape drawn = Flux2Latents.noiseShape(c.batch(), c.size());
        assertEquals(c.height() / 16, drawn.dim(2));
        assertEquals(c.width() / 16, drawn.dim(3));
        assertNotEquals(drawn, Flux2Latents.noiseShape(c.batch(), ImageSize.of(c.width(), c.height())));
    }

    @Test
    void shapesFollowThePipeline() {
        // [B, 128, H // 16, W // 16]: height first, as diffusers' prepare_latents
        assertEquals(Shape.of(2, 128, 64, 48), Flux2Latents.noiseShape(2, ImageSize.of(1024, 768)));
        assertEquals(Shape.of(2, 64 * 48, 128), Flux2Latents.packedShape(2, ImageSize.of(1024, 768)));
        // height // 16 and width // 16, rounding down as 2 * (H // (8 * 2)) // 2 does
        assertEquals(Shape.of(1, 128, 1, 2), Flux2Latents.noiseShape(1, ImageSize.of(31, 47)));
        assertThrows(IllegalArgumentException.class, () -> Flux2Latents.noiseShape(1, ImageSize.of(64, 15)));
        assertThrows(IllegalArgumentException.class, () -> Flux2Latents.packedShape(1, ImageSize.of(0, 64)));
        assertThrows(IllegalArgumentException.class, () -> Flux2Latents.noiseShape(0, ImageSize.square(64)));
    }

    @Test
    void packIsReshapeThenPermute() {
        Shape noise = Shape.of(2, 3, 2, 5);
        int[] in = new int[60];
        for (int i = 0; i < in.length; i++) {
            in[i] = i;
        }
        int[] out = Flux2Latents.pack(in, noise);
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int x = 0; x < 5; x++) {
                        int p = y * 5 + x;
                        assertEquals(in[((b * 3 + c) * 2 + y) * 5 + x], out[(b * 10 + p) * 3 + c]);
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Flux2Latents.pack(new int[5], noise));
        assertThrows(IllegalArgumentException.class, () -> Flux2Latents.pack(new int[6], Shape.of(2, 3)));
    }

    @Test
    void aBatchIsOneDrawFromOneGenerator() {
        Shape noise = Flux2Latents.noiseShape(3, ImageSize.of(32, 64));
        int[] whole = new TorchGenerator(7).randnBits(noise, DType.BFLOAT16);
        try (Tensor t = Flux2Latents.initLatents(backend, 3, ImageSize.of(32, 64), 7, DType.BFLOAT16)) {
            assertArrayEquals(Flux2Latents.pack(whole, noise), backend.toBits(t));
        }
    }

    @Test
    void aGeneratorListDrawsEachSampleAlone() {
        long[] seeds = {5, -1, 1L << 40};
        try (Tensor t = Flux2Latents.initLatentsPerSample(backend, ImageSize.of(48, 32), seeds, DType.FLOAT32,
                TorchBuild.STANDARD)) {
            int[] all = backend.toBits(t);
            int per = all.length / seeds.length;
            for (int i = 0; i < seeds.length; i++) {
                try (Tensor one = Flux2Latents.initLatents(backend, 1, ImageSize.of(48, 32), seeds[i], DType.FLOAT32)) {
                    int[] expected = backend.toBits(one);
                    int[] actual = java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per);
                    assertArrayEquals(expected, actual, "sample " + i);
                }
            }
        }
    }

    @Test
    void continuesAGivenGenerator() {
        TorchGenerator g = new TorchGenerator(11);
        TorchGenerator same = g.copy();
        try (Tensor first = Flux2Latents.initLatents(backend, 1, ImageSize.square(32), DType.FLOAT16, g);
             Tensor second = Flux2Latents.initLatents(backend, 1, ImageSize.square(32), DType.FLOAT16, g)) {
            Shape noise = Flux2Latents.noiseShape(1, ImageSize.square(32));
            assertArrayEquals(Flux2Latents.pack(same.randnBits(noise, DType.FLOAT16), noise), backend.toBits(first));
            assertArrayEquals(Flux2Latents.pack(same.randnBits(noise, DType.FLOAT16), noise), backend.toBits(second));
        }
    }

    @Test
    void nativeNeedsABackendGenerator() {
        assertThrows(UnsupportedOperationException.class,
                () -> Flux2Latents.initLatents(backend, 1, ImageSize.square(32), 1, DType.FLOAT32, NoiseGenerator.NATIVE));
    }
}

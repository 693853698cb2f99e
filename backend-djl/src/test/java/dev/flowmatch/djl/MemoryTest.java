package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 10,000 float32 steps and 1,000 bfloat16 steps (the TorchScript kernels) on a FLUX.2 latent leave no native memory
 * behind (a measurement of growth, not of time).
 */
class MemoryTest {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final DjlBackend DJL = DjlBackend.instance();

    @Test
    void tenThousandStepsOnALatentGrowResidentMemoryByLessThan50MB() throws IOException {
        assumeTrue(Files.isReadable(STATUS), "needs /proc/self/status (Linux)");
        Shape latent = Shape.of(1, 4096, 128);
        float[] values = new float[latent.numelAsInt()];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) TestData.nextGaussian(random);
        }
        AffineSpec spec = AffineSpec.float32(DType.FLOAT32);
        try (Tensor velocity = DJL.fromFloats(values, DType.FLOAT32, latent)) {
            Tensor x = DJL.fromFloats(values, DType.FLOAT32, latent);
            x = steps(x, velocity, spec, 500); // warm-up: JIT, PyTorch's allocator, DJL's caches
            long before = residentKb();
            x = steps(x, velocity, spec, 10_000);
            long after = residentKb();
            x.close();
            long growthKb = after - before;
            System.out.printf("djl memory: VmRSS %d kB after warm-up, %d kB after 10,000 steps: %+d kB%n",
                    before, after, growthKb);
            assertTrue(growthKb < 50 * 1024, "resident memory grew by " + growthKb + " kB over 10,000 steps");
        }
    }

    @Test
    void aThousandBfloat16StepsGrowResidentMemoryByLessThan50MB() throws IOException {
        assumeTrue(Files.isReadable(STATUS), "needs /proc/self/status (Linux)");
        Shape latent = Shape.of(1, 4096, 128);
        float[] values = new float[latent.numelAsInt()];
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) TestData.nextGaussian(random);
        }
        AffineSpec spec = new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16);
        try (Tensor velocity = DJL.fromFloats(values, DType.BFLOAT16, latent)) {
            Tensor x = DJL.fromFloats(values, DType.BFLOAT16, latent);
            x = steps(x, velocity, spec, 200);
            long before = residentKb();
            x = steps(x, velocity, spec, 1_000);
            long after = residentKb();
            x.close();
            long growthKb = after - before;
            System.out.printf("djl memory (bfloat16): VmRSS %d kB after warm-up, %d kB after 1,000 steps: %+d kB%n",
                    before, after, growthKb);
            assertTrue(growthKb < 50 * 1024, "resident memory grew by " + growthKb + " kB over 1,000 steps");
        }
    }

    private static Tensor steps(Tensor x, Tensor velocity, AffineSpec spec, int count) {
        for (int i = 0; i < count; i++) {
            float dt = -1f / (i % 50 + 1);
            Tensor next = DJL.affine(1f, x, dt, velocity, spec);
            x.close();
            x = next;
        }
        return x;
    }

    private static long residentKb() throws IOException {
        System.gc();
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in " + STATUS);
    }
}

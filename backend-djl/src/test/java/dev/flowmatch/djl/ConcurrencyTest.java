package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One backend instance serves many threads reading the same tensors (the SPI's thread-safety contract). */
class ConcurrencyTest {
    private static final DjlBackend DJL = DjlBackend.instance();
    private static final JavaBackend JAVA = new JavaBackend();

    @Test
    void concurrentCallsOnSharedTensorsGiveTheReferenceResult() throws Exception {
        Shape shape = Shape.of(8, 512);
        SplittableRandom random = new SplittableRandom(99);
        int[] xBits = TestData.bits(DType.BFLOAT16, shape.numelAsInt(), random);
        int[] yBits = TestData.bits(DType.FLOAT16, shape.numelAsInt(), random);
        AffineSpec[] specs = {
            new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16),
            new AffineSpec(DType.FLOAT16, DType.FLOAT16, DType.FLOAT16, DType.FLOAT16),
            AffineSpec.float32(DType.FLOAT32),
        };
        List<int[]> expected = new ArrayList<>();
        try (Tensor jx = JAVA.fromBits(xBits, DType.BFLOAT16, shape);
             Tensor jy = JAVA.fromBits(yBits, DType.FLOAT16, shape)) {
            for (AffineSpec spec : specs) {
                try (Tensor r = JAVA.affine(0.75f, jx, -0.0625f, jy, spec)) {
                    expected.add(JAVA.toBits(r));
                }
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Tensor x = DJL.fromBits(xBits, DType.BFLOAT16, shape);
             Tensor y = DJL.fromBits(yBits, DType.FLOAT16, shape)) {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        int s = (first + i) % specs.length;
                        try (Tensor r = DJL.affine(0.75f, x, -0.0625f, y, specs[s])) {
                            String difference = TestData.firstDifference(specs[s].out(), expected.get(s), DJL.toBits(r));
                            if (difference != null) {
                                return specs[s] + ": " + difference;
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<String> result : results) {
                assertEquals(null, result.get());
            }
            assertArrayEquals(xBits, DJL.toBits(x), "inputs unchanged");
        } finally {
            pool.shutdownNow();
        }
    }
}

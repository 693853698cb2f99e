package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

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

/** One backend instance serves every thread: concurrent steps on platform and virtual threads stay exact. */
class MlxConcurrencyTest {

    @Test
    void concurrentStepsEqualTheReference() throws Exception {
        MlxBackend mlx = MlxTests.backend();
        JavaBackend java = MlxTests.reference();
        Shape shape = Shape.of(1, 64, 128);
        for (ExecutorService pool : List.of(Executors.newFixedThreadPool(4), Executors.newVirtualThreadPerTaskExecutor())) {
            try (pool) {
                List<Future<?>> done = new ArrayList<>();
                for (int task = 0; task < 8; task++) {
                    long seed = task;
                    done.add(pool.submit(() -> {
                        SplittableRandom random = new SplittableRandom(seed);
                        DType dtype = DType.values()[random.nextInt(3)];
                        AffineSpec spec = new AffineSpec(DType.FLOAT32, dtype, DType.FLOAT32, dtype);
                        float[] x = MlxAffinePropertiesTest.values(random, shape.numelAsInt());
                        float[] v = MlxAffinePropertiesTest.values(random, shape.numelAsInt());
                        try (Tensor mv = mlx.fromFloats(v, dtype, shape); Tensor jv = java.fromFloats(v, dtype, shape)) {
                            Tensor mx = mlx.fromFloats(x, dtype, shape);
                            Tensor jx = java.fromFloats(x, dtype, shape);
                            for (int step = 0; step < 20; step++) {
                                float dt = -0.05f * (1 + step % 3);
                                Tensor mn = mlx.affine(1f, mx, dt, mv, spec);
                                Tensor jn = java.affine(1f, jx, dt, jv, spec);
                                mx.close();
                                jx.close();
                                mx = mn;
                                jx = jn;
                            }
                            int[] expected = java.toBits(jx);
                            int[] actual = mlx.toBits(mx);
                            mx.close();
                            jx.close();
                            MlxConversionsTest.assertSameExceptArithmeticNaNs(expected, actual, dtype, "task " + seed);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
        }
    }
}

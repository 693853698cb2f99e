package dev.flowmatch.mlx;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Wrapping arrays that already live in MLX (a model's output) without a copy, and handing a result's handle
 * to the caller's own MLX code. "The model" here is plain mlx-c calls through the same library.
 */
class MlxInteropTest {

    /** An array made by "the model": {@code [0, 1, 2, ...]} as float32, evaluated. The caller owns it. */
    private static MemorySegment modelOutput(MlxRuntime runtime, int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) {
                data.setAtIndex(JAVA_FLOAT, i, i);
            }
            MemorySegment dims = arena.allocate(JAVA_INT, shape.length);
            MemorySegment.copy(shape, 0, dims, JAVA_INT, 0, shape.length);
            runtime.lock.lock();
            try {
                MemorySegment array = runtime.c.arrayNewData(data, dims, shape.length, MlxC.MLX_FLOAT32);
                runtime.c.eval(array);
                return array;
            } finally {
                runtime.lock.unlock();
            }
        }
    }

    private static MemorySegment dataPointer(MlxRuntime runtime, MemorySegment array) {
        runtime.lock.lock();
        try {
            runtime.c.eval(array);
            return runtime.c.data(array, 4, 4);
        } finally {
            runtime.lock.unlock();
        }
    }

    @Test
    void wrapSharesTheArrayWithoutCopying() {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        MemorySegment model = modelOutput(runtime, new int[] {1, 64, 128});
        try {
            long before = mlx.memory().active();
            try (MlxTensor wrapped = mlx.wrap(model)) {
                assertEquals(Shape.of(1, 64, 128), wrapped.shape());
                assertEquals(DType.FLOAT32, wrapped.dtype());
                // same buffer: the data pointer of the tensor is the model's, and no memory was allocated
                assertEquals(dataPointer(runtime, model).address(), dataPointer(runtime, wrapped.handle()).address());
                assertEquals(before, mlx.memory().active());
                float[] values = mlx.toFloats(wrapped);
                for (int i = 0; i < values.length; i++) {
                    assertEquals(i, values[i]);
                }
            }
            // closing the tensor freed only its own reference: the model's handle still works
            runtime.lock.lock();
            try {
                assertArrayEquals(new long[] {1, 64, 128}, runtime.c.shape(model));
                assertEquals(8191f, runtime.c.data(model, 4, 4 * 8192L).getAtIndex(JAVA_FLOAT, 8191));
            } finally {
                runtime.lock.unlock();
            }
        } finally {
            runtime.free(model);
        }
    }

    @Test
    void wrapAStructSegmentLikeJextractMakes() {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        MemorySegment model = modelOutput(runtime, new int[] {3});
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = arena.allocate(ADDRESS);
            struct.set(ADDRESS, 0, model);
            try (MlxTensor t = mlx.wrapStruct(struct)) {
                assertArrayEquals(new float[] {0, 1, 2}, mlx.toFloats(t));
            }
        } finally {
            runtime.free(model);
        }
    }

    @Test
    void aResultsHandleFeedsTheCallersModel() {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        MemorySegment kept;
        try (Tensor x = mlx.fromFloats(new float[] {1, 2, 3}, DType.FLOAT32, Shape.of(3));
             Tensor v = mlx.fromFloats(new float[] {10, 20, 30}, DType.FLOAT32, Shape.of(3));
             MlxTensor step = (MlxTensor) mlx.affine(1f, x, 0.5f, v, AffineSpec.float32(DType.FLOAT32))) {
            // "the model" multiplies the (still lazy) latent by 2 in its own MLX code
            MemorySegment doubled;
            try (Graph g = runtime.graph()) {
                doubled = g.keep(g.multiply(step.handle(), g.scalar(2f)));
            }
            try (MlxTensor back = mlx.wrap(doubled)) {
                assertArrayEquals(new float[] {12, 24, 36}, mlx.toFloats(back));
            } finally {
                runtime.free(doubled);
            }
            kept = step.retainHandle();
        }
        // a retained handle outlives the tensor
        try (MlxTensor again = mlx.wrap(kept)) {
            assertArrayEquals(new float[] {6, 12, 18}, mlx.toFloats(again));
        } finally {
            runtime.free(kept);
        }
    }

    @Test
    void wrapRejectsEmptyHandlesAndOtherDtypes() {
        MlxBackend mlx = MlxTests.backend();
        MlxRuntime runtime = mlx.runtime();
        assertThrows(IllegalArgumentException.class, () -> mlx.wrap(MemorySegment.NULL));
        MemorySegment ints;
        try (Graph g = runtime.graph()) {
            ints = g.keep(g.astype(g.scalar(3f), 7 /* MLX_INT32 */));
        }
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mlx.wrap(ints));
            assertTrue(e.getMessage().contains("mlx_dtype 7"), e.getMessage());
        } finally {
            runtime.free(ints);
        }
    }

    @Test
    void handleOfAClosedTensorIsRefused() {
        MlxBackend mlx = MlxTests.backend();
        MlxTensor t = (MlxTensor) mlx.fromFloats(new float[] {1}, DType.FLOAT32, Shape.of(1));
        t.close();
        assertThrows(IllegalStateException.class, t::handle);
        assertThrows(IllegalStateException.class, t::retainHandle);
    }
}

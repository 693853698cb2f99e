package dev.flowmatch.javabackend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import org.junit.jupiter.api.Test;

class JavaBackendTest {
    private final JavaBackend backend = new JavaBackend();

    @Test
    void isDiscoveredAndAlwaysAvailable() {
        TensorBackend found = Backends.named("java");
        assertEquals("java", found.name());
        assertTrue(found.isAvailable());
        assertSame(found, Backends.named("JAVA"));
        assertTrue(Backends.report().contains("java (priority 50): available on cpu"), Backends.report());
    }

    @Test
    void unknownBackendErrorListsEveryBackend() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.named("tpu"));
        assertTrue(e.getMessage().contains("'tpu' was not found"), e.getMessage());
        // one short line per backend, the first line saying what is wrong
        String[] lines = e.getMessage().split("\\R");
        assertTrue(java.util.Arrays.asList(lines).contains("  java   available on cpu"), e.getMessage());
        for (String line : lines) {
            assertTrue(line.length() <= 80, () -> "a long line: " + line);
        }
    }

    @Test
    void selectionHonoursTheSystemProperty() {
        String old = System.getProperty(Backends.PROPERTY);
        try {
            System.setProperty(Backends.PROPERTY, "java");
            assertEquals("java", Backends.select().name());
            System.setProperty(Backends.PROPERTY, "nope");
            assertThrows(IllegalStateException.class, Backends::select);
        } finally {
            if (old == null) {
                System.clearProperty(Backends.PROPERTY);
            } else {
                System.setProperty(Backends.PROPERTY, old);
            }
        }
    }

    @Test
    void bitsRoundTripForEveryDtype() {
        int[] f32 = {0, 0x80000000, 0x7FC00001, 0x7F800000, 1, 0x3F800000};
        int[] h16 = {0, 0x8000, 0x7FC1, 0x7C00, 1, 0xFFFF};
        try (Tensor a = backend.fromBits(f32, DType.FLOAT32, Shape.of(2, 3));
             Tensor b = backend.fromBits(h16, DType.BFLOAT16, Shape.of(6));
             Tensor c = backend.fromBits(h16, DType.FLOAT16, Shape.of(3, 2))) {
            assertArrayEquals(f32, backend.toBits(a));
            assertArrayEquals(h16, backend.toBits(b));
            assertArrayEquals(h16, backend.toBits(c));
        }
    }

    @Test
    void fromFloatsRoundsAndConvertRoundsToNearestEven() {
        float[] values = {1.00390625f, 1.01171875f, 65520f, -0.0f};
        try (Tensor f32 = backend.fromFloats(values, DType.FLOAT32, Shape.of(4));
             Tensor bf = backend.convert(f32, DType.BFLOAT16);
             Tensor h = backend.convert(f32, DType.FLOAT16);
             Tensor direct = backend.fromFloats(values, DType.BFLOAT16, Shape.of(4))) {
            assertArrayEquals(new float[] {1f, 1.015625f, 65536f, -0.0f}, backend.toFloats(bf));
            assertArrayEquals(backend.toBits(bf), backend.toBits(direct));
            // 65520 is the float16 overflow threshold: it rounds to infinity.
            assertEquals(Float.POSITIVE_INFINITY, backend.toFloats(h)[2]);
        }
    }

    @Test
    void affineFollowsTheSpecOnEveryDtypeCombination() {
        float[] xs = {0.1f, -2.5f, 3.14159f, 1e-3f, 7.75f, -0.0f};
        float[] ys = {1.7f, 0.333f, -9.5f, 2e-4f, -0.125f, 5.5f};
        float a = 0.9f;
        float b = -0.0326f;
        for (DType dx : DType.values()) {
            for (DType dy : DType.values()) {
                for (DType px : DType.values()) {
                    for (DType py : DType.values()) {
                        for (DType out : DType.values()) {
                            AffineSpec spec = new AffineSpec(px, py, DType.promote(px, py), out);
                            try (Tensor x = backend.fromFloats(xs, dx, Shape.of(2, 3));
                                 Tensor y = backend.fromFloats(ys, dy, Shape.of(2, 3));
                                 Tensor r = backend.affine(a, x, b, y, spec)) {
                                float[] fx = backend.toFloats(x);
                                float[] fy = backend.toFloats(y);
                                float[] got = backend.toFloats(r);
                                assertEquals(out, r.dtype());
                                for (int i = 0; i < xs.length; i++) {
                                    assertEquals(spec.apply(a, fx[i], b, fy[i]), got[i], spec + " at " + i);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void badInputIsAClearError() {
        assertMessage(IllegalArgumentException.class, "3 values given for shape [2, 2]",
                () -> backend.fromFloats(new float[3], DType.FLOAT32, Shape.of(2, 2)));
        assertMessage(IllegalArgumentException.class, "not a 16-bit pattern",
                () -> backend.fromBits(new int[] {70000}, DType.BFLOAT16, Shape.of(1)));
        assertMessage(IllegalArgumentException.class, "dimension 1 is -2",
                () -> Shape.of(3, -2));
        try (Tensor a = backend.fromFloats(new float[4], DType.FLOAT32, Shape.of(4));
             Tensor b = backend.fromFloats(new float[4], DType.FLOAT32, Shape.of(2, 2))) {
            assertMessage(IllegalArgumentException.class, "x is [4] but y is [2, 2]",
                    () -> backend.affine(1, a, 1, b, AffineSpec.float32(DType.FLOAT32)));
            Tensor closed = backend.fromFloats(new float[4], DType.FLOAT32, Shape.of(4));
            closed.close();
            closed.close(); // idempotent
            assertMessage(IllegalStateException.class, "y: tensor [4] float32 on backend 'java' is closed",
                    () -> backend.affine(1, a, 1, closed, AffineSpec.float32(DType.FLOAT32)));
            assertMessage(IllegalStateException.class, "closed", () -> backend.toFloats(closed));
            JavaBackend other = new JavaBackend();
            assertMessage(IllegalArgumentException.class, "belongs to backend 'java' but was passed to backend 'java'",
                    () -> other.toBits(a));
        }
    }

    @Test
    void hugeShapesAreRejectedBeforeAllocating() {
        assertMessage(IllegalArgumentException.class, "elements, more than one Java array can hold",
                () -> backend.fromFloats(new float[0], DType.FLOAT32, Shape.of(65536, 65536)));
        assertMessage(IllegalArgumentException.class, "more elements than a long can count",
                () -> backend.fromFloats(new float[0], DType.FLOAT32, Shape.of(1L << 40, 1L << 40)));
    }

    @Test
    void wrapDoesNotCopy() {
        float[] data = {1, 2, 3};
        try (Tensor t = backend.wrapFloat32(data, Shape.of(3))) {
            data[1] = 42;
            assertEquals(42f, backend.toFloats(t)[1]);
        }
    }

    @Test
    void closedOutputsAreRecycledButWrappedArraysNeverAre() {
        int n = BufferPool.MIN_LENGTH * 2;
        float[] user = new float[n];
        java.util.Arrays.fill(user, 7f);
        Tensor wrapped = backend.wrapFloat32(user, Shape.of(n));
        wrapped.close();
        try (Tensor a = backend.fromFloats(new float[n], DType.FLOAT32, Shape.of(n));
             Tensor b = backend.affine(1f, a, 1f, a, AffineSpec.float32(DType.FLOAT32))) {
            // The user's array was not handed out: it still holds its values.
            assertEquals(7f, user[0]);
            assertEquals(7f, user[n - 1]);
            float[] before = backend.toFloats(b);
            b.close();
            // b's array goes back to the pool; the next result reuses it and overwrites every element.
            try (Tensor x = backend.fromFloats(filled(n, 1.5f), DType.FLOAT32, Shape.of(n));
                 Tensor c = backend.affine(2f, x, 0f, x, AffineSpec.float32(DType.FLOAT32))) {
                assertArrayEquals(filled(n, 3f), backend.toFloats(c));
                assertArrayEquals(new float[n], before);
            }
        }
    }

    @Test
    void largeTensorsSplitOverThreadsGiveTheSameBits() {
        int n = 4 * AffineKernels.MIN_STREAMING_PER_THREAD + 3; // large enough to split every loop, and odd
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        float[] xs = new float[n];
        float[] ys = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = (float) (random.nextDouble() * 8 - 4);
            ys[i] = (float) (random.nextDouble() * 8 - 4);
        }
        for (DType d : DType.values()) {
            AffineSpec spec = new AffineSpec(DType.FLOAT32, d, DType.FLOAT32, d);
            int[] split;
            int[] serial;
            try (Tensor x = backend.fromFloats(xs, d, Shape.of(n)); Tensor y = backend.fromFloats(ys, d, Shape.of(n))) {
                try (Tensor r = backend.affine(1f, x, -0.0326f, y, spec)) {
                    split = backend.toBits(r);
                }
                System.setProperty(AffineKernels.THREADS_PROPERTY, "1");
                try (Tensor r = backend.affine(1f, x, -0.0326f, y, spec)) {
                    serial = backend.toBits(r);
                } finally {
                    System.clearProperty(AffineKernels.THREADS_PROPERTY);
                }
                float[] fx = backend.toFloats(x);
                float[] fy = backend.toFloats(y);
                for (int i = 0; i < n; i += 9973) {
                    assertEquals(d.floatToBits(spec.apply(1f, fx[i], -0.0326f, fy[i])), split[i], d + " at " + i);
                }
            }
            assertArrayEquals(serial, split, d.toString());
        }
    }

    private static float[] filled(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    private static void assertMessage(Class<? extends Throwable> type, String expected,
                                      org.junit.jupiter.api.function.Executable call) {
        Throwable e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }
}

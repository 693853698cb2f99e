package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.BackendException;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DjlBackendTest {
    private static final DjlBackend DJL = DjlBackend.instance();
    private static final JavaBackend JAVA = new JavaBackend();

    // ----------------------------------------------------------------------------------- availability

    @Test
    void isDiscoveredAndAvailableOnTheCpuBelowTheJavaBackend() {
        Availability availability = DJL.availability();
        assertTrue(availability.available(), availability::describe);
        assertNull(availability.cause());
        TensorBackend found = Backends.named("djl");
        assertSame(DJL, found, "instance() is the ServiceLoader's instance");
        assertEquals("djl", found.name());
        assertFalse(DJL.fusesMultiplyAdd());
        if (DJL.device().isGpu()) {
            assertTrue(DJL.priority() >= 100);
            assertEquals("gpu:" + DJL.device().getDeviceId(), availability.device());
        } else {
            assertTrue(DJL.priority() < 50, "on a CPU the pure-Java backend (50) is preferred");
            assertEquals("cpu", availability.device());
            assertEquals("java", Backends.available().getFirst().name());
        }
        assertTrue(Backends.report().contains("djl (priority " + DJL.priority() + "): available on "),
                Backends.report());
        assertEquals("true", System.getProperty("ai.djl.offline"), "the backend runs DJL offline");
    }

    // ------------------------------------------------------------------------------------ round trips

    @Test
    void bitsRoundTripForEveryDtypeIncludingNaNPayloads() {
        int[] f32 = {0, 0x80000000, 0x7FC00001, 0xFF800001, 0x7F800000, 1, 0x3F800000, 0xDEADBEEF};
        int[] h16 = {0, 0x8000, 0x7FC1, 0xFF81, 0x7C00, 1, 0xFFFF, 0x3F80};
        Shape shape = Shape.of(2, 4);
        try (Tensor a = DJL.fromBits(f32, DType.FLOAT32, shape);
             Tensor b = DJL.fromBits(h16, DType.BFLOAT16, shape);
             Tensor c = DJL.fromBits(h16, DType.FLOAT16, shape)) {
            assertArrayEquals(f32, DJL.toBits(a));
            assertArrayEquals(h16, DJL.toBits(b));
            assertArrayEquals(h16, DJL.toBits(c));
            assertEquals(shape, a.shape());
            assertEquals(DType.BFLOAT16, b.dtype());
            assertSame(DJL, c.backend());
            // bf16 is a PyTorch bfloat16 tensor made by TorchScript, which DJL shows as UNKNOWN: no BFLOAT16 NDArray
            // is ever asked of DJL, and the array is never handed out.
            assertEquals(DataType.UNKNOWN, ((DjlTensor) b).array().getDataType());
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DjlBackend.ndArray(b));
            assertTrue(refused.getMessage().startsWith("tensor: bfloat16"), refused.getMessage());
            assertTrue(refused.getMessage().contains("convert(tensor, DType.FLOAT32)"), refused.getMessage());
            try (Tensor widened = DJL.convert(b, DType.FLOAT32)) {
                float[] values = DjlBackend.ndArray(widened).toFloatArray();
                for (int i = 0; i < h16.length; i++) {
                    assertEquals(h16[i] << 16, Float.floatToRawIntBits(values[i]), "element " + i);
                }
            }
            assertEquals(DataType.FLOAT16, DjlBackend.ndArray(c).getDataType());
            assertArrayEquals(new long[] {2, 4}, DjlBackend.ndArray(a).getShape().getShape());
        }
    }

    @Test
    void scalarsAndEmptyTensors() {
        for (DType d : DType.values()) {
            try (Tensor s = DJL.fromFloats(new float[] {2.5f}, d, Shape.of());
                 Tensor e = DJL.fromFloats(new float[0], d, Shape.of(3, 0));
                 Tensor r = DJL.affine(2f, s, 1f, s, AffineSpec.float32(d));
                 Tensor re = DJL.affine(2f, e, 1f, e, AffineSpec.float32(d))) {
                assertArrayEquals(new float[] {7.5f}, DJL.toFloats(r));
                assertEquals(Shape.of(), r.shape());
                assertEquals(0, DJL.toBits(re).length);
                assertEquals(Shape.of(3, 0), re.shape());
            }
        }
    }

    @Test
    void convertToTheSameDtypeCopies() {
        try (Tensor a = DJL.fromFloats(new float[] {1, 2, 3}, DType.BFLOAT16, Shape.of(3));
             Tensor b = DJL.convert(a, DType.BFLOAT16)) {
            assertNotSame(((DjlTensor) a).array(), ((DjlTensor) b).array());
            a.close();
            assertArrayEquals(new float[] {1, 2, 3}, DJL.toFloats(b));
        }
    }

    // ----------------------------------------------------------------------------------------- interop

    @Test
    void wrapDoesNotCopyAndResultsAreNDArraysOnTheSameDevice() {
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            NDArray sample = manager.create(new float[] {1f, 2f, 3f, 4f}, new ai.djl.ndarray.types.Shape(2, 2));
            NDArray velocity = manager.create(new float[] {1f, 1f, 1f, 1f}, new ai.djl.ndarray.types.Shape(2, 2));
            Tensor x = DJL.wrap(sample);
            Tensor v = DJL.wrap(velocity);
            assertSame(sample, DjlBackend.ndArray(x), "the tensor is the caller's array");
            assertEquals(Shape.of(2, 2), x.shape());
            assertEquals(DType.FLOAT32, x.dtype());

            sample.addi(manager.create(10f)); // a change to the array is visible through the tensor: no copy
            assertArrayEquals(new float[] {11f, 12f, 13f, 14f}, DJL.toFloats(x));

            int before = manager.getManagedArrays().size();
            try (Tensor next = DJL.affine(1f, x, -0.5f, v, AffineSpec.float32(DType.FLOAT32))) {
                NDArray out = DjlBackend.ndArray(next);
                assertEquals(sample.getDevice(), out.getDevice());
                assertArrayEquals(new float[] {10.5f, 11.5f, 12.5f, 13.5f}, out.toFloatArray(),
                        "the result is an ordinary NDArray a model can consume");
                assertEquals(before, manager.getManagedArrays().size(),
                        "no intermediate is left on the caller's manager");
            }
            x.close();
            assertFalse(sample.isReleased(), "closing a wrapping tensor leaves the caller's array open");
            assertTrue(x.isClosed());
            assertThrows(IllegalStateException.class, () -> DJL.toFloats(x));
        }
    }

    @Test
    void anArrayThatRequiresAGradientIsWrappedDetachedWithoutACopy() {
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            NDArray weights = manager.create(new float[] {1f, 2f});
            weights.setRequiresGradient(true);
            Tensor w = DJL.wrap(weights);
            assertFalse(DjlBackend.ndArray(w).hasGradient());
            try (Tensor r = DJL.affine(2f, w, 1f, w, AffineSpec.float32(DType.FLOAT32))) {
                assertFalse(DjlBackend.ndArray(r).hasGradient(), "no autograd graph");
                assertArrayEquals(new float[] {3f, 6f}, DJL.toFloats(r));
            }
            w.close();
            assertFalse(weights.isReleased());
            assertTrue(weights.hasGradient());
        }
    }

    @Test
    void wrapFloat16InPlaceAndBfloat16AsARoundedCopy() {
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            NDArray half = manager.create(new float[] {1.5f, -2f}).toType(DataType.FLOAT16, false);
            Tensor h = DJL.wrap(half);
            assertEquals(DType.FLOAT16, h.dtype());
            // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even, 1.
            NDArray floats = manager.create(new float[] {1.0078125f, -3f, 1.00390625f});
            try (Tensor bf = DJL.wrap(floats, DType.BFLOAT16)) {
                assertEquals(DType.BFLOAT16, bf.dtype());
                floats.close(); // a copy: the tensor does not borrow the array
                assertArrayEquals(new int[] {0x3F81, 0xC040, 0x3F80}, DJL.toBits(bf));
                try (Tensor h3 = DJL.fromFloats(new float[] {1.5f, -2f, 0f}, DType.FLOAT16, Shape.of(3));
                     Tensor r = DJL.affine(1f, bf, 1f, h3, new AffineSpec(DType.FLOAT32, DType.FLOAT32,
                             DType.FLOAT32, DType.BFLOAT16))) {
                    assertArrayEquals(new float[] {2.5f, -5f, 1f}, DJL.toFloats(r));
                }
            }
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> DJL.wrap(half, DType.BFLOAT16));
            assertTrue(wrong.getMessage().contains("FLOAT16 NDArray cannot hold a bfloat16"), wrong.getMessage());
        }
    }

    @Test
    void wrapRefusesOtherDtypesAndClosedArrays() {
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            NDArray ints = manager.create(new int[] {1, 2});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DJL.wrap(ints));
            assertTrue(e.getMessage().contains("INT32"), e.getMessage());
            NDArray doubles = manager.create(new double[] {1, 2});
            assertThrows(IllegalArgumentException.class, () -> DJL.wrap(doubles));
            NDArray closed = manager.create(new float[] {1});
            closed.close();
            assertThrows(IllegalStateException.class, () -> DJL.wrap(closed));
        }
    }

    @Test
    void aWrappedArrayClosedByItsOwnerMakesTheTensorClosed() {
        Tensor x;
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            x = DJL.wrap(manager.create(new float[] {1f, 2f}));
        }
        assertTrue(x.isClosed());
        try (Tensor y = DJL.fromFloats(new float[] {1f, 2f}, DType.FLOAT32, Shape.of(2))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> DJL.affine(1f, x, 1f, y, AffineSpec.float32(DType.FLOAT32)));
            assertTrue(e.getMessage().startsWith("x: tensor [2] float32 on backend 'djl' is closed"), e.getMessage());
        }
    }

    @Test
    void resultsOwnTheirArraysAndClosingFreesThem() {
        try (Tensor a = DJL.fromFloats(new float[] {1f, 2f}, DType.FLOAT32, Shape.of(2))) {
            Tensor r = DJL.affine(1f, a, 1f, a, AffineSpec.float32(DType.FLOAT32));
            NDArray array = DjlBackend.ndArray(r);
            r.close();
            r.close(); // idempotent
            assertTrue(array.isReleased());
            assertThrows(IllegalStateException.class, () -> DjlBackend.ndArray(r));
        }
    }

    @Test
    void noIntermediateArrayOutlivesACall() {
        NDManager root = DjlRuntime.get().root(DJL.device());
        NDManager host = DjlRuntime.get().host();
        try (Tensor x = DJL.fromFloats(new float[] {1f, Float.NaN, 1e-40f, 3e38f}, DType.FLOAT16, Shape.of(4));
             Tensor y = DJL.fromFloats(new float[] {1f, 2f, 3f, 4f}, DType.BFLOAT16, Shape.of(4))) {
            DJL.convert(x, DType.BFLOAT16).close(); // creates the cached constants
            Set<String> before = uids(root);
            Set<String> hostBefore = uids(host);
            for (AffineSpec spec : new AffineSpec[] {
                    new AffineSpec(DType.BFLOAT16, DType.FLOAT16, DType.BFLOAT16, DType.FLOAT16),
                    new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16)}) {
                DJL.affine(0.3f, x, -0.7f, y, spec).close();
            }
            DJL.convert(y, DType.FLOAT16).close();
            DJL.nativeNormal(1, DType.BFLOAT16, Shape.of(8)).close();
            assertEquals(before, uids(root));
            assertEquals(hostBefore, uids(host));
        }
    }

    private static Set<String> uids(NDManager manager) {
        return manager.getManagedArrays().stream().map(NDArray::getUid).collect(Collectors.toSet());
    }

    // ------------------------------------------------------------------------------------------ errors

    @Test
    void argumentErrorsAreTheSharedOnes() {
        try (Tensor a = DJL.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(2, 2));
             Tensor b = DJL.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(4));
             Tensor foreign = JAVA.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(2, 2))) {
            AffineSpec spec = AffineSpec.float32(DType.FLOAT32);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> DJL.affine(1, a, 1, b, spec));
            assertEquals("shape mismatch: x is [2, 2] but y is [4]", shape.getMessage());
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                    () -> DJL.affine(1, a, 1, foreign, spec));
            assertTrue(other.getMessage().startsWith("y: tensor belongs to backend 'java'"), other.getMessage());
            assertThrows(IllegalArgumentException.class, () -> JAVA.toBits(a));
            assertThrows(IllegalArgumentException.class, () -> DjlBackend.ndArray(foreign));
            assertThrows(NullPointerException.class, () -> DJL.affine(1, a, 1, a, null));
            assertThrows(IllegalArgumentException.class,
                    () -> DJL.fromFloats(new float[3], DType.FLOAT32, Shape.of(2, 2)));
            IllegalArgumentException bits = assertThrows(IllegalArgumentException.class,
                    () -> DJL.fromBits(new int[] {0x10000}, DType.BFLOAT16, Shape.of(1)));
            assertTrue(bits.getMessage().contains("not a 16-bit pattern"), bits.getMessage());

            Tensor closed = DJL.fromFloats(new float[] {1, 2, 3, 4}, DType.FLOAT32, Shape.of(2, 2));
            closed.close();
            IllegalStateException state = assertThrows(IllegalStateException.class,
                    () -> DJL.affine(1, closed, 1, a, spec));
            assertEquals("x: tensor [2, 2] float32 on backend 'djl' is closed", state.getMessage());
            assertThrows(IllegalStateException.class, () -> DJL.convert(closed, DType.FLOAT16));
            assertThrows(IllegalStateException.class, () -> DJL.toFloats(closed));
        }
    }

    @Test
    void engineFailuresBecomeBackendExceptionsWithTheEnginesMessage() {
        // A shape of 2^42 elements is refused by the element cap before the engine allocates
        // (dev.flowmatch.Limits); converting a broadcast view of that shape (one element, no memory) makes PyTorch
        // allocate 2^42 float16 elements (8 TiB): its allocator refuses, the JVM goes on.
        IllegalArgumentException capped = assertThrows(IllegalArgumentException.class,
                () -> DJL.nativeNormal(1, DType.FLOAT32, Shape.of(1L << 22, 1L << 20)));
        assertTrue(capped.getMessage().startsWith("noise shape [4194304, 1048576] has"), capped.getMessage());
        try (NDManager manager = NDManager.newBaseManager(DJL.device(), "PyTorch")) {
            NDArray view = manager.ones(new ai.djl.ndarray.types.Shape(1, 1))
                    .broadcast(new ai.djl.ndarray.types.Shape(1L << 22, 1L << 20));
            Tensor huge = DJL.wrap(view);
            BackendException e = assertThrows(BackendException.class, () -> DJL.convert(huge, DType.FLOAT16));
            assertTrue(e.getMessage().startsWith("djl convert: "), e.getMessage());
            assertTrue(e.getCause() instanceof ai.djl.engine.EngineException, String.valueOf(e.getCause()));
        }
        try (Tensor ok = DJL.fromFloats(new float[] {1}, DType.FLOAT32, Shape.of(1))) {
            assertArrayEquals(new float[] {1}, DJL.toFloats(ok), "the engine still works");
        }
    }

    // ------------------------------------------------------------------------------------------- noise

    @Test
    void nativeNormalIsDeterministicPerSeedAndStandardNormal() {
        Shape shape = Shape.of(4, 16384);
        try (Tensor a = DJL.nativeNormal(42, DType.FLOAT32, shape);
             Tensor b = DJL.nativeNormal(42, DType.FLOAT32, shape);
             Tensor c = DJL.nativeNormal(43, DType.FLOAT32, shape);
             Tensor bf = DJL.nativeNormal(42, DType.BFLOAT16, shape);
             Tensor h = DJL.nativeNormal(42, DType.FLOAT16, shape);
             Tensor aBf = DJL.convert(a, DType.BFLOAT16);
             Tensor aH = DJL.convert(a, DType.FLOAT16)) {
            assertEquals(shape, a.shape());
            assertArrayEquals(DJL.toBits(a), DJL.toBits(b));
            assertNotEquals(DJL.toBits(a)[0], DJL.toBits(c)[0]);
            assertArrayEquals(DJL.toBits(aBf), DJL.toBits(bf), "bf16 noise is the float32 noise rounded");
            assertArrayEquals(DJL.toBits(aH), DJL.toBits(h), "f16 noise is the float32 noise rounded");
            float[] v = DJL.toFloats(a);
            double mean = 0;
            double square = 0;
            for (float f : v) {
                mean += f;
                square += (double) f * f;
            }
            mean /= v.length;
            double std = Math.sqrt(square / v.length - mean * mean);
            assertTrue(Math.abs(mean) < 0.02, "mean " + mean);
            assertTrue(Math.abs(std - 1) < 0.02, "std " + std);
        }
    }

    @Test
    void devicesAreReportedAsDjlDevices() {
        Device device = DJL.device();
        assertTrue(device.equals(Device.cpu()) || device.isGpu());
    }
}

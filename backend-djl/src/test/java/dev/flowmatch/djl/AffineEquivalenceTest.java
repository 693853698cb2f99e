package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/** {@code affine} on {@code djl} equals the pure-Java reference bit for bit, for every dtype and AffineSpec. */
class AffineEquivalenceTest {
    private static final JavaBackend JAVA = new JavaBackend();
    private static final DjlBackend DJL = DjlBackend.instance();
    private static final DType[] DTYPES = DType.values();

    /**
     * Every one of the 81 AffineSpecs, with each of the 9 input dtype pairs, on edge values and random data, on a
     * 2-d tensor and on a 0-dim one (PyTorch promotes 0-dim operands differently).
     */
    @Test
    void everySpecAndInputDtypePairIsBitExact() {
        SplittableRandom random = new SplittableRandom(20261127);
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (DType px : DTYPES) {
            for (DType py : DTYPES) {
                for (DType sum : DTYPES) {
                    for (DType out : DTYPES) {
                        AffineSpec spec = new AffineSpec(px, py, sum, out);
                        for (DType dx : DTYPES) {
                            for (DType dy : DTYPES) {
                                float a = TestData.coefficient(random);
                                float b = TestData.coefficient(random);
                                for (Shape shape : new Shape[] {Shape.of(3, 100), Shape.of()}) {
                                    String failure = compare(a, dx, b, dy, spec, shape, random);
                                    cases++;
                                    if (failure != null) {
                                        failures.add(failure);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertEquals(2 * 729, cases);
        assertEquals(List.of(), failures.stream().limit(10).toList(), failures.size() + " of 1458 cases differ");
    }

    /** The two precision modes a step uses, with the step's coefficients, on a latent-sized tensor. */
    @Test
    void stepShapedTensorsInBothPrecisionModes() {
        SplittableRandom random = new SplittableRandom(7);
        Shape latent = Shape.of(1, 256, 128);
        for (DType d : DTYPES) {
            float dt = -0.0625f;
            // FP32: x + dt*v in float32, rounded to d.
            assertNull(compare(1f, d, dt, d, AffineSpec.float32(d), latent, random));
            // DIFFUSERS: dt*v rounded to the model output's dtype, summed in float32, rounded to it.
            assertNull(compare(1f, d, dt, d, new AffineSpec(DType.FLOAT32, d, DType.FLOAT32, d), latent, random));
        }
    }

    /**
     * The bfloat16 kernels canonicalise NaN only when a sum over the result says one is there (see
     * {@code bf16_kernels.py}): one NaN among a million finite elements, late in the tensor, must still come out as
     * {@code 0x7FC0}; infinities of both signs without any NaN (the sum is NaN, the pass runs) and finite values
     * whose float32 sum overflows must come out unchanged. Both steps (the DIFFUSERS and FP32 specs) and a plain
     * conversion, against the reference.
     */
    @Test
    void nanCanonicalisationFindsALoneNaNAndLeavesEverythingElse() {
        Shape shape = Shape.of(1, 8192, 128);
        int n = shape.numelAsInt();
        SplittableRandom random = new SplittableRandom(15);
        int[] finite = new int[n];
        for (int i = 0; i < n; i++) {
            finite[i] = DType.BFLOAT16.floatToBits((float) TestData.nextGaussian(random));
        }
        int[] loneNaN = finite.clone();
        loneNaN[n - 3] = 0x7FC0;
        int[] infinities = finite.clone();
        infinities[5] = 0x7F80;
        infinities[n - 5] = 0xFF80;
        int[] huge = new int[n];
        for (int i = 0; i < n; i++) {
            // bf16 max and its neighbour, positive in the first half and negative in the second: the float32 sum
            // overflows both ways
            huge[i] = (i < n / 2 ? 0 : 0x8000) | (i % 2 == 0 ? 0x7F7F : 0x7F7E);
        }
        AffineSpec diffusers = new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16);
        for (int[] x : List.of(finite, loneNaN, infinities, huge)) {
            for (AffineSpec spec : List.of(diffusers, AffineSpec.float32(DType.BFLOAT16))) {
                assertNull(compareBits(1f, x, -0.0625f, finite, spec, shape));
                assertNull(compareBits(1f, finite, -0.0625f, x, spec, shape));
            }
            try (Tensor jx = JAVA.fromBits(x, DType.BFLOAT16, shape); Tensor j = JAVA.convert(jx, DType.FLOAT32);
                 Tensor dx = DJL.fromBits(x, DType.BFLOAT16, shape); Tensor d = DJL.convert(dx, DType.FLOAT32);
                 Tensor dr = DJL.convert(d, DType.BFLOAT16)) {
                assertNull(TestData.firstDifference(DType.BFLOAT16, x, DJL.toBits(dr)));
            }
        }
        try (Tensor x = DJL.fromBits(loneNaN, DType.BFLOAT16, shape); Tensor y = DJL.fromBits(finite, DType.BFLOAT16, shape);
             Tensor r = DJL.affine(1f, x, -0.0625f, y, diffusers)) {
            assertEquals(0x7FC0, DJL.toBits(r)[n - 3]);
            // The canonical NaN is what the stored array itself holds, not only what toBits reports.
            assertEquals(0x7FC0, Host.download(((DjlTensor) r).array())[n - 3]);
        }
    }

    private static String compareBits(float a, int[] xBits, float b, int[] yBits, AffineSpec spec, Shape shape) {
        try (Tensor jx = JAVA.fromBits(xBits, DType.BFLOAT16, shape); Tensor jy = JAVA.fromBits(yBits, DType.BFLOAT16, shape);
             Tensor jr = JAVA.affine(a, jx, b, jy, spec);
             Tensor x = DJL.fromBits(xBits, DType.BFLOAT16, shape); Tensor y = DJL.fromBits(yBits, DType.BFLOAT16, shape);
             Tensor r = DJL.affine(a, x, b, y, spec)) {
            return TestData.firstDifference(DType.BFLOAT16, JAVA.toBits(jr), DJL.toBits(r), xBits, yBits);
        }
    }

    @Test
    void randomShapesDtypesCoefficientsAndSpecsAreBitExact() {
        Gen<DType> dtypes = Generate.enumValues(DType.class);
        Gen<AffineSpec> specs = dtypes.zip(dtypes, dtypes, dtypes, AffineSpec::new);
        Gen<long[]> shapes = integers().between(0, 4).flatMap(rank -> Generate.intArrays(
                Generate.constant(rank), integers().between(0, 9)).map(dims -> {
                    long[] d = new long[dims.length];
                    for (int i = 0; i < d.length; i++) {
                        d[i] = dims[i];
                    }
                    return d;
                }));
        qt().withExamples(TestData.EXAMPLES)
                .forAll(specs, dtypes.zip(dtypes, (x, y) -> new DType[] {x, y}), shapes, longs().all())
                .checkAssert((spec, inputs, dims, seed) -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    float a = TestData.coefficient(random);
                    float b = TestData.coefficient(random);
                    assertNull(compare(a, inputs[0], b, inputs[1], spec, Shape.of(dims), random));
                });
    }

    /**
     * Compares {@code affine(a, x, b, y, spec)} on both backends for random data of the given dtypes; returns
     * null when bit-identical, else a description.
     */
    static String compare(float a, DType dx, float b, DType dy, AffineSpec spec, Shape shape, SplittableRandom random) {
        int n = shape.numelAsInt();
        int[] xBits = TestData.bits(dx, n, random);
        int[] yBits = TestData.bits(dy, n, random);
        int[] expected;
        int[] actual;
        try (Tensor jx = JAVA.fromBits(xBits, dx, shape); Tensor jy = JAVA.fromBits(yBits, dy, shape);
             Tensor jr = JAVA.affine(a, jx, b, jy, spec);
             Tensor x = DJL.fromBits(xBits, dx, shape); Tensor y = DJL.fromBits(yBits, dy, shape);
             Tensor r = DJL.affine(a, x, b, y, spec)) {
            expected = JAVA.toBits(jr);
            actual = DJL.toBits(r);
            assertEquals(spec.out(), r.dtype());
            assertEquals(shape, r.shape());
        }
        String difference = TestData.firstDifference(spec.out(), expected, actual, xBits, yBits);
        return difference == null ? null
                : spec + " x " + dx.torchName() + " y " + dy.torchName() + " a=" + a + " (" + Integer.toHexString(
                        Float.floatToRawIntBits(a)) + ") b=" + b + " (" + Integer.toHexString(
                        Float.floatToRawIntBits(b)) + ") shape " + shape + ": " + difference;
    }
}

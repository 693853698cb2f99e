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

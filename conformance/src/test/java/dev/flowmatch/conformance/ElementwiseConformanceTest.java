package dev.flowmatch.conformance;

import static dev.flowmatch.testing.Properties.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.testing.RandomExprs;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The elementwise primitive: for random expressions (every operation and dtype, scalars at the corners of each
 * dtype), random broadcast shapes and data with corner values, a backend's result equals the java backend's bit
 * for bit (one ulp for a backend that fuses multiply-adds).
 */
class ElementwiseConformanceTest {

    static Stream<TensorBackend> backends() {
        return Conformance.backends();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void elementwiseEqualsTheReference(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(longs().all(), integers().between(1, 4), integers().between(1, 6)).checkAssert((seed, k, depth) ->
                checkOneExpression(backend, seed, k, depth, 1024,
                        (random, input, n) -> Data.values(seed + input, n, 2.0, 0.05)));
    }

    /**
     * The same with data at the edges of rounding: float32 values whose low bits are exactly a bfloat16 or float16
     * tie (half an ulp of the 16-bit type, and one bit either side of it), subnormals of every type, values that
     * overflow float16, NaN and infinities; so intermediate results land on ties and subnormals far more often
     * than with normal data.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void elementwiseEqualsTheReferenceAtTiesAndSubnormals(TensorBackend backend) {
        Conformance.use(backend);
        qt().forAll(longs().all(), integers().between(1, 3), integers().between(1, 5)).checkAssert((seed, k, depth) ->
                checkOneExpression(backend, seed, k, depth, 512, (random, input, n) -> {
                    float[] values = new float[n];
                    for (int j = 0; j < n; j++) {
                        values[j] = edgeValue(random);
                    }
                    return values;
                }));
    }

    /** The values of input {@code input}, {@code n} of them (may draw from {@code random}). */
    @FunctionalInterface
    private interface InputValues {
        float[] of(SplittableRandom random, int input, int n);
    }

    /**
     * One random expression of {@code k} inputs (broadcastable shapes within {@code maxElements}, random dtypes, values
     * from {@code inputValues}) evaluated on {@code backend} and on the reference: the same bits.
     */
    private static void checkOneExpression(TensorBackend backend, long seed, int k, int depth, int maxElements,
                                           InputValues inputValues) {
        TensorBackend reference = Conformance.reference();
        SplittableRandom random = new SplittableRandom(seed);
        Expr expr = RandomExprs.expr(seed, k, depth);
        Shape full = Data.shape(seed, maxElements);
        Shape[] shapes = new Shape[k];
        DType[] dtypes = new DType[k];
        float[][] values = new float[k][];
        for (int i = 0; i < k; i++) {
            shapes[i] = RandomExprs.broadcastable(random, full);
            dtypes[i] = RandomExprs.dtype(random);
            values[i] = inputValues.of(random, i, shapes[i].numelAsInt());
        }
        int[] expected = evaluate(reference, expr, values, dtypes, shapes);
        int[] actual = evaluate(backend, expr, values, dtypes, shapes);
        Conformance.assertConforms(backend, expr.dtype(dtypes), expected, actual, "elementwise " + expr);
    }

    /** A float32 value at an edge of rounding (see above). */
    private static float edgeValue(SplittableRandom random) {
        int sign = random.nextBoolean() ? 0x80000000 : 0;
        int nudge = random.nextInt(3) - 1; // the tie itself, or one bit below or above it
        return switch (random.nextInt(6)) {
            // bfloat16 tie: the 16 dropped bits are exactly 0x8000, at any exponent
            case 0 -> Float.intBitsToFloat(sign | (random.nextInt(0x7F00) << 16) | (0x8000 + nudge));
            // float16 tie in float16's normal range (exponents 2^-14 .. 2^15): the 13 dropped bits 0x1000
            case 1 -> Float.intBitsToFloat(sign | ((113 + random.nextInt(30)) << 23) | (random.nextInt(1 << 10) << 13)
                    | (0x1000 + nudge));
            // float32 subnormals, and float16 subnormals (2^-24 .. 2^-14)
            case 2 -> Float.intBitsToFloat(sign | random.nextInt(0x00800000));
            case 3 -> (sign == 0 ? 1 : -1) * (float) (random.nextDouble() * 6.1e-5);
            // around float16's overflow threshold (65504, the 65520 tie)
            case 4 -> (sign == 0 ? 1 : -1) * (65504f + random.nextInt(33));
            default -> new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f}
                    [random.nextInt(6)];
        };
    }

    private static int[] evaluate(TensorBackend backend, Expr expr, float[][] values, DType[] dtypes, Shape[] shapes) {
        Tensor[] inputs = new Tensor[values.length];
        try {
            for (int i = 0; i < values.length; i++) {
                inputs[i] = backend.fromFloats(values[i], dtypes[i], shapes[i]);
            }
            try (Tensor out = backend.elementwise(expr, inputs)) {
                return backend.toBits(out);
            }
        } finally {
            for (Tensor t : inputs) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }
}

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
        TensorBackend reference = Conformance.reference();
        qt().forAll(longs().all(), integers().between(1, 4), integers().between(1, 6)).checkAssert((seed, k, depth) -> {
            SplittableRandom random = new SplittableRandom(seed);
            Expr expr = RandomExprs.expr(seed, k, depth);
            Shape full = Data.shape(seed, 1024);
            Shape[] shapes = new Shape[k];
            DType[] dtypes = new DType[k];
            float[][] values = new float[k][];
            for (int i = 0; i < k; i++) {
                shapes[i] = RandomExprs.broadcastable(random, full);
                dtypes[i] = RandomExprs.dtype(random);
                values[i] = Data.values(seed + i, shapes[i].numelAsInt(), 2.0, 0.05);
            }
            int[] expected = evaluate(reference, expr, values, dtypes, shapes);
            int[] actual = evaluate(backend, expr, values, dtypes, shapes);
            Conformance.assertConforms(backend, expr.dtype(dtypes), expected, actual, "elementwise " + expr);
        });
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

package dev.flowmatch.tensor;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.testing.RandomExprs;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The elementwise primitive: its reference ({@link Expr#apply}), the java backend against that reference element by
 * element (through broadcasting, every dtype, NaN and infinities), and argument checks.
 */
class ExprTest {
    private final JavaBackend java = new JavaBackend();

    @Test
    void affineExpressionEvaluatesAsTheAffineSpec() {
        qt().forAll(integers().between(0, 80), longs().all())
                .checkAssert((combo, seed) -> {
                    // Any float32 bit pattern: NaNs, infinities, subnormals and ties included.
                    SplittableRandom random = new SplittableRandom(seed);
                    float a = Float.intBitsToFloat(random.nextInt());
                    float x = Float.intBitsToFloat(random.nextInt());
                    float b = Float.intBitsToFloat(random.nextInt());
                    float y = Float.intBitsToFloat(random.nextInt());
                    DType[] d = DType.values();
                    AffineSpec spec = new AffineSpec(d[combo % 3], d[combo / 3 % 3], d[combo / 9 % 3], d[combo / 27 % 3]);
                    float expected = spec.apply(a, x, b, y);
                    float actual = Expr.affine(a, b, spec).apply(new float[] {x, y});
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual), spec.toString());
                });
    }

    @Test
    void javaBackendEqualsTheReferenceElementByElement() {
        qt().forAll(longs().all(), integers().between(1, 3), integers().between(1, 5)).checkAssert((seed, k, depth) -> {
            SplittableRandom random = new SplittableRandom(seed);
            Expr expr = RandomExprs.expr(seed, k, depth);
            Shape full = Shape.of(1 + random.nextInt(3), 1 + random.nextInt(40), 1 + random.nextInt(9));
            Tensor[] inputs = new Tensor[k];
            float[][] values = new float[k][];
            for (int i = 0; i < k; i++) {
                Shape shape = RandomExprs.broadcastable(random, full);
                DType dtype = RandomExprs.dtype(random);
                float[] raw = new float[shape.numelAsInt()];
                for (int e = 0; e < raw.length; e++) {
                    raw[e] = random.nextInt(50) == 0 ? Float.NaN : (float) (random.nextGaussian() * 3);
                }
                inputs[i] = java.fromFloats(raw, dtype, shape);
                values[i] = java.toFloats(inputs[i]);
            }
            try (Tensor out = java.elementwise(expr, inputs)) {
                Shape shape = out.shape();
                float[] actual = java.toFloats(out);
                float[][] expanded = new float[k][];
                for (int i = 0; i < k; i++) {
                    expanded[i] = Tensors.broadcastValues(values[i], inputs[i].shape(), shape);
                }
                float[] element = new float[k];
                for (int e = 0; e < actual.length; e++) {
                    for (int i = 0; i < k; i++) {
                        element[i] = expanded[i][e];
                    }
                    float expected = out.dtype().round(expr.apply(element));
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual[e]),
                            "element " + e + " of " + expr);
                }
                assertEquals(expr.dtype(Tensors.dtypes(inputs)), out.dtype(), "dtype");
            } finally {
                for (Tensor t : inputs) {
                    t.close();
                }
            }
        });
    }

    @Test
    void largeTensorsSplitOverThreadsGiveTheSameBits() {
        int n = 3 * (1 << 17) + 5;
        float[] x = new float[n];
        float[] y = new float[n];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
            y[i] = (float) random.nextGaussian();
        }
        Expr expr = Expr.cast(Expr.div(Expr.sub(Expr.input(0), Expr.input(1), DType.FLOAT32), Expr.scalar(0.37f),
                DType.FLOAT32), DType.BFLOAT16);
        try (Tensor tx = java.fromFloats(x, DType.FLOAT32, Shape.of(n));
             Tensor ty = java.fromFloats(y, DType.FLOAT32, Shape.of(n));
             Tensor out = java.elementwise(expr, tx, ty)) {
            int[] bits = java.toBits(out);
            for (int i = 0; i < n; i++) {
                int expected = DType.BFLOAT16.floatToBits((x[i] - y[i]) / 0.37f);
                assertEquals(expected, bits[i], "element " + i);
            }
        }
    }

    @Test
    void broadcastFollowsNumpy() {
        assertEquals(Shape.of(2, 3, 4), Shape.broadcast(Shape.of(2, 3, 1), Shape.of(4)));
        assertEquals(Shape.of(2, 3, 4), Shape.broadcast(Shape.of(1, 3, 4), Shape.of(2, 1, 1)));
        assertEquals(Shape.of(5), Shape.broadcast(Shape.of(), Shape.of(5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shape.broadcast(Shape.of(2, 3), Shape.of(4, 3, 2)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 3, 2]"), e.getMessage());
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2},
                Tensors.broadcastValues(new float[] {1, 2}, Shape.of(2, 1), Shape.of(2, 2, 2)));
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        try (Tensor a = java.fromFloats(new float[6], DType.FLOAT32, Shape.of(2, 3));
             Tensor b = java.fromFloats(new float[4], DType.FLOAT32, Shape.of(4))) {
            Expr sum = Expr.add(Expr.input(0), Expr.input(1), DType.FLOAT32);
            assertMessage("do not broadcast", () -> java.elementwise(sum, a, b));
            assertMessage("inputs: 1 tensors given but the expression reads 2", () -> java.elementwise(sum, a));
            assertMessage("reads no tensor", () -> java.elementwise(Expr.scalar(1f)));
            Expr deep = Expr.input(0);
            for (int i = 0; i < Expr.MAX_DEPTH; i++) {
                deep = Expr.cast(deep, DType.FLOAT32);
            }
            Expr tooDeep = deep;
            assertMessage("nested deeper than", () -> java.elementwise(tooDeep, a));
            assertMessage("index: -1", () -> Expr.input(-1));
            a.close();
            assertThrows(IllegalStateException.class, () -> java.elementwise(Expr.cast(Expr.input(0), DType.FLOAT16), a));
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}

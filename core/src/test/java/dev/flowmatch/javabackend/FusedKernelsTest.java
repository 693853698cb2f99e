package dev.flowmatch.javabackend;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.testing.RandomExprs;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The generated loops give {@link Expr#apply}'s bits: for random expressions over float32 and bfloat16 inputs
 * with values at the edges of rounding (ties, subnormals, NaN, infinities), and, through the backend, once a
 * repeated step's loop has won its warm-up race (so the loop C2 compiled is the one checked). Runs only where the
 * vector kernels can (the build's run with {@code --add-modules jdk.incubator.vector}).
 */
class FusedKernelsTest {

    private static void assumeVectorKernels() {
        assumeTrue(Vectorization.vector().isPresent(), "the fused loops need the vector kernels");
    }

    @Test
    void randomExpressionsGiveTheReferenceBits() {
        assumeVectorKernels();
        qt().forAll(longs().all(), integers().between(1, 4), integers().between(1, 6)).checkAssert((seed, k, depth) -> {
            SplittableRandom random = new SplittableRandom(seed);
            Expr expression = withoutFloat16(RandomExprs.expr(seed, k, depth));
            DType[] dtypes = new DType[k];
            for (int i = 0; i < k; i++) {
                dtypes[i] = random.nextBoolean() ? DType.FLOAT32 : DType.BFLOAT16;
            }
            DType out = expression.dtype(dtypes);
            FusedKernels.Plan plan = FusedKernels.plan(expression, dtypes, out);
            if (plan == null) {
                return; // a constant result or an input as it is: the interpreter's
            }
            int n = 7 * VectorBlockKernels.lanes() + 5;
            float[][] floats = new float[k][];
            short[][] halves = new short[k][];
            float[][] values = new float[k][n];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < n; j++) {
                    values[i][j] = dtypes[i].round(edgeValue(random));
                }
                if (dtypes[i] == DType.FLOAT32) {
                    floats[i] = values[i];
                } else {
                    halves[i] = new short[n];
                    for (int j = 0; j < n; j++) {
                        halves[i][j] = Bits.floatToBf16(values[i][j]);
                    }
                }
            }
            float[] floatsOut = out == DType.FLOAT32 ? new float[n] : null;
            short[] halvesOut = out == DType.FLOAT32 ? null : new short[n];
            int from = 3;
            int done = FusedKernels.generate(plan.shape()).run(floats, halves, plan.constants(), from, n,
                    floatsOut, halvesOut);
            assertEquals(from + ((n - from) / VectorBlockKernels.lanes()) * VectorBlockKernels.lanes(), done);
            float[] element = new float[k];
            for (int j = from; j < done; j++) {
                for (int i = 0; i < k; i++) {
                    element[i] = values[i][j];
                }
                float expected = expression.apply(element);
                if (out == DType.FLOAT32) {
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(floatsOut[j]),
                            () -> expression + " at " + element[0]);
                } else {
                    assertEquals(Bits.floatToBf16(expected), halvesOut[j], () -> expression + " at " + element[0]);
                }
            }
            for (int j = done; j < n; j++) {
                if (out == DType.FLOAT32) {
                    assertEquals(0f, floatsOut[j], "the loop leaves the tail to the interpreter");
                }
            }
        });
    }

    @Test
    void aRepeatedStepIsFusedAfterItsWarmUpAndGivesTheSameBits() throws InterruptedException {
        assumeVectorKernels();
        assumeTrue(FusedKernels.enabled(), "-Dflowmatch.java.fused=false");
        JavaBackend backend = new JavaBackend();
        // DPM-Solver++'s second-order update's shape: x*c0 - (m0*c1 + (m0 - m1)*c2), in bfloat16 and float32.
        for (DType dtype : new DType[] {DType.FLOAT32, DType.BFLOAT16}) {
            Expr step = Expr.sub(Expr.mul(Expr.input(0), Expr.scalar(0.93f), dtype),
                    Expr.add(Expr.mul(Expr.input(1), Expr.scalar(-0.061f), dtype),
                            Expr.mul(Expr.sub(Expr.input(1), Expr.input(2), dtype), Expr.scalar(0.5f), dtype),
                            dtype), dtype);
            int n = FusedKernels.MIN_ELEMENTS * 4 + 3;
            SplittableRandom random = new SplittableRandom(dtype.ordinal());
            float[][] values = new float[3][n];
            Tensor[] inputs = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < n; j++) {
                    values[i][j] = dtype.round(edgeValue(random));
                }
                inputs[i] = backend.fromFloats(values[i], dtype, Shape.of(1, n));
            }
            DType[] dtypes = {dtype, dtype, dtype};
            for (int call = 0; call < FusedKernels.SIGHTINGS; call++) {
                backend.elementwise(step, inputs).close();
            }
            FusedKernels.awaitWarmUps(2, TimeUnit.MINUTES);
            assertNotNull(FusedKernels.find(step, dtypes, dtype, n, ElementwiseKernels::interpret),
                    "the step's loop won its race");
            try (Tensor fused = backend.elementwise(step, inputs)) {
                float[] result = backend.toFloats(fused);
                float[] element = new float[3];
                for (int j = 0; j < n; j++) {
                    for (int i = 0; i < 3; i++) {
                        element[i] = values[i][j];
                    }
                    float expected = step.apply(element);
                    assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(result[j]),
                            "element " + j + " of " + dtype);
                }
            }
        }
    }

    @Test
    void whatTheLoopsDoNotSupportStaysWithTheInterpreter() {
        DType[] f32 = {DType.FLOAT32, DType.FLOAT32};
        Expr sum = Expr.add(Expr.input(0), Expr.input(1), DType.FLOAT32);
        assertNotNull(FusedKernels.plan(sum, f32, DType.FLOAT32));
        assertNull(FusedKernels.plan(sum, new DType[] {DType.FLOAT16, DType.FLOAT32}, DType.FLOAT32),
                "a float16 input");
        assertNull(FusedKernels.plan(Expr.add(Expr.input(0), Expr.input(1), DType.FLOAT16), f32, DType.FLOAT16),
                "a float16 operation");
        assertNull(FusedKernels.plan(Expr.cast(sum, DType.FLOAT16), f32, DType.FLOAT16), "a float16 result");
        assertNull(FusedKernels.plan(Expr.add(Expr.scalar(1f), Expr.scalar(2f), DType.FLOAT32), f32, DType.FLOAT32),
                "a constant result");
        Expr deep = Expr.input(0);
        for (int i = 0; i < FusedKernels.MAX_NODES; i++) {
            deep = Expr.add(deep, Expr.input(1), DType.FLOAT32);
        }
        assertNull(FusedKernels.plan(deep, f32, DType.FLOAT32), "more nodes than a loop takes");
        // Constants are arguments of the loop, not part of its shape: two steps differing only in them share it.
        FusedKernels.Plan a = FusedKernels.plan(Expr.mul(Expr.input(0), Expr.scalar(0.25f), DType.FLOAT32), f32,
                DType.FLOAT32);
        FusedKernels.Plan b = FusedKernels.plan(Expr.mul(Expr.input(0), Expr.scalar(-3f), DType.FLOAT32), f32,
                DType.FLOAT32);
        assertEquals(a.shape(), b.shape());
        assertTrue(a.constants()[0] != b.constants()[0]);
    }

    /** The expression with every float16 rounding made a bfloat16 one (the loops leave float16 to the interpreter). */
    private static Expr withoutFloat16(Expr e) {
        return switch (e) {
            case Expr.Input in -> in;
            case Expr.Scalar s -> s;
            case Expr.Binary b -> new Expr.Binary(b.op(), withoutFloat16(b.left()), withoutFloat16(b.right()),
                    b.dtype() == DType.FLOAT16 ? DType.BFLOAT16 : b.dtype());
            case Expr.Cast c -> new Expr.Cast(withoutFloat16(c.operand()),
                    c.dtype() == DType.FLOAT16 ? DType.BFLOAT16 : c.dtype());
        };
    }

    /**
     * A value at an edge of rounding: a bfloat16 tie (half an ulp of bfloat16 in the low bits) or one bit either
     * side of it, a subnormal, zero of either sign, NaN, an infinity, a huge value, or an ordinary one.
     */
    private static float edgeValue(SplittableRandom random) {
        float ordinary = (float) (random.nextGaussian() * 2);
        int bits = Float.floatToRawIntBits(ordinary) & 0xFFFF0000;
        return switch (random.nextInt(10)) {
            case 0 -> Float.intBitsToFloat(bits | 0x8000);
            case 1 -> Float.intBitsToFloat(bits | 0x8000 + (random.nextBoolean() ? 1 : -1));
            case 2 -> Float.intBitsToFloat(random.nextInt(0x00800000)) * (random.nextBoolean() ? 1 : -1);
            case 3 -> random.nextBoolean() ? 0f : -0f;
            case 4 -> random.nextInt(4) == 0 ? Float.NaN : random.nextBoolean() ? Float.POSITIVE_INFINITY
                    : Float.NEGATIVE_INFINITY;
            case 5 -> 3.3e38f * (random.nextBoolean() ? 1 : -1);
            default -> ordinary;
        };
    }
}

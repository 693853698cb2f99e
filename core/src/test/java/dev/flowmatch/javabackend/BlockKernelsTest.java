package dev.flowmatch.javabackend;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.testing.Properties;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The vector kernels give the scalar kernels' bits, and both give {@link AffineSpec#apply}'s: exhaustively over
 * every 16-bit pattern of each operand, over float32 values at and around every rounding boundary, and by
 * properties over random float32 coefficients (NaN, infinities, subnormals and ties among them).
 *
 * <p>The build runs this class twice (see core/pom.xml): once with {@code --add-modules jdk.incubator.vector},
 * where both implementations are compared, and once without, where only the scalar kernels can run and must be
 * the ones chosen. {@code -Dflowmatch.expect.kernels=vector|scalar} says which run this is.
 */
class BlockKernelsTest {
    private static final DType[] HALVES = {DType.BFLOAT16, DType.FLOAT16};
    /** Odd offsets and lengths that leave a tail, so the vector loops and the scalar tails both run. */
    private static final int OFFSET = 3;
    private static final int OUT_OFFSET = 1;

    /** Every implementation this JVM can run: the scalar kernels, and the vector ones where the module is readable. */
    private static List<BlockKernels> implementations() {
        List<BlockKernels> all = new ArrayList<>();
        all.add(Vectorization.scalar());
        Vectorization.vector().ifPresent(all::add);
        return all;
    }

    @Test
    void theExpectedKernelsAreInUse() {
        String expected = System.getProperty("flowmatch.expect.kernels");
        assumeTrue(expected != null, "run by the build with -Dflowmatch.expect.kernels");
        BlockKernels kernels = Vectorization.kernels();
        if (expected.equals("scalar")) {
            assertEquals(false, kernels.vectorized(), JavaBackend.kernels());
        }
        if (expected.equals("vector")) {
            // The module is loaded: only a CPU without 256-bit vectors may keep the scalar loops.
            assertTrue(JavaBackend.kernels().startsWith("vector kernels (jdk.incubator.vector")
                    || JavaBackend.kernels().contains("the vector kernels need at least 256"), JavaBackend.kernels());
        } else {
            assertTrue(JavaBackend.kernels().contains("--add-modules jdk.incubator.vector"), JavaBackend.kernels());
        }
    }

    /**
     * In the run with the module, the vector kernels take over once compiled (on a CPU with 256-bit vectors), and
     * the backend's step then gives {@link AffineSpec#apply}'s bits through them.
     */
    @Test
    void theVectorKernelsTakeOverOnceCompiledAndGiveTheSpecsBits() throws InterruptedException {
        assumeTrue(Vectorization.kernels() instanceof WarmingKernels, "vector kernels chosen in this JVM");
        WarmingKernels kernels = (WarmingKernels) Vectorization.kernels();
        assertTrue(kernels.await(WarmingKernels.GIVE_UP_NANOS + 10_000_000_000L, java.util.concurrent.TimeUnit.NANOSECONDS),
                "the vector kernels never became faster than the scalar ones: " + kernels.description());
        JavaBackend backend = new JavaBackend();
        int n = 3 * 1024 + 5;
        float[] xs = new float[n];
        float[] ys = new float[n];
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            xs[i] = (float) (random.nextDouble() * 8 - 4);
            ys[i] = (float) (random.nextDouble() * 8 - 4);
        }
        for (DType d : HALVES) {
            for (DType px : new DType[] {DType.FLOAT32, d}) {
                for (DType py : new DType[] {DType.FLOAT32, d}) {
                    AffineSpec spec = new AffineSpec(px, py, DType.FLOAT32, d);
                    try (var x = backend.fromFloats(xs, d, dev.flowmatch.tensor.Shape.of(n));
                         var y = backend.fromFloats(ys, d, dev.flowmatch.tensor.Shape.of(n));
                         var out = backend.affine(0.75f, x, -0.0326f, y, spec)) {
                        float[] fx = backend.toFloats(x);
                        float[] fy = backend.toFloats(y);
                        int[] got = backend.toBits(out);
                        for (int i = 0; i < n; i++) {
                            int expected = d.floatToBits(spec.apply(0.75f, fx[i], -0.0326f, fy[i]));
                            if (got[i] != expected) {
                                assertBits(expected, got[i], kernels, spec + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void widenIsExactForEvery16BitPattern() {
        short[] all = every16BitPattern();
        for (BlockKernels kernels : implementations()) {
            for (DType d : HALVES) {
                float[] out = new float[all.length + OUT_OFFSET];
                kernels.widen(d, all, 0, out, OUT_OFFSET, all.length);
                for (int p = 0; p < all.length; p++) {
                    int expected = Float.floatToRawIntBits(d.bitsToFloat(p));
                    if (Float.floatToRawIntBits(out[OUT_OFFSET + p]) != expected) {
                        assertBits(expected, Float.floatToRawIntBits(out[OUT_OFFSET + p]), kernels, d + " widen of " + hex(p));
                    }
                }
            }
        }
    }

    @Test
    void narrowAndRoundAgreeWithTheReferenceAtEveryRoundingBoundary() {
        for (DType d : HALVES) {
            float[] values = boundaryValues(d);
            checkNarrowAndRound(d, values);
        }
    }

    @Test
    void narrowAndRoundAgreeWithTheReferenceOnRandomFloats() {
        qt().forAll(floatsWithSpecials(), integers().between(0, 1)).checkAssert((v, dtype) -> {
            // One value in every lane of a vector and in the scalar tail.
            float[] values = new float[67];
            java.util.Arrays.fill(values, v);
            checkNarrowAndRound(HALVES[dtype], values);
        });
    }

    /**
     * Every float32 bit pattern (2^32), with the {@code deep} profile only ({@code mvn -Pdeep}: about a minute);
     * the regular build checks the rounding boundaries above.
     */
    @Test
    void narrowAgreesWithTheReferenceOnEveryFloat32() {
        assumeTrue(Properties.EXAMPLES >= 5000, "deep profile only");
        int block = 1 << 16;
        float[] values = new float[block];
        short[] out = new short[block];
        for (BlockKernels kernels : implementations()) {
            for (DType d : HALVES) {
                for (long high = 0; high < (1L << 32); high += block) {
                    for (int i = 0; i < block; i++) {
                        values[i] = Float.intBitsToFloat((int) (high + i));
                    }
                    kernels.narrow(d, values, 0, out, 0, block);
                    for (int i = 0; i < block; i++) {
                        if ((out[i] & 0xFFFF) != d.floatToBits(values[i])) {
                            assertBits(d.floatToBits(values[i]), out[i] & 0xFFFF, kernels,
                                    d + " narrow of " + hex(Float.floatToRawIntBits(values[i])));
                        }
                    }
                }
            }
        }
    }

    @Test
    void fusedAffineEqualsTheSpecOverEveryPatternOfEachOperand() {
        float[][] coefficients = {
            {1f, -0.0326f}, {0.9f, -1.7f}, {3.3f, 1e30f}, {Float.POSITIVE_INFINITY, Float.NaN},
            {-0.0f, 1e-40f}, {1.00390625f, 1.01171875f},
        };
        for (float[] ab : coefficients) {
            checkFusedAffine(ab[0], ab[1]);
        }
    }

    @Test
    void fusedAffineEqualsTheSpecForRandomCoefficients() {
        Properties.qtFew(10).forAll(floatsWithSpecials(), floatsWithSpecials())
                .checkAssert(this::checkFusedAffine);
    }

    @Test
    void float32OperationsAreJavasArithmetic() {
        qt().forAll(floatsWithSpecials(), floatsWithSpecials(), floatsWithSpecials(), booleans().all())
                .checkAssert((x, y, c, unit) -> {
                    float a = unit ? 1f : c;
                    float[] xs = filled(40, x);
                    float[] ys = filled(40, y);
                    float[] out = new float[41];
                    for (BlockKernels kernels : implementations()) {
                        // Equal offsets (the loops HotSpot vectorises) and different ones (the vector kernels'),
                        // over 37 elements: vectors and a scalar tail.
                        for (int[] offsets : new int[][] {{1, 1, 1}, {1, 2, 0}, {3, 0, 2}}) {
                            int xo = offsets[0];
                            int yo = offsets[1];
                            int oo = offsets[2];
                            for (Expr.Op op : Expr.Op.values()) {
                                java.util.Arrays.fill(out, Float.MIN_VALUE);
                                kernels.binary(op, xs, xo, ys, yo, out, oo, 37);
                                assertFloat(javas(op, x, y), out[oo + 5], kernels, op + " arrays");
                                assertFloat(javas(op, x, y), out[oo + 36], kernels, op + " arrays, tail");
                                kernels.binary(op, xs, xo, c, out, oo, 37);
                                assertFloat(javas(op, x, c), out[oo + 5], kernels, op + " constant right");
                                assertFloat(javas(op, x, c), out[oo + 36], kernels, op + " constant right, tail");
                                kernels.binary(op, c, ys, yo, out, oo, 37);
                                assertFloat(javas(op, c, y), out[oo + 5], kernels, op + " constant left");
                                assertFloat(javas(op, c, y), out[oo + 36], kernels, op + " constant left, tail");
                            }
                        }
                        kernels.affine(a, xs, c, ys, out, 1, 37);
                        assertFloat(a * x + c * y, out[5], kernels, "affine");
                    }
                });
    }

    /** {@code x op y} written out in Java (not through {@link Expr.Op#apply}, which the scalar kernels use). */
    private static float javas(Expr.Op op, float x, float y) {
        return switch (op) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
        };
    }

    /**
     * Every float32 operation in each form over a block of assorted values (NaN, infinities, signed zeros,
     * subnormals, the extremes) against every other, at different offsets: the vector kernels give the scalar
     * kernels' bits (NaN for NaN) lane by lane.
     */
    @Test
    void float32OperationsAgreeLaneByLaneOverSpecialValues() {
        float[] specials = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.1f, -3.5f, 1e-40f,
            16777217f, 0.33333334f};
        int n = specials.length * specials.length;
        float[] xs = new float[n + 5];
        float[] ys = new float[n + 5];
        for (int i = 0; i < specials.length; i++) {
            for (int j = 0; j < specials.length; j++) {
                xs[3 + i * specials.length + j] = specials[i];
                ys[1 + i * specials.length + j] = specials[j];
            }
        }
        for (BlockKernels kernels : implementations()) {
            for (Expr.Op op : Expr.Op.values()) {
                float[] out = new float[n + 2];
                kernels.binary(op, xs, 3, ys, 1, out, 2, n);
                for (int k = 0; k < n; k++) {
                    assertFloat(javas(op, xs[3 + k], ys[1 + k]), out[2 + k], kernels, op + " arrays at " + k);
                }
                for (float c : specials) {
                    kernels.binary(op, xs, 3, c, out, 0, n);
                    for (int k = 0; k < n; k++) {
                        assertFloat(javas(op, xs[3 + k], c), out[k], kernels, op + " constant right " + c);
                    }
                    kernels.binary(op, c, ys, 1, out, 1, n);
                    for (int k = 0; k < n; k++) {
                        assertFloat(javas(op, c, ys[1 + k]), out[1 + k], kernels, op + " constant left " + c);
                    }
                }
            }
        }
    }

    // ---- checks ----

    /**
     * {@code x} runs over every 16-bit pattern in order and {@code y} over every pattern in another order, for
     * every dtype and each of the four rounding combinations of the fused affine, against {@link AffineSpec#apply}.
     */
    private void checkFusedAffine(float a, float b) {
        int n = OFFSET + 65536;
        short[] x = new short[n];
        short[] y = new short[n];
        for (int p = 0; p < 65536; p++) {
            x[OFFSET + p] = (short) p;
            y[OFFSET + p] = (short) (p * 40503 + 12345); // an odd multiplier: a permutation of the patterns
        }
        for (DType d : HALVES) {
            float[] fx = new float[n];
            float[] fy = new float[n];
            for (int i = 0; i < n; i++) {
                fx[i] = d.bitsToFloat(x[i]);
                fy[i] = d.bitsToFloat(y[i]);
            }
            for (int combo = 0; combo < 4; combo++) {
                boolean roundX = (combo & 1) != 0;
                boolean roundY = (combo & 2) != 0;
                AffineSpec spec = new AffineSpec(roundX ? d : DType.FLOAT32, roundY ? d : DType.FLOAT32,
                        DType.FLOAT32, d);
                float ca = spec.productX().round(a);
                float cb = spec.productY().round(b);
                int[] expected = new int[n];
                for (int i = OFFSET; i < n; i++) {
                    expected[i] = d.floatToBits(spec.apply(a, fx[i], b, fy[i]));
                }
                for (BlockKernels kernels : implementations()) {
                    // All of it at once, then one odd-sized block that ends in a scalar tail.
                    short[] out = new short[n];
                    kernels.affine(d, ca, x, roundX, cb, y, roundY, out, OFFSET, 65536);
                    kernels.affine(d, ca, x, roundX, cb, y, roundY, out, OFFSET + 7, 1000);
                    for (int i = OFFSET; i < n; i++) {
                        if (!sameResult(d, expected[i], out[i] & 0xFFFF)) {
                            assertBits(expected[i], out[i] & 0xFFFF, kernels, spec + " a=" + a + " b=" + b
                                    + " x=" + hex(x[i] & 0xFFFF) + " y=" + hex(y[i] & 0xFFFF));
                        }
                    }
                }
            }
        }
    }

    private static void checkNarrowAndRound(DType d, float[] values) {
        for (BlockKernels kernels : implementations()) {
            short[] narrowed = new short[values.length + OUT_OFFSET];
            kernels.narrow(d, values, 0, narrowed, OUT_OFFSET, values.length);
            float[] rounded = new float[values.length + 2];
            System.arraycopy(values, 0, rounded, 2, values.length);
            kernels.round(d, rounded, 2, values.length);
            for (int i = 0; i < values.length; i++) {
                int expected = d.floatToBits(values[i]);
                if ((narrowed[OUT_OFFSET + i] & 0xFFFF) != expected) {
                    assertBits(expected, narrowed[OUT_OFFSET + i] & 0xFFFF, kernels,
                            d + " narrow of " + hex(Float.floatToRawIntBits(values[i])));
                }
                int expectedRounded = Float.floatToRawIntBits(d.round(values[i]));
                if (Float.floatToRawIntBits(rounded[2 + i]) != expectedRounded) {
                    assertBits(expectedRounded, Float.floatToRawIntBits(rounded[2 + i]), kernels,
                            d + " round of " + hex(Float.floatToRawIntBits(values[i])));
                }
            }
        }
    }

    // ---- data ----

    private static short[] every16BitPattern() {
        short[] all = new short[65536];
        for (int p = 0; p < all.length; p++) {
            all[p] = (short) p;
        }
        return all;
    }

    /**
     * For every pattern {@code p} of {@code d}: its value, the midpoint to the next pattern (a tie: the float32
     * sum of two neighbours is exact, as both have at most 11 significant bits), and the float32 neighbours of
     * each. Also every float32 whose high half is {@code p} with low halves around bfloat16's tie, and NaNs with
     * many payloads (all of them are among these).
     */
    private static float[] boundaryValues(DType d) {
        int[] lows = {0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x1000, 0x0FFF, 0x1001, 0x2000};
        float[] values = new float[65536 * (6 + lows.length)];
        int n = 0;
        for (int p = 0; p < 65536; p++) {
            float v = d.bitsToFloat(p);
            float next = d.bitsToFloat((p + 1) & 0xFFFF);
            float mid = (float) (((double) v + next) / 2);
            for (float f : new float[] {v, mid}) {
                values[n++] = f;
                values[n++] = Math.nextUp(f);
                values[n++] = Math.nextDown(f);
            }
            for (int low : lows) {
                values[n++] = Float.intBitsToFloat((p << 16) | low);
            }
        }
        return values;
    }

    /**
     * Random float32 values, a third of them special: NaNs with random payloads, infinities, zeros, subnormals,
     * the largest floats, and values exactly halfway between two bfloat16 or float16 neighbours.
     */
    static Gen<Float> floatsWithSpecials() {
        return integers().all().zip(integers().between(0, 11), (bits, kind) -> switch (kind) {
            case 0 -> Float.intBitsToFloat(bits | 0x7F800001);                      // NaN, any payload and sign
            case 1 -> bits < 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
            case 2 -> Float.intBitsToFloat(bits & 0x807FFFFF);                       // subnormal or zero
            case 3 -> Float.intBitsToFloat((bits & 0xFFFF0000) | 0x8000);             // bfloat16 tie
            case 4 -> {                                                              // float16 tie
                float v = Float.float16ToFloat((short) (int) bits);
                yield Float.isFinite(v) ? (float) ((v + (double) Float.float16ToFloat((short) (bits + 1))) / 2) : v;
            }
            case 5 -> Float.intBitsToFloat((bits & 0x80000000) | 0x7F7FFFFF - (bits & 0xFF)); // near the largest
            default -> Float.intBitsToFloat(bits);                                   // any float32
        });
    }

    private static float[] filled(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    /**
     * Bit equality of two results of dtype {@code d}, except that for float16 any NaN matches any NaN: Java leaves
     * open which NaN an operation on two NaNs returns ({@code NaN * NaN}, {@code NaN + NaN}), and float16 keeps the
     * payload, so two correct evaluations may differ there. (bfloat16 NaNs are always {@code 0x7FC0}.)
     */
    private static boolean sameResult(DType d, int expected, int actual) {
        return expected == actual || d == DType.FLOAT16 && isF16NaN(expected) && isF16NaN(actual);
    }

    private static boolean isF16NaN(int bits) {
        return (bits & 0x7C00) == 0x7C00 && (bits & 0x03FF) != 0;
    }

    private static void assertBits(int expected, int actual, BlockKernels kernels, String what) {
        assertEquals(hex(expected), hex(actual), kernels.description() + ": " + what);
    }

    /** Bit equality, except that any NaN matches any NaN: Java leaves open which NaN {@code NaN + NaN} is. */
    private static void assertFloat(float expected, float actual, BlockKernels kernels, String what) {
        if (Float.isNaN(expected) && Float.isNaN(actual)) {
            return;
        }
        assertBits(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), kernels, what);
    }

    private static String hex(int bits) {
        return String.format("0x%X", bits);
    }
}

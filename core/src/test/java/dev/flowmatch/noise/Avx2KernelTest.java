package dev.flowmatch.noise;

import static dev.flowmatch.testing.Properties.qt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;

/**
 * The fast {@link Avx2Kernel} against the lane-by-lane port of {@code normal_fill_16_AVX2}
 * ({@link TorchRandn#avx2Block} over {@link AvxMathfun}): same bits for every input tried, including the edges
 * (u = 0, so log(1) = 0 and a zero radius; the largest u; every quadrant of the sine and cosine).
 */
class Avx2KernelTest {

    private static void assertSameAsReference(float[] uniforms) {
        float[] fast = uniforms.clone();
        float[] reference = uniforms.clone();
        int blocks = uniforms.length / 16;
        Avx2Kernel.transform(fast, 0, blocks, new Avx2Kernel.Scratch());
        for (int b = 0; b < blocks; b++) {
            TorchRandn.avx2Block(reference, 16 * b);
        }
        for (int i = 0; i < 16 * blocks; i++) {
            int k = i;
            assertEquals(Float.floatToRawIntBits(reference[k]), Float.floatToRawIntBits(fast[k]),
                    () -> "element " + k + ": u1 " + uniforms[(k & ~15) | (k & 7)] + ", u2 "
                            + uniforms[(k & ~15) | 8 | (k & 7)]);
        }
    }

    @Test
    void sweepOfEveryUniformValueStrided() {
        // all 2^24 values of each uniform, in steps of 61 (covers every exponent and quadrant), paired two ways
        int count = ((1 << 24) / 61 / 8 + 1) * 8;
        float[] u = new float[2 * count];
        for (int p = 0; p < count; p++) {
            int k = Math.min(p * 61, (1 << 24) - 1);
            int block = p / 8;
            int lane = p % 8;
            u[16 * block + lane] = k * 0x1p-24f;
            u[16 * block + 8 + lane] = ((1 << 24) - 1 - k) * 0x1p-24f;
        }
        assertSameAsReference(u);
    }

    @Test
    void edgesAndRandomBlocks() {
        float[] edges = new float[32];
        edges[0] = 0f; // u1 = 1: log 0, radius 0
        edges[8] = 0f; // theta 0
        edges[1] = 1 - 0x1p-24f; // u1 = 2^-24: the largest radius
        edges[9] = 1 - 0x1p-24f; // theta just below 2 pi
        edges[2] = 0.5f;
        edges[10] = 0.25f; // theta = pi / 2
        edges[3] = 0.75f;
        edges[11] = 0.5f; // theta = pi
        edges[4] = 0.125f;
        edges[12] = 0.75f; // theta = 3 pi / 2
        for (int i = 16; i < 32; i++) {
            edges[i] = (i * 1234567 & 0xFFFFFF) * 0x1p-24f;
        }
        assertSameAsReference(edges);
        qt().forAll(integers().all(), integers().between(1, 200)).checkAssert((seed, blocks) -> {
            float[] u = new float[16 * blocks];
            new Mt19937(seed).fillUniform(u, 0, u.length, 0xFFFFFF, 0x1p-24f);
            assertSameAsReference(u);
        });
    }

    @Test
    void bulkUniformsEqualOneWordAtATime() {
        qt().forAll(integers().all(), integers().between(0, 2000), integers().between(0, 2000))
                .checkAssert((seed, skip, n) -> {
                    Mt19937 bulk = new Mt19937(seed);
                    Mt19937 single = new Mt19937(seed);
                    for (int i = 0; i < skip; i++) {
                        bulk.nextInt();
                        single.nextInt();
                    }
                    float[] out = new float[n];
                    bulk.fillUniform(out, 0, n, 0xFFFFFF, 0x1p-24f);
                    for (int i = 0; i < n; i++) {
                        assertEquals((single.nextInt() & 0xFFFFFF) * 0x1p-24f, out[i]);
                    }
                    assertEquals(single.nextInt(), bulk.nextInt());
                });
    }

    @Test
    void theTwisterIsStdMt19937() {
        // std::mt19937 with the default seed 5489 gives 3499211612 first, and 4123659995 as its 10000th output
        // (the C++ standard's check value, [rand.predef]).
        Mt19937 mt = new Mt19937(5489);
        assertEquals(3499211612L, mt.nextInt() & 0xffffffffL);
        for (int i = 2; i < 10000; i++) {
            mt.nextInt();
        }
        assertEquals(4123659995L, mt.nextInt() & 0xffffffffL);
    }
}

package dev.flowmatch.conformance;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.util.SplittableRandom;

/** Random tensor contents for properties: mostly ordinary values, sometimes the corners of each dtype. */
final class Data {
    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0.0f,
            0.0f, Float.MIN_VALUE, -Float.MIN_NORMAL, 1e-40f, 65504f, 65520f, -3.3895314e38f, Float.MAX_VALUE,
            1.00390625f, -1.01171875f, 6.1e-5f, 5.9604645e-8f};

    private Data() {}

    /** {@code n} values: normal(0, scale) mostly, a special value with probability {@code specials}. */
    static float[] values(long seed, int n, double scale, double specials) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = random.nextDouble() < specials ? SPECIALS[random.nextInt(SPECIALS.length)]
                    : (float) (nextGaussian(random) * scale);
        }
        return out;
    }

    private static double nextGaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A random shape of rank 1..3 with at most {@code maxElements} elements. */
    static Shape shape(long seed, int maxElements) {
        SplittableRandom random = new SplittableRandom(seed);
        int rank = 1 + random.nextInt(3);
        long[] dims = new long[rank];
        long left = maxElements;
        for (int i = 0; i < rank; i++) {
            long d = 1 + random.nextLong(Math.max(1, (long) Math.pow(left, 1.0 / (rank - i))));
            dims[i] = d;
            left = Math.max(1, left / d);
        }
        return Shape.of(dims);
    }

    static DType dtype(int i) {
        return DType.values()[Math.floorMod(i, DType.values().length)];
    }
}

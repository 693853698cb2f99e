package dev.flowmatch.noise;

/**
 * One lane of {@code log256_ps} (line 89 in torch 1.13.1) and {@code sincos256_ps} (line 425) from PyTorch's
 * {@code aten/src/ATen/native/cpu/avx_mathfun.h}
 * (Giovanni Garberoglio's AVX port of Julien Pommier's cephes-based {@code sse_mathfun.h}, zlib licence), as
 * torch's AVX2 kernels run it: compiled by GCC with {@code -mavx2 -mfma} and the default
 * {@code -ffp-contract=fast}, so every {@code _mm256_add_ps(_mm256_mul_ps(a, b), c)} whose product has no other
 * use becomes one fused multiply-add. Each {@link Math#fma} below stands for such a contraction; every other
 * operation is a plain float operation, exactly as the eight lanes compute it. (Where two products meet in one
 * add, GCC fuses the first: {@code y*z + e*q1} is {@code fma(y, z, e*q1)}.) Checked against the header compiled by
 * GCC 12 with {@code -O2 -mavx2 -mfma} for all 2^24 arguments of each function, and against torch's own output.
 */
final class AvxMathfun {
    private AvxMathfun() {}

    private static final float SQRTHF = 0.707106781186547524f;
    private static final float LOG_P0 = 7.0376836292E-2f;
    private static final float LOG_P1 = -1.1514610310E-1f;
    private static final float LOG_P2 = 1.1676998740E-1f;
    private static final float LOG_P3 = -1.2420140846E-1f;
    private static final float LOG_P4 = 1.4249322787E-1f;
    private static final float LOG_P5 = -1.6668057665E-1f;
    private static final float LOG_P6 = 2.0000714765E-1f;
    private static final float LOG_P7 = -2.4999993993E-1f;
    private static final float LOG_P8 = 3.3333331174E-1f;
    private static final float LOG_Q1 = -2.12194440e-4f;
    private static final float LOG_Q2 = 0.693359375f;

    /** {@code log256_ps} for one lane; {@code x > 0} (the kernel feeds {@code 1 - u}, u in [0, 1)). */
    static float log(float x) {
        boolean invalid = !(x > 0f); // _CMP_LE_OS: x <= 0 (NaN compares false here but the max below keeps it)
        x = Math.max(x, Float.MIN_NORMAL); // cut off denormals; AVX max returns the second operand on NaN
        int bits = Float.floatToRawIntBits(x);
        int imm0 = bits >>> 23;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | 0x3f000000); // keep the mantissa, exponent of 0.5
        imm0 -= 0x7f;
        float e = (float) imm0;
        e = e + 1f;
        boolean mask = x < SQRTHF;
        float tmp = mask ? x : 0f;
        x = x - 1f;
        e = e - (mask ? 1f : 0f);
        x = x + tmp;
        float z = x * x;
        float y = LOG_P0;
        y = Math.fma(y, x, LOG_P1);
        y = Math.fma(y, x, LOG_P2);
        y = Math.fma(y, x, LOG_P3);
        y = Math.fma(y, x, LOG_P4);
        y = Math.fma(y, x, LOG_P5);
        y = Math.fma(y, x, LOG_P6);
        y = Math.fma(y, x, LOG_P7);
        y = Math.fma(y, x, LOG_P8);
        y = y * x;
        tmp = e * LOG_Q1;
        y = Math.fma(y, z, tmp); // y = y*z + e*q1: the first product fused
        y = Math.fma(-z, 0.5f, y); // y - z*0.5 (exact product, so fused or not gives the same)
        x = x + y;
        x = Math.fma(e, LOG_Q2, x); // e*q2 is exact (small integer times a 9-bit constant)
        if (invalid) {
            return Float.intBitsToFloat(Float.floatToRawIntBits(x) | 0xffffffff);
        }
        return x;
    }

    private static final float DP1 = -0.78515625f;
    private static final float DP2 = -2.4187564849853515625e-4f;
    private static final float DP3 = -3.77489497744594108e-8f;
    private static final float SIN_P0 = -1.9515295891E-4f;
    private static final float SIN_P1 = 8.3321608736E-3f;
    private static final float SIN_P2 = -1.6666654611E-1f;
    private static final float COS_P0 = 2.443315711809948E-005f;
    private static final float COS_P1 = -1.388731625493765E-003f;
    private static final float COS_P2 = 4.166664568298827E-002f;
    private static final float FOPI = 1.27323954473516f; // 4 / pi

    /**
     * {@code sincos256_ps} for one lane: returns sine and cosine as the high and low 32 bits of a long (raw float
     * bits), so the caller allocates nothing.
     */
    static long sincos(float xin) {
        int xbits = Float.floatToRawIntBits(xin);
        int signSin = xbits & 0x80000000;
        float x = Float.intBitsToFloat(xbits & 0x7fffffff);
        float y = x * FOPI;
        int j = (int) y; // cvttps: truncation (in range for the arguments the kernels pass)
        j = (j + 1) & ~1;
        y = (float) j;
        int swapSignSin = (j & 4) << 29;
        boolean polyMask = (j & 2) == 0;
        // extended precision modular arithmetic: x = ((x - y*DP1) - y*DP2) - y*DP3
        x = Math.fma(y, DP1, x);
        x = Math.fma(y, DP2, x);
        x = Math.fma(y, DP3, x);
        int signCos = (~(j - 2) & 4) << 29;
        signSin ^= swapSignSin;

        float z = x * x;
        float yc = COS_P0;
        yc = Math.fma(yc, z, COS_P1);
        yc = Math.fma(yc, z, COS_P2);
        yc = yc * z;
        float tmp = z * 0.5f;
        yc = Math.fma(yc, z, -tmp); // y*z - z*0.5: the first product fused
        yc = yc + 1f;

        float ys = SIN_P0;
        ys = Math.fma(ys, z, SIN_P1);
        ys = Math.fma(ys, z, SIN_P2);
        ys = ys * z;
        ys = Math.fma(ys, x, x);

        float ysin2 = polyMask ? ys : 0f;
        float ysin1 = polyMask ? 0f : yc;
        ys = ys - ysin2;
        yc = yc - ysin1;
        float sin = ysin1 + ysin2;
        float cos = yc + ys;
        int s = Float.floatToRawIntBits(sin) ^ signSin;
        int c = Float.floatToRawIntBits(cos) ^ signCos;
        return ((long) s << 32) | (c & 0xffffffffL);
    }
}

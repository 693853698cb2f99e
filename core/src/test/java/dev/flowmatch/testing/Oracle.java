package dev.flowmatch.testing;

import java.math.BigDecimal;

/**
 * An independent oracle for float32 and bfloat16 arithmetic, written differently from the code under test:
 * exact decimal arithmetic rounded once ({@link BigDecimal#floatValue()} is correctly rounded), and the
 * Veltkamp split for bfloat16 rounding (DESIGN.md: exact round-to-nearest-even for every normal float with
 * |x| <= 1e30, checked exhaustively).
 */
public final class Oracle {
    private Oracle() {}

    /** The float32 product, correctly rounded. */
    public static float mul(float a, float b) {
        if (!Float.isFinite(a) || !Float.isFinite(b)) {
            return a * b;
        }
        return exact(a).multiply(exact(b)).floatValue();
    }

    /** The float32 sum, correctly rounded. */
    public static float add(float a, float b) {
        if (!Float.isFinite(a) || !Float.isFinite(b)) {
            return a + b;
        }
        BigDecimal sum = exact(a).add(exact(b));
        if (sum.signum() == 0) {
            return a + b; // the sign of a zero sum follows IEEE rules, not BigDecimal's
        }
        return sum.floatValue();
    }

    /** bfloat16 rounding by the Veltkamp split, valid for normal values with |x| <= 1e30 (asserted). */
    public static float bf16(float x) {
        if (x == 0 || Float.isNaN(x)) {
            return x;
        }
        if (!(Math.abs(x) >= Float.MIN_NORMAL && Math.abs(x) <= 1e30f)) {
            throw new IllegalArgumentException("the Veltkamp oracle covers normal |x| <= 1e30 only, got " + x);
        }
        float p = x * 65537f;
        return p - (p - x);
    }

    /** bfloat16 rounding that also accepts zero and values too small for the Veltkamp split (flushed). */
    public static float bf16OrZero(float x) {
        return Math.abs(x) < Float.MIN_NORMAL ? 0f * x : bf16(x);
    }

    private static BigDecimal exact(float f) {
        return new BigDecimal(f);
    }
}

package dev.flowmatch.torchmath;

import dev.flowmatch.noise.TorchCpuKernel;

/**
 * Scans every float32 input, in increasing order of value, for places where {@link TorchFloatMath}'s {@code exp},
 * {@code log} or {@code expm1} decreases; run by hand. Since {@link ExhaustiveUnaryCheck} finds the functions
 * equal to torch's on all 2^32 inputs, this tells whether torch's are monotone, which is what
 * {@code TorchFloatMathTest}'s monotonicity property relies on. Prints the count of decreasing steps per function
 * and kernel (NaN results skipped) and exits 1 if any.
 */
public final class MonotonicityScan {
    private MonotonicityScan() {}

    public static void main(String[] args) {
        long total = 0;
        for (String function : new String[] {"exp", "log", "expm1"}) {
            for (TorchCpuKernel kernel : TorchCpuKernel.values()) {
                long decreases = 0;
                float previous = Float.NaN;
                // -inf up to -0 (descending bit patterns), then +0 up to +inf (ascending)
                for (long bits = 0xff800000L; bits >= 0x80000000L; bits--) {
                    float y = apply(function, Float.intBitsToFloat((int) bits), kernel);
                    decreases += y < previous ? 1 : 0;
                    previous = Float.isNaN(y) ? previous : y;
                }
                for (long bits = 0; bits <= 0x7f800000L; bits++) {
                    float y = apply(function, Float.intBitsToFloat((int) bits), kernel);
                    decreases += y < previous ? 1 : 0;
                    previous = Float.isNaN(y) ? previous : y;
                }
                System.out.printf("%s %s: %d decreasing steps%n", function, kernel, decreases);
                total += decreases;
            }
        }
        System.exit(total == 0 ? 0 : 1);
    }

    private static float apply(String function, float x, TorchCpuKernel kernel) {
        return switch (function) {
            case "exp" -> TorchFloatMath.exp(x, kernel);
            case "log" -> TorchFloatMath.log(x, kernel);
            default -> TorchFloatMath.expm1(x, kernel);
        };
    }
}

package dev.flowmatch.schedule;

/**
 * The sigma shifts of diffusers' {@code FlowMatchEulerDiscreteScheduler}, each in the two precisions the
 * reference uses. diffusers runs them on numpy arrays that are float32 (custom sigmas are cast to float32
 * first) or float64 (its own default spacing); numpy 1.x computes {@code python_float op float32_array} in
 * float32 after casting the Python float to float32, which the float32 versions reproduce operation by
 * operation. Java never fuses or reorders float operations, so each line below is exactly one rounding of
 * the reference.
 */
public final class Shifts {
    private Shifts() {}

    /**
     * Fixed shift {@code shift * t / (1 + (shift - 1) * t)} in float32: {@code shift} and {@code shift - 1}
     * (a Python float difference, so computed in float64) are cast to float32, then float32 arithmetic.
     *
     * @param shift the fixed shift (a Python float in diffusers)
     * @param t     the unshifted sigma
     * @return the shifted sigma, float32
     */
    public static float fixed(double shift, float t) {
        float s = (float) shift;
        float sMinus1 = (float) (shift - 1);
        return (s * t) / (1f + sMinus1 * t);
    }

    /**
     * Fixed shift in float64.
     *
     * @param shift the fixed shift
     * @param t     the unshifted sigma
     * @return the shifted sigma, float64
     */
    public static double fixed(double shift, double t) {
        return shift * t / (1 + (shift - 1) * t);
    }

    /**
     * Exponential time shift {@code e^mu / (e^mu + (1/t - 1)^1)} in float32 ({@code _time_shift_exponential};
     * diffusers passes {@code sigma = 1.0}, and {@code x ** 1.0 == x}). {@code math.exp(mu)} is a float64 that
     * numpy casts to float32; {@code 1 / t} is a float32 division.
     *
     * @param mu the dynamic-shift mu
     * @param t  the unshifted sigma
     * @return the shifted sigma, float32
     */
    public static float exponential(double mu, float t) {
        float expMu = (float) StrictMath.exp(mu);
        return expMu / (expMu + (1f / t - 1f));
    }

    /**
     * Exponential time shift in float64.
     *
     * @param mu the dynamic-shift mu
     * @param t  the unshifted sigma
     * @return the shifted sigma, float64
     */
    public static double exponential(double mu, double t) {
        double expMu = StrictMath.exp(mu);
        return expMu / (expMu + (1 / t - 1));
    }

    /**
     * Linear time shift {@code mu / (mu + (1/t - 1))} in float32 ({@code _time_shift_linear}).
     *
     * @param mu the dynamic-shift mu
     * @param t  the unshifted sigma
     * @return the shifted sigma, float32
     */
    public static float linear(double mu, float t) {
        float m = (float) mu;
        return m / (m + (1f / t - 1f));
    }

    /**
     * Linear time shift in float64.
     *
     * @param mu the dynamic-shift mu
     * @param t  the unshifted sigma
     * @return the shifted sigma, float64
     */
    public static double linear(double mu, double t) {
        return mu / (mu + (1 / t - 1));
    }

    /**
     * The time shift of the given type in float32.
     *
     * @param type the config's {@code time_shift_type}
     * @param mu   the dynamic-shift mu
     * @param t    the unshifted sigma
     * @return the shifted sigma, float32
     */
    public static float timeShift(TimeShiftType type, double mu, float t) {
        return type == TimeShiftType.EXPONENTIAL ? exponential(mu, t) : linear(mu, t);
    }

    /**
     * The time shift of the given type in float64.
     *
     * @param type the config's {@code time_shift_type}
     * @param mu   the dynamic-shift mu
     * @param t    the unshifted sigma
     * @return the shifted sigma, float64
     */
    public static double timeShift(TimeShiftType type, double mu, double t) {
        return type == TimeShiftType.EXPONENTIAL ? exponential(mu, t) : linear(mu, t);
    }

    /**
     * {@code stretch_shift_to_terminal} on a float32 array, in place: {@code 1 - (1 - t) / scale} with
     * {@code scale = (1 - t[-1]) / (1 - shift_terminal)}. In numpy 1.x the scale is a scalar-by-scalar
     * division ({@code np.float32 / float}), which promotes to float64; dividing the float32 array by it casts
     * it back to float32.
     *
     * @param t             the shifted sigmas, stretched in place
     * @param shiftTerminal the config's {@code shift_terminal}, in (0, 1)
     * @throws IllegalArgumentException if the last sigma is 1 (diffusers would return NaN sigmas)
     */
    public static void stretchToTerminal(float[] t, double shiftTerminal) {
        requireStretchable(t[t.length - 1], shiftTerminal);
        float lastOneMinus = 1f - t[t.length - 1];
        float scale = (float) (lastOneMinus / (1 - shiftTerminal));
        for (int i = 0; i < t.length; i++) {
            t[i] = 1f - ((1f - t[i]) / scale);
        }
    }

    /**
     * {@code stretch_shift_to_terminal} on a float64 array, in place.
     *
     * @param t             the shifted sigmas, stretched in place
     * @param shiftTerminal the config's {@code shift_terminal}, in (0, 1)
     * @throws IllegalArgumentException if the last sigma is 1 (diffusers would return NaN sigmas)
     */
    public static void stretchToTerminal(double[] t, double shiftTerminal) {
        requireStretchable(t[t.length - 1], shiftTerminal);
        double scale = (1 - t[t.length - 1]) / (1 - shiftTerminal);
        for (int i = 0; i < t.length; i++) {
            t[i] = 1 - ((1 - t[i]) / scale);
        }
    }

    /**
     * The stretch divides by {@code 1 - t[-1]}: when the last shifted sigma is 1 (a one-step schedule) diffusers
     * returns NaN sigmas; flowmatch refuses instead of returning a wrong number.
     */
    private static void requireStretchable(double last, double shiftTerminal) {
        if (last == 1) {
            throw new IllegalArgumentException("shift_terminal: " + shiftTerminal + " cannot stretch a schedule whose"
                    + " last sigma is 1 (one step, or all sigmas 1): diffusers would return NaN sigmas");
        }
    }
}

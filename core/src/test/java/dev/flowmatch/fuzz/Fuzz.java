package dev.flowmatch.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import dev.flowmatch.Limits;
import java.util.Arrays;

/**
 * What the fuzz targets share: values a user (or a bug upstream) might pass, and the property every target checks —
 * any input gives a valid result or a documented exception ({@link IllegalArgumentException}, and
 * {@link IllegalStateException} where the target says it is documented), never another exception type, a NaN where
 * a number is promised, a hang or an out-of-memory error.
 */
public final class Fuzz {
    /** Doubles at the edges: specials, the limits and their neighbours, values that overflow float32. */
    private static final double[] EDGE_DOUBLES = {
        Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0,
        1e-300, -1e-300, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, Float.MIN_VALUE, Float.MIN_NORMAL,
        Float.MAX_VALUE, 1e39, -1e39, 1e10, -1e10, 1e-10, 0.999999999, 1.000000001,
        Limits.MIN_MU, Limits.MAX_MU, Math.nextDown(Limits.MIN_MU), Math.nextUp(Limits.MAX_MU), 88.7, -103.9, -104,
        Limits.MIN_SHIFT, Limits.MAX_SHIFT, Math.nextDown(Limits.MIN_SHIFT), Math.nextUp(Limits.MAX_SHIFT),
        Limits.MIN_LINEAR_MU, 1000, 999.9999, 1e-7, 0.1, 0.9,
    };
    /** Ints at the edges. */
    private static final int[] EDGE_INTS = {
        0, 1, 2, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, Limits.MAX_STEPS, Limits.MAX_STEPS + 1, 15, 16, 17,
        Limits.MAX_IMAGE_SIDE, Limits.MAX_IMAGE_SIDE + 1, Limits.MAX_IMAGE_TOKENS, Limits.MAX_IMAGE_TOKENS + 1,
        1000, 1024, 4096, 4300, 4301, 65536, Limits.MAX_TRAIN_TIMESTEPS, Limits.MAX_TRAIN_TIMESTEPS + 1,
    };
    /** The marker of {@code Schedules}' last line of defence: reaching it means a check is missing. */
    static final String BACKSTOP = "outside the domain flowmatch computes";

    private Fuzz() {}

    /** Any double: an edge value, a plausible one, a probability, or any bit pattern. */
    public static double anyDouble(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> data.pickValue(Arrays.stream(EDGE_DOUBLES).boxed().toList());
            case 1 -> data.consumeRegularDouble(-10, 10);
            case 2 -> data.consumeProbabilityDouble();
            default -> data.consumeDouble();
        };
    }

    /** Any int: an edge value, a small one, or any. */
    public static int anyInt(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 2)) {
            case 0 -> data.pickValue(Arrays.stream(EDGE_INTS).boxed().toList());
            case 1 -> data.consumeInt(-2, 64);
            default -> data.consumeInt();
        };
    }

    /** A step count: mostly small (so a run stays fast), sometimes an edge. */
    public static int anySteps(FuzzedDataProvider data) {
        return data.consumeBoolean() ? data.consumeInt(1, 12) : anyInt(data);
    }

    /** Up to {@code max} doubles, each {@link #anyDouble} or a decreasing ramp (the common case). */
    public static double[] anyDoubles(FuzzedDataProvider data, int max) {
        int n = data.consumeInt(0, max);
        double[] values = new double[n];
        boolean ramp = data.consumeBoolean();
        for (int i = 0; i < n; i++) {
            values[i] = ramp ? 1.0 - (double) i / n * data.consumeProbabilityDouble() : anyDouble(data);
        }
        return values;
    }

    /** Runs a call whose documented failure is an {@link IllegalArgumentException}; anything else fails. */
    public static void expectValidOrIllegalArgument(Runnable call) {
        try {
            call.run();
        } catch (IllegalArgumentException e) {
            requireGoodMessage(e);
        }
    }

    /**
     * A documented refusal names something: a non-empty message, not the last-line-of-defence marker (reaching it
     * means a precise check is missing), on one line unless it lists items on indented lines.
     */
    public static void requireGoodMessage(RuntimeException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            throw new AssertionError("a refusal without a message", e);
        }
        // the last line of defence starts with the request (a user's text cannot start a message), see Schedules
        if (m.startsWith("ScheduleRequest[") && m.contains(BACKSTOP)) {
            throw new AssertionError("reached the last line of defence (a missing check): " + m, e);
        }
    }

    /**
     * A schedule's numbers: every sigma and timestep finite, one more sigma than timesteps is not required here
     * (Heun repeats), and the sigmas monotone (non-increasing, or non-decreasing when inverted) up to a few float32
     * ulps of the reference's own rounding.
     */
    public static void requireValidSchedule(float[] sigmas, float[] timesteps, String context) {
        if (sigmas.length < 2 || timesteps.length < 1) {
            throw new AssertionError(context + ": an empty schedule: " + Arrays.toString(sigmas));
        }
        for (float s : sigmas) {
            if (!Float.isFinite(s)) {
                throw new AssertionError(context + ": a non-finite sigma: " + Arrays.toString(sigmas));
            }
        }
        for (float t : timesteps) {
            if (!Float.isFinite(t)) {
                throw new AssertionError(context + ": a non-finite timestep: " + Arrays.toString(timesteps));
            }
        }
        // direction from the ends: the terminal sigma is 0 (or 1 when inverted)
        boolean decreasing = sigmas[sigmas.length - 1] <= sigmas[0];
        for (int i = 1; i < sigmas.length; i++) {
            float step = decreasing ? sigmas[i] - sigmas[i - 1] : sigmas[i - 1] - sigmas[i];
            float slack = 4 * Math.ulp(Math.max(Math.abs(sigmas[i]), Math.abs(sigmas[i - 1])));
            if (step > slack) {
                throw new AssertionError(context + ": sigmas not monotone at " + i + ": " + Arrays.toString(sigmas));
            }
        }
    }

    /** Flow-matching sigmas also lie in [0, 1], up to the reference's rounding. */
    public static void requireFlowRange(float[] sigmas, String context) {
        for (float s : sigmas) {
            if (s < -1e-3f || s > 1 + 1e-3f) {
                throw new AssertionError(context + ": a sigma outside [0, 1]: " + Arrays.toString(sigmas));
            }
        }
    }
}

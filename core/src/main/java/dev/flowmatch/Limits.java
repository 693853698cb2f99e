package dev.flowmatch;

import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.util.Locale;
import java.util.Objects;

/**
 * The domain flowmatch accepts, in one place: every public entry point checks its arguments against these limits
 * before computing, and a value outside them is an {@link IllegalArgumentException} naming the parameter, its value
 * and the accepted range. Inside them every schedule is finite and every step computes; the README's "Limits" table
 * repeats these numbers with the reasons.
 *
 * <p>Why these numbers (each one is far beyond what a FLUX.2 pipeline uses, and just inside where the reference's
 * arithmetic still gives numbers):
 * <ul>
 *   <li>{@link #MAX_STEPS}: FLUX.2 runs 4 (klein) to 50 (klein base) steps; 10,000 leaves room for convergence
 *       studies, while diffusers' empirical mu, extrapolated linearly in the step count, reaches about -74 there
 *       (at one token) and keeps {@code e^mu} a normal float32.</li>
 *   <li>{@link #MAX_IMAGE_SIDE}, {@link #MAX_IMAGE_PIXELS}: 16x FLUX.2's 4 megapixels; the empirical mu of the
 *       largest image is about 44.8, so {@code e^mu} stays finite in float32.</li>
 *   <li>{@link #MIN_MU}, {@link #MAX_MU}: diffusers computes {@code e^mu} in float32 for custom sigmas; outside
 *       [-87, 88] it is 0 or infinite and the reference returns NaN sigmas.</li>
 *   <li>{@link #MIN_SHIFT}, {@link #MAX_SHIFT}: diffusers casts {@code shift - 1} to float32; below 0.01 that
 *       rounding moves the first sigma visibly away from 1 (and below 2^-25 it divides by zero).</li>
 *   <li>{@link #MAX_TRAIN_TIMESTEPS}: diffusers' schedulers hold arrays of {@code num_train_timesteps}
 *       entries (1000 in every released config).</li>
 *   <li>{@link #maxElements()}: a cap on the elements of one tensor flowmatch allocates from a shape, checked
 *       before allocating, so a mistaken shape is an error message instead of an {@link OutOfMemoryError}.</li>
 * </ul>
 */
public final class Limits {
    /** The most inference steps: {@code num_inference_steps}, and the length of custom sigmas / timesteps. */
    public static final int MAX_STEPS = 10_000;
    /** The longest image side, in pixels. */
    public static final int MAX_IMAGE_SIDE = 16_384;
    /** The most pixels of an image: 64 megapixels (2^26), 16 times FLUX.2's 4 megapixels. */
    public static final long MAX_IMAGE_PIXELS = 1L << 26;
    /** The most latent tokens of an image, {@code (H/16) * (W/16)} of {@link #MAX_IMAGE_PIXELS}: 262,144. */
    public static final int MAX_IMAGE_TOKENS = (int) (MAX_IMAGE_PIXELS / 256);
    /** The smallest {@code mu}: {@code e^-87} is still a normal float32. */
    public static final double MIN_MU = -87;
    /** The largest {@code mu}: {@code e^88} is still a finite float32. */
    public static final double MAX_MU = 88;
    /**
     * The smallest {@code mu} of the linear time shift {@code mu / (mu + 1/t - 1)}: it must be positive (0 gives
     * {@code 0/0} at {@code t = 1}, a negative mu negative sigmas), and a normal float32.
     */
    public static final double MIN_LINEAR_MU = Float.MIN_NORMAL;
    /** The smallest fixed {@code shift}. */
    public static final double MIN_SHIFT = 0.01;
    /** The largest fixed {@code shift}. */
    public static final double MAX_SHIFT = 1000;
    /** The most training timesteps ({@code num_train_timesteps}; 1000 in every released config). */
    public static final int MAX_TRAIN_TIMESTEPS = 100_000;

    /** System property capping the elements of one tensor flowmatch allocates from a shape: {@value}. */
    public static final String MAX_ELEMENTS_PROPERTY = "flowmatch.maxElements";
    /** The default cap: 2^28 elements (1 GiB as float32), the latents of 8 images at {@link #MAX_IMAGE_PIXELS}. */
    public static final long DEFAULT_MAX_ELEMENTS = 1L << 28;
    /** The most elements one Java array can hold, and so the most the cap can allow. */
    public static final long ARRAY_LIMIT = Integer.MAX_VALUE - 8;

    private Limits() {}

    /**
     * Checks a step count ({@code num_inference_steps}, or a number of custom values).
     *
     * @param name  the parameter as the caller knows it
     * @param steps the value
     * @return {@code steps}
     * @throws IllegalArgumentException outside {@code [1, MAX_STEPS]}
     */
    public static int requireSteps(String name, long steps) {
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException(name + ": " + steps + " must lie in [1, " + MAX_STEPS + "]");
        }
        return (int) steps;
    }

    /**
     * Checks an image size: each side in {@code [16, MAX_IMAGE_SIDE]} pixels (one latent token is 16x16) and at
     * most {@link #MAX_IMAGE_PIXELS} pixels.
     *
     * @param widthName  the width parameter as the caller knows it
     * @param width      the width in pixels
     * @param heightName the height parameter as the caller knows it
     * @param height     the height in pixels
     * @throws IllegalArgumentException naming the side or the product that is out of range
     */
    public static void requireImageSize(String widthName, long width, String heightName, long height) {
        requireImageSize(widthName, width, heightName, height, 16);
    }

    /**
     * Checks an image size whose sides may be smaller than one token (ComfyUI rounds {@code W*H/256}): each side in
     * {@code [minSide, MAX_IMAGE_SIDE]} and at most {@link #MAX_IMAGE_PIXELS} pixels.
     *
     * @param widthName  the width parameter as the caller knows it
     * @param width      the width in pixels
     * @param heightName the height parameter as the caller knows it
     * @param height     the height in pixels
     * @param minSide    the smallest side accepted
     * @throws IllegalArgumentException naming the side or the product that is out of range
     */
    public static void requireImageSize(String widthName, long width, String heightName, long height, int minSide) {
        requireSide(widthName, width, minSide);
        requireSide(heightName, height, minSide);
        if (width * height > MAX_IMAGE_PIXELS) {
            throw new IllegalArgumentException(widthName + " x " + heightName + ": " + width + "x" + height + " is "
                    + width * height + " pixels, more than " + MAX_IMAGE_PIXELS + " (64 megapixels)");
        }
    }

    private static void requireSide(String name, long pixels, int minSide) {
        if (pixels < minSide || pixels > MAX_IMAGE_SIDE) {
            throw new IllegalArgumentException(name + ": " + pixels + " must lie in [" + minSide + ", "
                    + MAX_IMAGE_SIDE + "] pixels");
        }
    }

    /**
     * Checks a number of latent tokens (an image sequence length).
     *
     * @param name   the parameter as the caller knows it
     * @param tokens the value
     * @return {@code tokens}
     * @throws IllegalArgumentException outside {@code [1, MAX_IMAGE_TOKENS]}
     */
    public static int requireTokens(String name, long tokens) {
        if (tokens < 1 || tokens > MAX_IMAGE_TOKENS) {
            throw new IllegalArgumentException(name + ": " + tokens + " must lie in [1, " + MAX_IMAGE_TOKENS
                    + "] (the tokens of a 64-megapixel image)");
        }
        return (int) tokens;
    }

    /**
     * Checks {@code mu} for the exponential time shift (and any {@code e^mu}).
     *
     * @param name the parameter as the caller knows it
     * @param mu   the value
     * @return {@code mu}
     * @throws IllegalArgumentException outside {@code [MIN_MU, MAX_MU]} (NaN included)
     */
    public static double requireMu(String name, double mu) {
        return requireRange(name, mu, MIN_MU, MAX_MU, "e^mu must be a normal float32");
    }

    /**
     * Checks {@code mu} for the linear time shift {@code mu / (mu + 1/t - 1)}.
     *
     * @param name the parameter as the caller knows it
     * @param mu   the value
     * @return {@code mu}
     * @throws IllegalArgumentException outside {@code [MIN_LINEAR_MU, MAX_MU]} (0 and negative values included)
     */
    public static double requireLinearMu(String name, double mu) {
        return requireRange(name, mu, MIN_LINEAR_MU, MAX_MU,
                "time_shift_type linear divides 0 by 0 at mu = 0 and gives negative sigmas below");
    }

    /**
     * Checks a scheduler timestep ({@code sigma * num_train_timesteps}): finite and in {@code [0, numTrainTimesteps]}
     * up to the reference's rounding (a sigma may sit a few float32 ulps outside [0, 1]; 1/1024 of the range is
     * allowed on either side).
     *
     * @param name              the parameter as the caller knows it
     * @param timestep          the value
     * @param numTrainTimesteps the scale ({@code num_train_timesteps})
     * @return {@code timestep}
     * @throws IllegalArgumentException outside the range (NaN and infinities included)
     */
    public static float requireTimestep(String name, float timestep, int numTrainTimesteps) {
        double slack = numTrainTimesteps / 1024.0;
        if (!(timestep >= -slack && timestep <= numTrainTimesteps + slack)) {
            throw new IllegalArgumentException(name + ": " + timestep + " must lie in [0, " + numTrainTimesteps
                    + "] (sigma * num_train_timesteps)");
        }
        return timestep;
    }

    /**
     * Checks a fixed {@code shift}.
     *
     * @param name  the parameter as the caller knows it
     * @param shift the value
     * @return {@code shift}
     * @throws IllegalArgumentException outside {@code [MIN_SHIFT, MAX_SHIFT]} (NaN included)
     */
    public static double requireShift(String name, double shift) {
        return requireRange(name, shift, MIN_SHIFT, MAX_SHIFT, null);
    }

    /**
     * Checks that {@code value} lies in {@code [min, max]}.
     *
     * @param name   the parameter as the caller knows it
     * @param value  the value
     * @param min    the smallest accepted value
     * @param max    the largest accepted value
     * @param reason why, appended to the message, or null
     * @return {@code value}
     * @throws IllegalArgumentException outside the range (NaN included)
     */
    public static double requireRange(String name, double value, double min, double max, String reason) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(name + ": " + value + " must lie in [" + format(min) + ", "
                    + format(max) + "]" + (reason == null ? "" : " (" + reason + ")"));
        }
        return value;
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return (double) (float) v == v ? Float.toString((float) v) : Double.toString(v);
    }

    /**
     * The cap on the elements of one tensor flowmatch allocates from a shape: {@code -D}{@value #MAX_ELEMENTS_PROPERTY}
     * if set (underscores allowed: {@code 1_000_000}), else {@link #DEFAULT_MAX_ELEMENTS}; never more than
     * {@link #ARRAY_LIMIT}.
     *
     * @return the cap
     * @throws IllegalArgumentException if the property is not a positive integer
     */
    public static long maxElements() {
        String value = System.getProperty(MAX_ELEMENTS_PROPERTY);
        if (value == null || value.isBlank()) {
            return DEFAULT_MAX_ELEMENTS;
        }
        long cap;
        try {
            cap = Long.parseLong(value.trim().replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    MAX_ELEMENTS_PROPERTY + ": '" + value + "' is not an integer number of elements", e);
        }
        if (cap < 1) {
            throw new IllegalArgumentException(MAX_ELEMENTS_PROPERTY + ": " + cap + " must be >= 1");
        }
        return Math.min(cap, ARRAY_LIMIT);
    }

    /**
     * Checks, before anything is allocated, that a tensor of {@code shape} fits under {@link #maxElements()}.
     *
     * @param what  what is being allocated, for the message (e.g. {@code "noise"})
     * @param shape the shape
     * @param dtype its dtype (for the size in the message), or null
     * @return the element count, which fits an int
     * @throws IllegalArgumentException naming the shape, its size and the cap (and how to raise it)
     */
    public static int requireElements(String what, Shape shape, DType dtype) {
        Objects.requireNonNull(shape, "shape");
        long n;
        try {
            n = shape.numel();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " shape " + shape + ": the element count overflows a 64-bit"
                    + " integer", e);
        }
        long cap = maxElements();
        if (n > cap) {
            String bytes = dtype == null ? "" : String.format(Locale.ROOT, " (%.1f GiB as %s)",
                    (double) n * dtype.byteSize() / (1L << 30), dtype.torchName());
            throw new IllegalArgumentException(what + " shape " + shape + " has " + n + " elements" + bytes
                    + ", more than the cap of " + cap + (n > ARRAY_LIMIT ? " (and more than one Java array can hold)"
                    : "") + "; raise it with -D" + MAX_ELEMENTS_PROPERTY + "=N if this shape is intended");
        }
        return (int) n;
    }
}

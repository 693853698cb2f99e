package dev.flowmatch.schedule;

import dev.flowmatch.Limits;

import dev.flowmatch.tensor.DType;

/**
 * What the FLUX.2 pipelines of diffusers compute around the scheduler ({@code pipeline_flux2_klein.py}).
 */
public final class Flux2 {
    /** VAE downsampling (8) times the 2x2 patch packing. */
    public static final int PIXELS_PER_TOKEN_SIDE = 16;
    /** Packed latent channels: 32 VAE channels x 2 x 2 patch. */
    public static final int LATENT_CHANNELS = 128;

    private Flux2() {}

    /**
     * The pipeline's sigmas before the shift: {@code np.linspace(1.0, 1 / n, n)} (float64; the scheduler casts
     * them to float32).
     *
     * @param numSteps the number of inference steps N, {@code >= 1}
     * @return N sigmas from 1 down to {@code 1/N}
     * @throws IllegalArgumentException if {@code numSteps < 1}
     */
    public static double[] pipelineSigmas(int numSteps) {
        Limits.requireSteps("numSteps", numSteps);
        return Spacings.linspace(1.0, 1.0 / numSteps, numSteps);
    }

    /**
     * The model time the FLUX.2 pipelines give the transformer for scheduler timestep {@code t}:
     * {@code timestep = t.expand(B).to(latents.dtype)}, then {@code timestep / 1000} computed in that dtype
     * ({@code pipeline_flux2_klein.py}).
     *
     * @param timestep a scheduler timestep
     * @param dtype    the latents' dtype
     * @return the model time, a value of {@code dtype}
     */
    public static float modelTime(float timestep, DType dtype) {
        // a timestep of the schedule (at most num_train_timesteps): a huge one would round to infinity in bfloat16
        Limits.requireTimestep("timestep", timestep, Limits.MAX_TRAIN_TIMESTEPS);
        float rounded = dtype.round(timestep);
        if (Float.isInfinite(rounded)) {
            throw new IllegalArgumentException("timestep: " + timestep + " overflows " + dtype.torchName());
        }
        return dtype.round(rounded / 1000f);
    }

    /**
     * The timestep the FLUX.2 transformer embeds for model time {@code modelTime}:
     * {@code timestep.to(dtype) * 1000} in the transformer's dtype ({@code transformer_flux2.py} forward).
     *
     * @param modelTime the pipeline's model time ({@link #modelTime})
     * @param dtype     the transformer's dtype
     * @return the timestep, a value of {@code dtype}
     */
    public static float transformerTimestep(float modelTime, DType dtype) {
        return dtype.round(dtype.round(modelTime) * 1000f);
    }

    /**
     * The image sequence length: {@code (height // 16) * (width // 16)} tokens, dividing with floor as the
     * pipeline's {@code prepare_latents} does. The size must lie within {@link Limits}
     * ({@link Limits#requireImageSize}).
     *
     * @param size the image size
     * @return the number of packed latent tokens, in {@code [1, Limits.MAX_IMAGE_TOKENS]}
     * @throws IllegalArgumentException if a side is below 16 pixels (less than one token) or above
     *                                  {@link Limits#MAX_IMAGE_SIDE}, or the image has more than
     *                                  {@link Limits#MAX_IMAGE_PIXELS} pixels
     */
    public static int imageSeqLen(ImageSize size) {
        java.util.Objects.requireNonNull(size, "size");
        Limits.requireImageSize("width", size.width(), "height", size.height());
        return (int) (tokens(size.height(), "height") * tokens(size.width(), "width"));
    }

    /**
     * The latent tokens along one side of an image: {@code pixels // 16}, the pipeline's
     * {@code 2 * (pixels // (vae_scale_factor * 2)) // 2}.
     *
     * @param pixels the side in pixels
     * @param side   {@code "height"} or {@code "width"}, for the error message
     * @return the tokens along that side, {@code >= 1}
     * @throws IllegalArgumentException if {@code pixels < 16}
     */
    public static long tokens(int pixels, String side) {
        if (pixels < PIXELS_PER_TOKEN_SIDE) {
            throw new IllegalArgumentException(side + ": " + pixels + " pixels is less than one "
                    + PIXELS_PER_TOKEN_SIDE + "-pixel token");
        }
        return pixels / PIXELS_PER_TOKEN_SIDE;
    }

    /**
     * diffusers' {@code compute_empirical_mu} (Ollama's {@code CalculateShift}), in float64 exactly as Python
     * evaluates it: above 4300 tokens a line in the sequence length; otherwise the lines fitted at 10 and 200
     * steps, interpolated linearly in the step count. (A fit for 10 to 200 steps: beyond about 400 steps the
     * extrapolated mu is negative, and at {@link Limits#MAX_STEPS} it is about -74 for one token; diffusers computes
     * the same.)
     *
     * @param imageSeqLen the image sequence length ({@link #imageSeqLen(ImageSize)}), in
     *                    {@code [1, Limits.MAX_IMAGE_TOKENS]}
     * @param numSteps    the number of inference steps, in {@code [1, Limits.MAX_STEPS]}
     * @return mu for the exponential time shift
     * @throws IllegalArgumentException if an argument is out of its range
     */
    public static double computeEmpiricalMu(int imageSeqLen, int numSteps) {
        Limits.requireTokens("imageSeqLen", imageSeqLen);
        Limits.requireSteps("numSteps", numSteps);
        double a1 = 8.73809524e-05, b1 = 1.89833333;
        double a2 = 0.00016927, b2 = 0.45666666;
        if (imageSeqLen > 4300) {
            return a2 * imageSeqLen + b2;
        }
        double m200 = a2 * imageSeqLen + b2;
        double m10 = a1 * imageSeqLen + b1;
        double a = (m200 - m10) / 190.0;
        double b = m200 - 200.0 * a;
        return a * numSteps + b;
    }

    /**
     * The FLUX.1-style linear mu ({@code calculate_shift} in diffusers' Flux pipelines): the line through
     * {@code (base_image_seq_len, base_shift)} and {@code (max_image_seq_len, max_shift)} of the config.
     *
     * @param config      a config with {@code base_shift}, {@code max_shift} and two different sequence lengths
     * @param imageSeqLen the image sequence length
     * @return mu at {@code imageSeqLen}
     * @throws IllegalArgumentException if {@code base_shift} or {@code max_shift} is unset, or the two sequence
     *                                  lengths are equal
     */
    public static double linearMu(SchedulerConfig config, int imageSeqLen) {
        Limits.requireTokens("imageSeqLen", imageSeqLen);
        if (config.baseShift() == null || config.maxShift() == null) {
            throw new IllegalArgumentException("base_shift / max_shift: both must be set for the linear mu, got "
                    + config.baseShift() + " / " + config.maxShift());
        }
        if (config.maxImageSeqLen() == config.baseImageSeqLen()) {
            throw new IllegalArgumentException("max_image_seq_len: " + config.maxImageSeqLen()
                    + " must differ from base_image_seq_len for the linear mu");
        }
        double m = (config.maxShift() - config.baseShift()) / (config.maxImageSeqLen() - config.baseImageSeqLen());
        double b = config.baseShift() - m * config.baseImageSeqLen();
        return imageSeqLen * m + b;
    }
}

package dev.flowmatch.convention;

import dev.flowmatch.Limits;

import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.torchmath.GlibcDoubleMath;
import java.util.Objects;

/**
 * ComfyUI's FLUX schedules, bit for bit as ComfyUI computes them with torch on the CPU (float32 tensors):
 * <ul>
 *   <li>the {@code Flux2Scheduler} node ({@code comfy_extras/nodes_flux.py} in ComfyUI with FLUX.2 support, e.g.
 *       {@code ifilipis/ComfyUI@24ff2f32}): {@code get_schedule(steps, round(width * height / 256))} =
 *       {@code generalized_time_snr_shift(torch.linspace(1, 0, steps + 1), compute_empirical_mu(seq, steps), 1.0)};</li>
 *   <li>the {@code simple} scheduler ({@code comfy/samplers.py}, {@code simple_scheduler}) over
 *       {@code ModelSamplingFlux(shift).sigmas} ({@code comfy/model_sampling.py}): every {@code (10000/steps)}-th
 *       entry of a 10000-entry sigma table, from the top, and a terminal 0.</li>
 * </ul>
 * Both shift a float32 tensor {@code t} with {@code math.exp(mu) / (math.exp(mu) + (1 / t - 1) ** 1.0)}. torch
 * evaluates a Python number divided by a tensor as {@code tensor.reciprocal() * number} ({@code __rdiv__} in
 * {@code torch/_tensor.py}), and casts the Python float {@code math.exp(mu)} to float32 for the float32 tensor
 * ops, so each sigma is
 * <pre>  e = float32(exp(mu));  sigma = reciprocal(e + (reciprocal(t) * 1 - 1)) * e</pre>
 * every operation a float32 rounding; {@code t = 0} gives {@code 1/0 = inf} and so sigma 0. The only part that
 * depends on the torch build is {@code torch.linspace} ({@link TorchLinspace}).
 *
 * <p>ComfyUI passes sigmas to the model, not timesteps; the {@link Schedule}s here carry
 * {@code sigma * 1000} in float32 as timesteps, what the FLUX model embeds ({@code time_factor = 1000}).
 */
public final class ComfyUiSchedule {
    /** {@code ModelSamplingFlux.set_parameters(timesteps=10000)}: the size of the sigma table. */
    public static final int MODEL_SAMPLING_TABLE_SIZE = 10000;
    /** {@code ModelSamplingFlux}'s default shift ({@code sampling_settings.get("shift", 1.15)}). */
    public static final double DEFAULT_FLUX_SHIFT = 1.15;
    /** The Flux2Scheduler node's largest {@code steps} input. */
    public static final int MAX_STEPS = 4096;

    private ComfyUiSchedule() {}

    /**
     * The Flux2Scheduler node's image sequence length: {@code round(width * height / 256)} with Python's
     * {@code round} (half to even: 40x16 gives 2, 24x16 gives 2).
     *
     * @param size the image size, within {@link Limits#requireImageSize} (sides from 1 pixel)
     * @return the number of tokens (0 for an image under 128 pixels)
     * @throws IllegalArgumentException if the size is out of range
     */
    public static int imageSeqLen(ImageSize size) {
        Objects.requireNonNull(size, "size");
        Limits.requireImageSize("width", size.width(), "height", size.height(), 1);
        double tokens = (double) size.pixels() / 256.0; // exact below 2^53
        return Math.toIntExact((long) Math.rint(tokens));
    }

    /**
     * {@code Flux2Scheduler.execute(steps, width, height)}: the N + 1 sigmas (the last 0) with diffusers' empirical
     * mu ({@link Flux2#computeEmpiricalMu}) of {@link #imageSeqLen}.
     *
     * @param steps the number of steps, {@code 1..}{@value #MAX_STEPS}
     * @param size  the image size
     * @param build the torch build whose {@code linspace} to reproduce
     * @return the schedule
     * @throws IllegalArgumentException if the image rounds to 0 tokens or {@code steps} is out of range
     */
    public static Schedule flux2Scheduler(int steps, ImageSize size, TorchBuild build) {
        int seqLen = imageSeqLen(size);
        if (seqLen < 1) {
            throw new IllegalArgumentException("size: " + size + " is " + (double) size.pixels() / 256
                    + " tokens, which rounds to 0");
        }
        return flux2Schedule(steps, Flux2.computeEmpiricalMu(seqLen, steps), build);
    }

    /**
     * {@code get_schedule} with a given {@code mu}: {@code time_snr_shift(mu, linspace(1, 0, steps + 1))}.
     *
     * @param steps the number of steps, in {@code [1, Limits.MAX_STEPS]}
     * @param mu    the time shift's mu, in {@code [Limits.MIN_MU, Limits.MAX_MU]}
     * @param build the torch build whose {@code linspace} to reproduce
     * @return the schedule (N + 1 sigmas, the last 0)
     * @throws IllegalArgumentException if {@code steps} or {@code mu} is out of range
     */
    public static Schedule flux2Schedule(int steps, double mu, TorchBuild build) {
        Objects.requireNonNull(build, "build");
        Limits.requireSteps("steps", steps);
        Limits.requireMu("mu", mu);
        float[] t = TorchLinspace.linspace(1f, 0f, steps + 1, build);
        float e = (float) GlibcDoubleMath.exp(mu); // math.exp(mu): flux_time_shift, comfy/model_sampling.py l. 341
        float[] sigmas = new float[steps + 1];
        for (int i = 0; i <= steps; i++) {
            sigmas[i] = timeShift(e, t[i]);
        }
        return withTimesteps(sigmas);
    }

    /**
     * {@code ModelSamplingFlux(shift).sigmas}: {@code flux_time_shift(shift, 1.0, arange(1, 10001) / 10000)}, i.e.
     * {@code t_i = float32(i) / 10000f} (the int64 tensor divided by a Python int in float32) shifted with mu
     * {@code = shift}.
     *
     * @param shift the model's shift (mu), in {@code [Limits.MIN_MU, Limits.MAX_MU]}
     * @return the {@value #MODEL_SAMPLING_TABLE_SIZE} sigmas of the table
     * @throws IllegalArgumentException if {@code shift} is out of range
     */
    public static float[] modelSamplingFluxSigmas(double shift) {
        Limits.requireMu("shift", shift); // flux_time_shift takes the shift as its mu: e^shift
        float e = (float) GlibcDoubleMath.exp(shift); // math.exp(mu), comfy/model_sampling.py l. 341
        float[] table = new float[MODEL_SAMPLING_TABLE_SIZE];
        for (int i = 1; i <= MODEL_SAMPLING_TABLE_SIZE; i++) {
            table[i - 1] = timeShift(e, (float) i / (float) MODEL_SAMPLING_TABLE_SIZE);
        }
        return table;
    }

    /**
     * The {@code simple} scheduler over ModelSamplingFlux({@code shift}): sigma {@code x} is
     * {@code sigmas[-(1 + int(x * (10000 / steps)))]} (a float64 product, truncated), then a terminal 0.
     *
     * @param shift the model's shift (mu), in {@code [Limits.MIN_MU, Limits.MAX_MU]}
     * @param steps the number of steps, in {@code [1, Limits.MAX_STEPS]}
     * @return the schedule
     * @throws IllegalArgumentException if {@code shift} or {@code steps} is out of range
     */
    public static Schedule simpleFlux(double shift, int steps) {
        Limits.requireSteps("steps", steps);
        float[] table = modelSamplingFluxSigmas(shift);
        int[] indices = simpleIndices(table.length, steps);
        float[] sigmas = new float[steps + 1];
        for (int x = 0; x < steps; x++) {
            sigmas[x] = table[indices[x]];
        }
        sigmas[steps] = 0f;
        return withTimesteps(sigmas);
    }

    /**
     * The table entries {@code simple_scheduler} picks: {@code len - 1 - int(x * (len / steps))}.
     *
     * @param tableSize the length of the sigma table
     * @param steps     the number of steps
     * @return the index of each step's sigma in the table
     */
    public static int[] simpleIndices(int tableSize, int steps) {
        if (tableSize < 1) {
            throw new IllegalArgumentException("tableSize: " + tableSize + " must be >= 1");
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps: " + steps + " must be >= 1");
        }
        double ss = (double) tableSize / steps;
        int[] indices = new int[steps];
        for (int x = 0; x < steps; x++) {
            // x * ss < tableSize for x < steps, so the index stays in the table (more steps than entries repeat some)
            indices[x] = tableSize - 1 - (int) (x * ss);
        }
        return indices;
    }

    /**
     * {@code math.exp(mu) / (math.exp(mu) + (1 / t - 1) ** 1.0)} on a float32 tensor element, as torch evaluates
     * it: {@code reciprocal(e + (reciprocal(t) * 1 - 1)) * e} with {@code e = float32(math.exp(mu))}.
     */
    static float timeShift(float e, float t) {
        float oneOverT = (1f / t) * 1f; // 1 / t -> t.reciprocal() * 1
        float denominator = e + (oneOverT - 1f); // ** 1.0 is exact
        return (1f / denominator) * e; // e / tensor -> tensor.reciprocal() * e
    }

    private static Schedule withTimesteps(float[] sigmas) {
        float[] timesteps = new float[sigmas.length - 1];
        for (int i = 0; i < timesteps.length; i++) {
            timesteps[i] = sigmas[i] * 1000f;
        }
        return new Schedule(sigmas, timesteps);
    }
}

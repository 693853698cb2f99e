package dev.flowmatch.convention;

import dev.flowmatch.Limits;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.TimeShiftType;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.torchmath.GoMath;
import java.util.Arrays;
import java.util.Objects;

/**
 * The numbers of Ollama's FLUX.2 [klein] engine, bit for bit: {@code x/imagegen/models/flux2/scheduler.go} and
 * {@code flux2.go} at ollama {@code 4713800b0^} (the engine was removed from Ollama's main in {@code 4713800b0}).
 * All of it is float32 Go arithmetic.
 *
 * <p>Go may fuse a float32 {@code x*y + z} into one instruction, and does on arm64: the compiler turns each
 * {@code a + x*y} and {@code a - x*y} into {@code FMADDS} / {@code FMSUBS} ({@code GOARCH=arm64}), while amd64
 * builds (without {@code GOAMD64=v3}) round the product and the sum separately. So the same call gives other
 * last bits on a Mac than on an x86 machine. {@link #AMD64} and {@link #ARM64} reproduce each; the arm64 one uses
 * {@link Math#fma} at exactly the multiply-adds of the Go source (named in the comments below). Checked against
 * Ollama's own functions run as Go on amd64 and on arm64 ({@code conventions-goldens.json}).
 */
public final class OllamaSchedule {
    /**
     * Go on amd64: every float32 operation rounded on its own; {@code math.Exp} is {@code exp_amd64.s}'s FMA branch
     * (any x86-64 CPU with AVX and FMA).
     */
    public static final OllamaSchedule AMD64 = new OllamaSchedule(false, GoMath.Arch.AMD64);
    /**
     * Go on arm64: each float32 multiply-add of the source fused ({@code FMADDS} / {@code FMSUBS}); {@code math.Exp}
     * is {@code exp_arm64.s}.
     */
    public static final OllamaSchedule ARM64 = new OllamaSchedule(true, GoMath.Arch.ARM64);

    /** flux2.go's {@code MaxOutputPixels}: 4 megapixels, {@code 2048 * 2048}. */
    public static final int MAX_OUTPUT_PIXELS = 2048 * 2048;
    /** flux2.go's default side when the request gives none ({@code <= 0}). */
    public static final int DEFAULT_SIDE = 1024;

    /**
     * Ollama's {@code Step}: {@code x + dt * v} with sample and model output upcast to float32
     * ({@code mlx.AsType}), the product and the sum in float32 ({@code MulScalar}, {@code Add}), and the result cast
     * to bfloat16 ({@code mlx.ToBFloat16}) whatever the model output's dtype.
     */
    public static final AffineSpec STEP_SPEC =
            new AffineSpec(DType.FLOAT32, DType.FLOAT32, DType.FLOAT32, DType.BFLOAT16);

    private final boolean fused;
    private final GoMath.Arch arch;

    private OllamaSchedule(boolean fused, GoMath.Arch arch) {
        this.fused = fused;
        this.arch = arch;
    }

    /** Which way {@code SetTimestepsWithMu} shifted the sigmas. */
    public enum Branch {
        /** {@code timeShift} with {@code time_shift_type} other than {@code "linear"}. */
        EXPONENTIAL,
        /** {@code timeShift} with {@code time_shift_type == "linear"}. */
        LINEAR,
        /** The fixed shift: dynamic shifting off, or {@code mu == 0}. */
        FIXED_SHIFT
    }

    /**
     * Ollama's {@code SchedulerConfig}: what {@code Model.Load} holds after {@code json.Unmarshal} of the model's
     * {@code scheduler_config.json} onto {@code DefaultSchedulerConfig()}.
     *
     * @param numTrainTimesteps  {@code NumTrainTimesteps} (int32)
     * @param shift              {@code Shift} (float32)
     * @param useDynamicShifting {@code UseDynamicShifting}
     * @param timeShiftType      {@code TimeShiftType}: only {@code "linear"} is linear, anything else exponential
     */
    public record Config(int numTrainTimesteps, float shift, boolean useDynamicShifting, TimeShiftType timeShiftType) {
        /** {@code DefaultSchedulerConfig()}: 1000, 3.0, dynamic shifting, exponential (FLUX.2 [klein]). */
        public static final Config DEFAULT = new Config(1000, 3.0f, true, TimeShiftType.EXPONENTIAL);

        /** Checks the fields: training timesteps and the shift within {@link Limits}. */
        public Config {
            Objects.requireNonNull(timeShiftType, "timeShiftType");
            if (numTrainTimesteps < 1) {
                throw new IllegalArgumentException("numTrainTimesteps: " + numTrainTimesteps + " must be >= 1");
            }
            if (numTrainTimesteps > Limits.MAX_TRAIN_TIMESTEPS) {
                throw new IllegalArgumentException("numTrainTimesteps: " + numTrainTimesteps + " must lie in [1, "
                        + Limits.MAX_TRAIN_TIMESTEPS + "]");
            }
            Limits.requireShift("shift", shift);
        }

        /**
         * The four fields Ollama reads from a diffusers config. ({@code shift} is the float32 nearest to the
         * config's double; Go parses the JSON text straight to float32, which can differ only for a decimal
         * within 2^-53 of a float32 rounding boundary.)
         *
         * @param config a diffusers config
         * @return the fields Ollama reads
         */
        public static Config of(SchedulerConfig config) {
            Objects.requireNonNull(config, "config");
            return new Config(config.numTrainTimesteps(), (float) config.shift(), config.useDynamicShifting(),
                    config.timeShiftType());
        }
    }

    /**
     * What {@code SetTimestepsWithMu(numSteps, mu)} leaves in the scheduler.
     *
     * @param mu        the mu it was given (float32)
     * @param branch    the shift it applied
     * @param sigmas    {@code Sigmas}: N + 1 values, the last 0
     * @param timesteps {@code Timesteps}: N + 1 values, {@code sigma * float32(NumTrainTimesteps)}, the last 0
     */
    public record Result(float mu, Branch branch, float[] sigmas, float[] timesteps) {
        /** Copies the arrays: a result is immutable. */
        public Result {
            sigmas = sigmas.clone();
            timesteps = timesteps.clone();
        }

        /**
         * A copy of the N + 1 sigmas.
         *
         * @return the sigmas
         */
        @Override
        public float[] sigmas() {
            return sigmas.clone();
        }

        /**
         * A copy of the N + 1 timesteps.
         *
         * @return the timesteps
         */
        @Override
        public float[] timesteps() {
            return timesteps.clone();
        }

        /**
         * As a {@link Schedule}: the N + 1 sigmas and the first N timesteps (the terminal 0 is never used).
         *
         * @return the schedule
         */
        public Schedule schedule() {
            return new Schedule(sigmas, Arrays.copyOf(timesteps, timesteps.length - 1));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && Float.compare(mu, r.mu) == 0 && branch == r.branch
                    && Arrays.equals(sigmas, r.sigmas) && Arrays.equals(timesteps, r.timesteps);
        }

        @Override
        public int hashCode() {
            return Objects.hash(mu, branch, Arrays.hashCode(sigmas), Arrays.hashCode(timesteps));
        }

        @Override
        public String toString() {
            return "Result[mu=" + mu + ", branch=" + branch + ", sigmas=" + Arrays.toString(sigmas) + ", timesteps="
                    + Arrays.toString(timesteps) + "]";
        }
    }

    /**
     * True for the arm64 arithmetic (fused multiply-adds).
     *
     * @return whether this engine fuses multiply-adds
     */
    public boolean fusesMultiplyAdd() {
        return fused;
    }

    /**
     * {@code SetTimestepsWithMu(numSteps, mu)} (scheduler.go): the pipeline's {@code linspace(1, 1/N, N)} computed
     * in float32, each sigma shifted — {@code timeShift(mu, sigma)} when dynamic shifting is on <em>and</em>
     * {@code mu != 0}, else the fixed shift {@code shift * sigma / (1 + (shift - 1) * sigma)} — a terminal 0, and
     * {@code Timesteps = sigma * NumTrainTimesteps} for all N + 1 sigmas.
     *
     * @param config   the fields of the config Ollama reads
     * @param numSteps the number of steps, {@code >= 1}
     * @param mu       the mu (0 selects the fixed shift)
     * @return the scheduler's state
     * @throws IllegalArgumentException if {@code numSteps < 1}
     */
    public Result setTimestepsWithMu(Config config, int numSteps, float mu) {
        Objects.requireNonNull(config, "config");
        Limits.requireSteps("numSteps", numSteps);
        Branch branch = !config.useDynamicShifting() || mu == 0 ? Branch.FIXED_SHIFT
                : config.timeShiftType() == TimeShiftType.LINEAR ? Branch.LINEAR : Branch.EXPONENTIAL;
        // Go computes whatever it is given; outside these ranges its sigmas are NaN or negative (flowmatch refuses).
        switch (branch) {
            case EXPONENTIAL -> Limits.requireMu("mu", mu);
            case LINEAR -> Limits.requireLinearMu("mu", mu);
            case FIXED_SHIFT -> { }
        }
        float[] sigmas = new float[numSteps + 1];
        for (int i = 0; i < numSteps; i++) {
            float sigma = linspace(i, numSteps);
            sigmas[i] = switch (branch) {
                case FIXED_SHIFT -> fixedShift(config.shift(), sigma);
                case LINEAR, EXPONENTIAL -> timeShift(branch, mu, sigma);
            };
        }
        sigmas[numSteps] = 0f;
        float t = (float) config.numTrainTimesteps();
        float[] timesteps = new float[numSteps + 1];
        for (int i = 0; i <= numSteps; i++) {
            timesteps[i] = sigmas[i] * t; // s.Timesteps[i] = v * float32(s.Config.NumTrainTimesteps)
        }
        return new Result(mu, branch, sigmas, timesteps);
    }

    /**
     * {@code SetTimesteps(numSteps)}: {@code SetTimestepsWithMu(numSteps, 0)}, the fixed shift.
     *
     * @param config   the fields of the config Ollama reads
     * @param numSteps the number of steps, {@code >= 1}
     * @return the scheduler's state
     */
    public Result setTimesteps(Config config, int numSteps) {
        return setTimestepsWithMu(config, numSteps, 0f);
    }

    /**
     * Sigma {@code i} before the shift: {@code 1} for one step, else
     * {@code 1.0 - float32(i)/float32(numSteps-1)*(1.0-1.0/float32(numSteps))}. Go evaluates {@code q * r} with
     * {@code q = i/(N-1)} and {@code r = 1 - 1/N}; on arm64 {@code 1 - q*r} is one {@code FMSUBS}.
     */
    private float linspace(int i, int numSteps) {
        if (numSteps == 1) {
            return 1.0f;
        }
        float q = (float) i / (float) (numSteps - 1);
        float r = 1.0f - 1.0f / (float) numSteps;
        return fused ? Math.fma(-q, r, 1.0f) : 1.0f - q * r;
    }

    /** {@code shift * sigma / (1 + (shift-1)*sigma)}; on arm64 the denominator is one {@code FMADDS}. */
    private float fixedShift(float shift, float sigma) {
        float denominator = fused ? Math.fma(shift - 1f, sigma, 1f) : 1f + (shift - 1f) * sigma;
        return shift * sigma / denominator;
    }

    /**
     * {@code timeShift(mu, t)}: 0 for {@code t <= 0}; linear {@code mu / (mu + (1/t - 1))}; exponential
     * {@code expMu / (expMu + (1/t - 1))} with {@code expMu = float32(math.Exp(float64(mu)))}. No multiply-adds.
     */
    private float timeShift(Branch branch, float mu, float t) {
        if (t <= 0) {
            return 0f;
        }
        if (branch == Branch.LINEAR) {
            return mu / (mu + (1.0f / t - 1.0f));
        }
        float expMu = expMu(mu, arch);
        return expMu / (expMu + (1.0f / t - 1.0f));
    }

    /**
     * {@code float32(math.Exp(float64(mu)))} (scheduler.go's {@code timeShift}) with this architecture's
     * {@code math.Exp} ({@link GoMath}: amd64 and arm64 run different assembly, and neither is fdlibm's).
     *
     * @param mu the mu
     * @return {@code e^mu} as a float32
     */
    public float expMu(float mu) {
        return expMu(mu, arch);
    }

    private static float expMu(float mu, GoMath.Arch arch) {
        return (float) GoMath.exp(mu, arch);
    }

    /**
     * {@code CalculateShift(imgSeqLen, numSteps)} (scheduler.go): diffusers' empirical mu in float32 with its
     * constants rounded to float32: above 4300 tokens {@code a2*seqLen + b2}; otherwise the lines at 200 and 10
     * steps, {@code a = (m200 - m10) / 190}, {@code b = m200 - 200*a}, {@code a*numSteps + b}. On arm64 each
     * {@code x*y + z} and {@code z - x*y} is fused.
     *
     * @param imageSeqLen the image sequence length
     * @param numSteps    the number of steps
     * @return mu, float32
     */
    public float calculateShift(int imageSeqLen, int numSteps) {
        float a1 = 8.73809524e-05f;
        float b1 = 1.89833333f;
        float a2 = 0.00016927f;
        float b2 = 0.45666666f;
        float seqLen = (float) imageSeqLen; // float32(imgSeqLen), imgSeqLen an int32
        if (imageSeqLen > 4300) {
            return multiplyAdd(a2, seqLen, b2);
        }
        float m200 = multiplyAdd(a2, seqLen, b2);
        float m10 = multiplyAdd(a1, seqLen, b1);
        float a = (m200 - m10) / 190.0f;
        float b = fused ? Math.fma(-200.0f, a, m200) : m200 - 200.0f * a;
        return multiplyAdd(a, (float) numSteps, b);
    }

    /** {@code x*y + z}: one {@code FMADDS} on arm64, two roundings on amd64. */
    private float multiplyAdd(float x, float y, float z) {
        return fused ? Math.fma(x, y, z) : x * y + z;
    }

    // ---- flux2.go around the scheduler (the same on every architecture) --------------------------------------

    /**
     * The output size flux2.go settles on for a request of {@code requested} (flux2.go reads a side of 0 as its
     * default, {@value #DEFAULT_SIDE}: pass that size explicitly): above {@link #MAX_OUTPUT_PIXELS} both sides are
     * scaled by {@code sqrt(max / pixels)} and rounded to a multiple of 16 ({@code math.Round(side*scale/16) * 16});
     * then each side is rounded to the nearest multiple of 16 ({@code (side + 8) / 16 * 16}).
     *
     * @param requested the requested size
     * @return the size Ollama renders
     * @throws IllegalArgumentException for a request that leaves a side of 0 pixels
     */
    public static ImageSize outputSize(ImageSize requested) {
        Objects.requireNonNull(requested, "requested");
        long w = requested.width();
        long h = requested.height();
        long pixels = w * h;
        if (pixels > MAX_OUTPUT_PIXELS) {
            double scale = Math.sqrt((double) MAX_OUTPUT_PIXELS / (double) pixels);
            // int32(math.Round(float64(side)*scale/16) * 16); Go's Round is half away from zero, Math.round half up:
            // the same for these positive values
            w = (long) ((double) Math.round((double) w * scale / 16) * 16);
            h = (long) ((double) Math.round((double) h * scale / 16) * 16);
        }
        h = (h + 8) / 16 * 16;
        w = (w + 8) / 16 * 16;
        if (w == 0 || h == 0) {
            throw new IllegalArgumentException("size: " + requested + " leaves a side of 0 pixels after Ollama's"
                    + " rounding to multiples of 16 (height " + h + " x width " + w + ")");
        }
        return ImageSize.of(Math.toIntExact(h), Math.toIntExact(w));
    }

    /**
     * flux2.go's image sequence length: {@code patchH * patchW} with {@code patchH = height / 8 / 2} of the output
     * size ({@link #outputSize}). 1000x1000 gives 63 * 63 = 3969 tokens (diffusers: 3844).
     *
     * @param requested the requested size
     * @return the number of packed latent tokens
     * @throws IllegalArgumentException for a request that leaves a side of 0 pixels
     */
    public static int imageSeqLen(ImageSize requested) {
        ImageSize output = outputSize(requested);
        return (output.height() / 16) * (output.width() / 16);
    }

    /**
     * The timestep flux2.go gives the transformer for step {@code i}:
     * {@code mlx.ToBFloat16(Timesteps[i] / float32(NumTrainTimesteps))}, the float32 quotient rounded to bfloat16
     * (nearest even), returned as its float value.
     *
     * @param timestep          a scheduler timestep, in {@code [0, numTrainTimesteps]}
     * @param numTrainTimesteps the config's {@code num_train_timesteps}, in {@code [1, Limits.MAX_TRAIN_TIMESTEPS]}
     * @return the model timestep, a bfloat16 value
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static float modelTimestep(float timestep, int numTrainTimesteps) {
        if (numTrainTimesteps < 1 || numTrainTimesteps > Limits.MAX_TRAIN_TIMESTEPS) {
            throw new IllegalArgumentException("numTrainTimesteps: " + numTrainTimesteps + " must lie in [1, "
                    + Limits.MAX_TRAIN_TIMESTEPS + "]");
        }
        // a timestep of the schedule; Go would round a huge one to bfloat16 infinity (fuzzing found it)
        Limits.requireTimestep("timestep", timestep, numTrainTimesteps);
        return DType.BFLOAT16.round(timestep / (float) numTrainTimesteps);
    }

    /**
     * What the transformer embeds ({@code transformer.go}: {@code MulScalar(timesteps, 1000)} on the bfloat16
     * model timestep): {@code bf16(t * bf16(1000))}; the product of two bfloat16 values is exact in float32, so one
     * rounding.
     *
     * @param modelTimestep the model timestep ({@link #modelTimestep})
     * @return the embedded timestep, a bfloat16 value
     */
    public static float transformerTimestep(float modelTimestep) {
        return DType.BFLOAT16.round(DType.BFLOAT16.round(modelTimestep) * 1000f);
    }
}

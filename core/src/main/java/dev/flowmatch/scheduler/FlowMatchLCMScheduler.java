package dev.flowmatch.scheduler;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * diffusers' {@code FlowMatchLCMScheduler} (v0.40.0, {@code scheduling_flow_match_lcm.py}), bit for bit: the
 * latent-consistency sampler for flow matching. Every step predicts the clean sample and re-noises it to the next
 * sigma with fresh noise, so every step draws noise (also the last, whose noise is multiplied by sigma 0).
 *
 * <p><b>Schedule.</b> Its {@code set_timesteps} is the Euler scheduler's, line for line (shift or dynamic shift with
 * {@code mu}, {@code shift_terminal}, Karras / exponential / beta spacing, custom sigmas, inversion), so flowmatch
 * computes it with the Euler scheduler's schedule code ({@link Schedules}), with one difference diffusers has:
 * custom {@code timesteps} are kept as given (as float32) instead of being recomputed from the sigmas (except with
 * {@code invert_sigmas}).
 *
 * <p><b>Step</b> (torch 1.13's precision): the sample is upcast to float32,
 * {@code x0 = sample - sigma * model_output} ({@code sigma * model_output} in the model output's dtype, sigma rounded
 * to it), float32 noise of x0's shape is drawn, and
 * {@code prev = ((1 - sigma_next) * x0 + sigma_next * noise).to(model_output.dtype)}. With {@code scale_factors}, x0
 * is first resized to {@code round(scale_factors[i] * size)} of the first model output's spatial size at each step
 * {@code i < len(scale_factors)} ({@code torch.nn.functional.interpolate}, modes {@code nearest} and
 * {@code bicubic}; see {@link TorchInterpolate}). That resampling runs on the host (a read of x0 and an upload of
 * the result at those steps only), as the noise does: it is a torch kernel, reproduced in Java, not an operation of
 * the tensor SPI.
 *
 * <p>An instance holds one generation's state and is not thread-safe.
 */
public final class FlowMatchLCMScheduler implements Scheduler {
    /** diffusers' class name. */
    public static final String CLASS_NAME = "FlowMatchLCMScheduler";
    /** The values diffusers' {@code upscale_mode} is typed with ({@code Literal[...]}). */
    private static final List<String> TORCH_MODES = List.of("nearest", "linear", "bilinear", "bicubic", "trilinear",
            "area", "nearest-exact");

    /**
     * The config keys of {@code FlowMatchLCMScheduler.__init__}, with diffusers' defaults.
     *
     * @param schedule     the keys it shares with {@code FlowMatchEulerDiscreteScheduler} and their defaults:
     *                     {@code num_train_timesteps} (1000), {@code shift} (1.0), {@code use_dynamic_shifting}
     *                     (false), {@code base_shift} (0.5), {@code max_shift} (1.15), {@code base_image_seq_len} (256),
     *                     {@code max_image_seq_len} (4096), {@code invert_sigmas} (false), {@code shift_terminal}
     *                     (None), {@code use_karras_sigmas} / {@code use_exponential_sigmas} / {@code use_beta_sigmas}
     *                     (false), {@code time_shift_type} ("exponential"); see {@link SchedulerConfig}. Its
     *                     {@code stochasticSampling} is false (LCM has no such key).
     * @param scaleFactors {@code scale_factors} (None): per-step resize factors of the x0 prediction for scale-wise
     *                     generation; null or empty means none
     * @param upscaleMode  {@code upscale_mode} ("bicubic"): torch's interpolation mode for {@code scale_factors};
     *                     flowmatch reproduces {@code nearest} and {@code bicubic} and refuses the others when
     *                     {@code scale_factors} is set; null disables resizing, as in diffusers
     */
    public record Config(SchedulerConfig schedule, List<Double> scaleFactors, String upscaleMode) {
        /** Checks the values: a bad one is an {@link IllegalArgumentException} naming the key. */
        public Config {
            Objects.requireNonNull(schedule, "schedule");
            if (schedule.stochasticSampling()) {
                throw new IllegalArgumentException("stochastic_sampling: " + CLASS_NAME + " has no such key");
            }
            scaleFactors = scaleFactors == null ? null : List.copyOf(scaleFactors);
            checkScaling(scaleFactors, upscaleMode);
        }

        /**
         * diffusers' defaults ({@code FlowMatchLCMScheduler()}).
         *
         * @return the default config
         */
        public static Config defaults() {
            return new Config(SchedulerConfig.defaults(), null, "bicubic");
        }

        /**
         * Reads the config keys (diffusers' {@code from_config}; other keys are left unread).
         *
         * @param keys the config's keys
         * @return the config
         */
        public static Config from(ConfigKeys keys) {
            SchedulerConfig schedule = SchedulerConfigJson.scheduleFromKeys(keys);
            double[] factors = keys.numbers("scale_factors", null);
            String mode = keys.nullableText("upscale_mode", "bicubic");
            return new Config(schedule, factors == null ? null : Arrays.stream(factors).boxed().toList(), mode);
        }

        /** Whether steps resize x0: diffusers' {@code if self._scale_factors and self._upscale_mode}. */
        boolean scales() {
            return isScaling(scaleFactors, upscaleMode);
        }
    }

    private static boolean isScaling(List<Double> scaleFactors, String upscaleMode) {
        return scaleFactors != null && !scaleFactors.isEmpty() && upscaleMode != null && !upscaleMode.isEmpty();
    }

    /** {@code upscale_mode} must be one of torch's, and one flowmatch reproduces when it is used. */
    private static void checkScaling(List<Double> scaleFactors, String upscaleMode) {
        if (upscaleMode != null && !upscaleMode.isEmpty() && !TORCH_MODES.contains(upscaleMode)) {
            throw new IllegalArgumentException("upscale_mode: '" + upscaleMode + "' is not an interpolation mode; "
                    + "diffusers accepts " + String.join(", ", TORCH_MODES));
        }
        if (!isScaling(scaleFactors, upscaleMode)) {
            return;
        }
        for (int i = 0; i < scaleFactors.size(); i++) {
            Double f = scaleFactors.get(i);
            if (f == null || !Double.isFinite(f) || f <= 0) {
                throw new IllegalArgumentException("scale_factors[" + i + "]: " + f + " must be finite and > 0");
            }
        }
        if (TorchInterpolate.Mode.find(upscaleMode) == null) {
            throw new IllegalArgumentException("upscale_mode: '" + upscaleMode + "' with scale_factors is not supported "
                    + "by flowmatch's " + CLASS_NAME + ": it reproduces torch's interpolation kernels bit for bit only "
                    + "for 'nearest' and 'bicubic'");
        }
    }

    private final Config config;
    private double shift;
    private List<Double> scaleFactors;
    private String upscaleMode;
    private Schedule schedule;
    private Integer stepIndex;
    private Integer beginIndex;
    /** diffusers' {@code _init_size}: the spatial size ({@code model_output.size()[2:]}) at the first step. */
    private long[] initSize;

    /**
     * A scheduler for {@code config} ({@code FlowMatchLCMScheduler(**config)}).
     *
     * @param config the config
     */
    public FlowMatchLCMScheduler(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.shift = config.schedule().shift();
        this.scaleFactors = config.scaleFactors();
        this.upscaleMode = config.upscaleMode();
    }

    /**
     * The config.
     *
     * @return the config
     */
    public Config config() {
        return config;
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    /** Always true: every LCM step draws noise. */
    @Override
    public boolean isStochastic() {
        return true;
    }

    /**
     * The fixed shift of later {@code setTimesteps} calls ({@code scheduler.shift}).
     *
     * @return the fixed shift
     */
    public double shift() {
        return shift;
    }

    /**
     * diffusers' {@code set_shift}: the fixed shift of later {@code setTimesteps} calls.
     *
     * @param shift finite and {@code > 0}
     */
    public void setShift(double shift) {
        if (!Double.isFinite(shift) || shift <= 0) {
            throw new IllegalArgumentException("shift: " + shift + " must be finite and > 0");
        }
        this.shift = shift;
    }

    /**
     * diffusers' {@code set_scale_factors(scale_factors, upscale_mode)}: the resizing of later steps.
     *
     * @param scaleFactors the per-step factors, or null for none
     * @param upscaleMode  {@code nearest} or {@code bicubic} (null disables resizing)
     */
    public void setScaleFactors(List<Double> scaleFactors, String upscaleMode) {
        List<Double> factors = scaleFactors == null ? null : List.copyOf(scaleFactors);
        checkScaling(factors, upscaleMode);
        this.scaleFactors = factors;
        this.upscaleMode = upscaleMode;
    }

    // ---- schedule ------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, sigmas=, mu=, timesteps=)}: the Euler scheduler's schedule
     * with the current {@link #shift()}, except that custom timesteps are kept as given (float32) when the sigmas
     * are not inverted. Raises without {@code mu} on a config with dynamic shifting, as diffusers does.
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        Schedule euler = Schedules.compute(config.schedule(), shift, request);
        double[] given = request.timesteps();
        if (given != null && !config.schedule().invertSigmas()) {
            // timesteps = torch.from_numpy(np.array(timesteps).astype(np.float32))
            float[] timesteps = new float[given.length];
            for (int i = 0; i < given.length; i++) {
                timesteps[i] = (float) given[i];
            }
            euler = new Schedule(euler.sigmas(), timesteps);
        }
        schedule = euler;
        stepIndex = null;
        beginIndex = null;
    }

    /**
     * The current schedule; {@link IllegalStateException} before {@code setTimesteps}.
     *
     * @return the schedule
     * @throws IllegalStateException before {@code setTimesteps}
     */
    public Schedule schedule() {
        if (schedule == null) {
            throw Steps.noSchedule(CLASS_NAME);
        }
        return schedule;
    }

    @Override
    public float[] sigmas() {
        return schedule().sigmas();
    }

    @Override
    public float[] timesteps() {
        return schedule().timesteps();
    }

    @Override
    public int numInferenceSteps() {
        return schedule().numSteps();
    }

    // ---- index rules ---------------------------------------------------------------------------------------

    @Override
    public Integer stepIndex() {
        return stepIndex;
    }

    @Override
    public Integer beginIndex() {
        return beginIndex;
    }

    @Override
    public void setBeginIndex(int beginIndex) {
        Steps.checkBeginIndex(beginIndex, schedule().numSteps());
        this.beginIndex = beginIndex;
    }

    @Override
    public int indexForTimestep(float timestep) {
        return schedule().indexForTimestep(timestep);
    }

    // ---- step ----------------------------------------------------------------------------------------------

    /**
     * Not available: every LCM step draws noise; diffusers would draw it from torch's global generator.
     *
     * @throws IllegalStateException always
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        throw new IllegalStateException(CLASS_NAME + " draws noise at every step: pass a NoiseSource to step(...)");
    }

    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        Objects.requireNonNull(noise, "noise");
        TensorBackend backend = Steps.checkPair(modelOutput, sample);
        Schedule s = schedule();
        boolean scales = isScaling(scaleFactors, upscaleMode);
        if (scales && s.numSteps() != scaleFactors.size() + 1) {
            throw new IllegalArgumentException("scale_factors: " + scaleFactors.size() + " factors for "
                    + s.numSteps() + " timesteps; diffusers requires len(timesteps) == len(scale_factors) + 1");
        }
        if (initSize == null || stepIndex == null) {
            long[] dims = modelOutput.shape().dims();
            initSize = Arrays.copyOfRange(dims, Math.min(2, dims.length), dims.length);
        }
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        int i = stepIndex;
        if (i >= s.numSteps()) {
            throw new IllegalArgumentException("step index " + i + " is outside 0.." + (s.numSteps() - 1)
                    + ": more step calls than timesteps; call setTimesteps again to start a new generation");
        }
        float sigma = s.sigma(i);
        float sigmaNext = s.sigma(i + 1);
        DType modelType = modelOutput.dtype();
        // x0_pred = sample.to(float32) - sigma * model_output: the product in the model output's dtype.
        Expr x0 = Expr.sub(Expr.input(0),
                Expr.mul(Expr.scalar(modelType.round(sigma)), Expr.input(1), modelType), DType.FLOAT32);
        Tensor out;
        if (scales && i < scaleFactors.size()) {
            try (Tensor x0Pred = backend.elementwise(x0, sample, modelOutput);
                 Tensor resized = resize(backend, x0Pred, scaleFactors.get(i))) {
                out = renoise(backend, Expr.input(0), new Tensor[] {resized}, sigmaNext, modelType, noise);
            }
        } else {
            out = renoise(backend, x0, new Tensor[] {sample, modelOutput}, sigmaNext, modelType, noise);
        }
        stepIndex = i + 1;
        return out;
    }

    /**
     * {@code noise = randn_tensor(x0_pred.shape, dtype=float32)};
     * {@code prev = ((1 - sigma_next) * x0_pred + sigma_next * noise).to(model_output.dtype)}: {@code x0} reads
     * {@code inputs} (x0 has the shape of the first), the noise is appended as the last input.
     */
    private static Tensor renoise(TensorBackend backend, Expr x0, Tensor[] inputs, float sigmaNext, DType outType,
                                  NoiseSource noiseSource) {
        try (Tensor noise = noiseSource.normal(backend, inputs[0].shape(), DType.FLOAT32)) {
            Expr prev = Expr.add(Expr.mul(Expr.scalar(1f - sigmaNext), x0, DType.FLOAT32),
                    Expr.mul(Expr.scalar(sigmaNext), Expr.input(inputs.length), DType.FLOAT32), DType.FLOAT32);
            Tensor[] all = Arrays.copyOf(inputs, inputs.length + 1);
            all[inputs.length] = noise;
            return backend.elementwise(Expr.cast(prev, outType), all);
        }
    }

    /**
     * {@code torch.nn.functional.interpolate(x0_pred, size=[round(factor * s) for s in init_size], mode=upscale_mode)},
     * Python's {@code round} being half-to-even.
     */
    private Tensor resize(TensorBackend backend, Tensor x0Pred, double factor) {
        int[] size = new int[initSize.length];
        for (int d = 0; d < size.length; d++) {
            double scaled = Math.rint(factor * initSize[d]);
            if (!(scaled >= 1 && scaled <= Integer.MAX_VALUE)) {
                throw new IllegalArgumentException("scale_factors: " + factor + " resizes " + initSize[d] + " to "
                        + scaled + "; sizes must be >= 1");
            }
            size[d] = (int) scaled;
        }
        long[] dims = x0Pred.shape().dims();
        float[] resized = TorchInterpolate.interpolate(backend.toFloats(x0Pred), dims, size,
                TorchInterpolate.Mode.find(upscaleMode));
        long[] outDims = dims.clone();
        for (int d = 0; d < size.length; d++) {
            outDims[2 + d] = size[d];
        }
        return backend.fromFloats(resized, DType.FLOAT32, Shape.of(outDims));
    }

    // ---- forward process -----------------------------------------------------------------------------------

    /**
     * diffusers' {@code scale_noise}: the Euler scheduler's, line for line ({@code sigmas.to(sample.dtype)}; the index
     * from the timestep without a begin index, else the step index, else the begin index); it does not set the
     * step index.
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        Steps.checkPair("noise", noise, "sample", sample);
        Schedule s = schedule();
        int index = beginIndex == null ? indexForTimestep(timestep) : stepIndex != null ? stepIndex : beginIndex;
        return FlowMatchScheduler.scaleNoise(sample, s.sigma(index), noise, Precision.DIFFUSERS);
    }
}

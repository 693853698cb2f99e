package dev.flowmatch.scheduler;

import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Objects;

/**
 * diffusers' {@code FlowMatchHeunDiscreteScheduler} (v0.40.0, {@code scheduling_flow_match_heun_discrete.py}), bit
 * for bit: Heun's second-order method on the flow-matching ODE, with Karras et al.'s optional "churn".
 *
 * <p><b>Interleaved timesteps.</b> {@code order} is 2: for N steps the timesteps are
 * {@code [t0, t1, t1, ..., t(N-1), t(N-1)]} (2N - 1 entries) and the sigmas {@code [s0, s1, s1, ..., s(N-1), s(N-1), 0]}
 * (2N entries), with {@code s} and {@code t} the Euler scheduler's default schedule for the same {@code shift}. The
 * model is called at every entry: a first-order call (an Euler step, whose derivative and sample are kept) is
 * followed by a second-order call that averages the two derivatives and redoes the step from the kept sample; the
 * last call is a first-order step to sigma 0.
 *
 * <p><b>Churn</b> ({@link Churn}, diffusers' per-step keyword arguments, here options of the instance): with
 * {@code gamma = min(s_churn / (2N - 1), sqrt(2) - 1) > 0} at a sigma in {@code [s_tmin, s_tmax]}, each call adds
 * {@code s_noise * noise * sqrt(sigma_hat^2 - sigma^2)} to the sample, the noise drawn from the generator in the
 * model output's dtype ({@code randn_tensor(model_output.shape, dtype=model_output.dtype)}), and steps from
 * {@code sigma_hat = sigma * (gamma + 1)}. As in diffusers, the second-order call also draws (and uses, for its
 * derivative) noise, though it then steps from the kept first-order sample.
 *
 * <p><b>Precision</b> (torch 1.13's): the sample is upcast to float32; {@code model_output * sigma} is computed in
 * the model output's dtype (sigma rounded to it first, as torch rounds a 0-dim float32 tensor); derivatives and the
 * update are float32; the result has the model output's dtype.
 *
 * <p><b>Index rules.</b> The first step takes its index from the begin index, else from its timestep (the second
 * occurrence of a repeated timestep); {@link #scaleNoise} also fixes the step index that way when none is set, as
 * diffusers' does. A loop that starts at a second-order (odd) index without {@link #setBeginIndex} runs one index
 * ahead of its timesteps; diffusers then divides by the terminal sigma 0 on the last call and returns NaN, and
 * flowmatch refuses that call with an {@link IllegalArgumentException}.
 *
 * <p>The second-order state (diffusers' {@code dt}, {@code prev_derivative}, {@code sample}) is held as tensors
 * owned by this instance and released by {@link #setTimesteps} or by the second-order call that consumes it. An
 * instance holds one generation's state and is not thread-safe.
 */
public final class FlowMatchHeunDiscreteScheduler implements Scheduler, StepOptions {
    /** diffusers' class name. */
    public static final String CLASS_NAME = "FlowMatchHeunDiscreteScheduler";
    /** {@code 2**0.5 - 1}: the largest churn gamma ({@code step}). */
    private static final double MAX_GAMMA = Math.sqrt(2) - 1;

    /**
     * The config keys of {@code FlowMatchHeunDiscreteScheduler.__init__}, with diffusers' defaults.
     *
     * @param numTrainTimesteps {@code num_train_timesteps} (1000): timesteps are {@code sigma * num_train_timesteps}
     * @param shift             {@code shift} (1.0): the fixed shift {@code s*t / (1 + (s-1)*t)} of the schedule
     */
    public record Config(int numTrainTimesteps, double shift) {
        /** Checks the values: a bad one is an {@link IllegalArgumentException} naming the key. */
        public Config {
            if (numTrainTimesteps < 1) {
                throw new IllegalArgumentException("num_train_timesteps: " + numTrainTimesteps + " must be >= 1");
            }
            if (!Double.isFinite(shift) || shift <= 0) {
                throw new IllegalArgumentException("shift: " + shift + " must be finite and > 0");
            }
        }

        /**
         * diffusers' defaults ({@code FlowMatchHeunDiscreteScheduler()}).
         *
         * @return the default config
         */
        public static Config defaults() {
            return new Config(1000, 1.0);
        }

        /**
         * Reads the config keys (diffusers' {@code from_config}; other keys are left unread).
         *
         * @param keys the config's keys
         * @return the config
         */
        public static Config from(ConfigKeys keys) {
            return new Config(keys.integer("num_train_timesteps", 1000), keys.number("shift", 1.0));
        }

        /** The Euler config whose default schedule Heun interleaves (the same constructor and spacing code). */
        SchedulerConfig eulerSchedule() {
            return SchedulerConfig.builder().numTrainTimesteps(numTrainTimesteps).shift(shift).build();
        }
    }

    /**
     * diffusers' churn keyword arguments of {@code step} ({@code s_churn=0.0, s_tmin=0.0, s_tmax=float("inf"),
     * s_noise=1.0}).
     *
     * @param sChurn {@code s_churn} (0): the amount of noise added; gamma is {@code min(s_churn / (2N - 1), sqrt(2) - 1)};
     *               must be finite and {@code >= 0}
     * @param sTmin  {@code s_tmin} (0): churn only at sigmas {@code >= s_tmin} (compared in float32, as torch does)
     * @param sTmax  {@code s_tmax} (infinity): churn only at sigmas {@code <= s_tmax}
     * @param sNoise {@code s_noise} (1): scale of the added noise; finite
     */
    public record Churn(double sChurn, double sTmin, double sTmax, double sNoise) {
        /** No churn: diffusers' defaults. */
        public static final Churn NONE = new Churn(0, 0, Double.POSITIVE_INFINITY, 1);

        /** Checks the values: a bad one is an {@link IllegalArgumentException} naming the keyword. */
        public Churn {
            if (!Double.isFinite(sChurn) || sChurn < 0) {
                throw new IllegalArgumentException("s_churn: " + sChurn + " must be finite and >= 0");
            }
            if (Double.isNaN(sTmin)) {
                throw new IllegalArgumentException("s_tmin: NaN is not a number; any other value is accepted");
            }
            if (Double.isNaN(sTmax)) {
                throw new IllegalArgumentException("s_tmax: NaN is not a number; any other value is accepted");
            }
            if (!Double.isFinite(sNoise)) {
                throw new IllegalArgumentException("s_noise: " + sNoise + " must be finite");
            }
        }

        /**
         * Whether a step can draw noise ({@code gamma > 0} needs {@code s_churn > 0}).
         *
         * @return whether {@code s_churn > 0}
         */
        public boolean active() {
            return sChurn > 0;
        }
    }

    private final Config config;
    private Churn churn = Churn.NONE;
    private float[] sigmas;
    private float[] timesteps;
    private int numInferenceSteps;
    private Integer stepIndex;
    private Integer beginIndex;
    /** diffusers' {@code self.dt}: set by a first-order call; null means "in first order". */
    private Float dt;
    /** diffusers' {@code self.prev_derivative} (float32), owned here. */
    private Tensor prevDerivative;
    /** diffusers' {@code self.sample}: the first-order call's float32 sample (after churn), owned here. */
    private Tensor firstOrderSample;

    /**
     * A scheduler for {@code config} ({@code FlowMatchHeunDiscreteScheduler(**config)}).
     *
     * @param config the config
     */
    public FlowMatchHeunDiscreteScheduler(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * The config.
     *
     * @return the config
     */
    public Config config() {
        return config;
    }

    /**
     * The churn options used by every step (default {@link Churn#NONE}).
     *
     * @return the churn options
     */
    public Churn churn() {
        return churn;
    }

    /**
     * Sets the churn options for every later step (diffusers passes them to each {@code step} call).
     *
     * @param churn the options
     * @return this scheduler
     */
    public FlowMatchHeunDiscreteScheduler setChurn(Churn churn) {
        this.churn = Objects.requireNonNull(churn, "churn");
        return this;
    }

    /** Sets {@code s_churn}, {@code s_tmin}, {@code s_tmax} or {@code s_noise} by name; see {@link Churn}. */
    @Override
    public void setStepOption(String name, double value) {
        Churn c = churn;
        churn = switch (Objects.requireNonNull(name, "name")) {
            case "s_churn" -> new Churn(value, c.sTmin(), c.sTmax(), c.sNoise());
            case "s_tmin" -> new Churn(c.sChurn(), value, c.sTmax(), c.sNoise());
            case "s_tmax" -> new Churn(c.sChurn(), c.sTmin(), value, c.sNoise());
            case "s_noise" -> new Churn(c.sChurn(), c.sTmin(), c.sTmax(), value);
            default -> throw new IllegalArgumentException("step option '" + name + "' is not a keyword of "
                    + CLASS_NAME + ".step; accepted: s_churn, s_tmin, s_tmax, s_noise");
        };
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public int order() {
        return 2;
    }

    /** True when churn is on ({@code s_churn > 0}): steps then draw noise. */
    @Override
    public boolean isStochastic() {
        return churn.active();
    }

    // ---- schedule ------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code set_timesteps(num_inference_steps)}: the class takes no other argument, so a request with
     * sigmas, timesteps or mu is an {@link IllegalArgumentException}. Releases the second-order state.
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        rejectArgument("sigmas", request.sigmas());
        rejectArgument("timesteps", request.timesteps());
        rejectArgument("mu", request.mu());
        int n = request.numInferenceSteps();
        // The constructor's training sigmas, np.linspace(sigma_max * T, sigma_min * T, n) / T in float64, the fixed
        // shift in float64, then float32: the Euler scheduler's default schedule, computed by the same code.
        Schedule euler = Schedules.compute(config.eulerSchedule(), ScheduleRequest.steps(n));
        float[] s = euler.sigmas();
        float[] t = euler.timesteps();
        // torch.cat([timesteps[:1], timesteps[1:].repeat_interleave(2)]) and
        // torch.cat([sigmas[:1], sigmas[1:-1].repeat_interleave(2), sigmas[-1:]]).
        float[] interleavedTimesteps = new float[2 * n - 1];
        float[] interleavedSigmas = new float[2 * n];
        interleavedTimesteps[0] = t[0];
        interleavedSigmas[0] = s[0];
        for (int k = 1; k < n; k++) {
            interleavedTimesteps[2 * k - 1] = t[k];
            interleavedTimesteps[2 * k] = t[k];
            interleavedSigmas[2 * k - 1] = s[k];
            interleavedSigmas[2 * k] = s[k];
        }
        interleavedSigmas[2 * n - 1] = s[n];
        releaseSecondOrderState();
        sigmas = interleavedSigmas;
        timesteps = interleavedTimesteps;
        numInferenceSteps = n;
        stepIndex = null;
        beginIndex = null;
    }

    private static void rejectArgument(String name, Object value) {
        if (value != null) {
            throw new IllegalArgumentException(name + ": " + CLASS_NAME + ".set_timesteps takes only "
                    + "num_inference_steps (diffusers has no " + name + " argument)");
        }
    }

    /**
     * diffusers' FLUX.2 pipelines pass custom sigmas and mu, which this class's {@code set_timesteps} does not take
     * (diffusers raises a TypeError); the closest call it takes is {@code set_timesteps(num_inference_steps)}.
     */
    @Override
    public ScheduleRequest flux2PipelineRequest(int numSteps, double mu) {
        return ScheduleRequest.steps(numSteps);
    }

    /** {@code scheduler.sigmas}: 2N interleaved sigmas ending with 0. */
    @Override
    public float[] sigmas() {
        return requireSchedule().clone();
    }

    /** {@code scheduler.timesteps}: 2N - 1 interleaved timesteps. */
    @Override
    public float[] timesteps() {
        requireSchedule();
        return timesteps.clone();
    }

    @Override
    public int numInferenceSteps() {
        requireSchedule();
        return numInferenceSteps;
    }

    private float[] requireSchedule() {
        if (sigmas == null) {
            throw Steps.noSchedule(CLASS_NAME);
        }
        return sigmas;
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
        requireSchedule();
        Steps.checkBeginIndex(beginIndex, timesteps.length);
        this.beginIndex = beginIndex;
    }

    @Override
    public int indexForTimestep(float timestep) {
        requireSchedule();
        return Steps.indexForTimestep(timesteps, timestep);
    }

    /** diffusers' {@code _init_step_index}: the begin index, else the look-up of {@code timestep}. */
    private int currentIndex(float timestep) {
        requireSchedule();
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        return stepIndex;
    }

    // ---- steps ---------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code step} without a generator.
     *
     * @throws IllegalStateException when churn would draw noise at this step: pass a {@link NoiseSource}
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        return heunStep(modelOutput, timestep, sample, null);
    }

    /** diffusers' {@code step(..., generator=noise)}: churn draws from {@code noise}. */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        return heunStep(modelOutput, timestep, sample, Objects.requireNonNull(noise, "noise"));
    }

    private Tensor heunStep(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noiseSource) {
        TensorBackend backend = Steps.checkPair(modelOutput, sample);
        int i = currentIndex(timestep);
        if (i >= timesteps.length) {
            throw new IllegalArgumentException("timestep: " + timestep + " is a call past the last timestep: step index "
                    + i + " is outside 0.." + (timesteps.length - 1) + ". The loop made more step calls than "
                    + CLASS_NAME + " has timesteps, as when it starts mid-schedule at a second-order (odd) index "
                    + "without setBeginIndex (the look-up takes the next, even index); diffusers would divide by the "
                    + "terminal sigma 0 here and return NaN. Call setBeginIndex(start) or start at an even index");
        }
        boolean firstOrder = dt == null;
        if (!firstOrder) {
            requireState(sample);
        }
        // state_in_first_order: sigma -> sigma_next is sigmas[i] -> sigmas[i+1]; the second-order call redoes
        // sigmas[i-1] -> sigmas[i].
        float sigma = firstOrder ? sigmas[i] : sigmas[i - 1];
        float sigmaNext = firstOrder ? sigmas[i + 1] : sigmas[i];
        // gamma = min(s_churn / (len(self.sigmas) - 1), 2**0.5 - 1) if s_tmin <= sigma <= s_tmax else 0.0; torch
        // compares the 0-dim float32 sigma with the Python floats cast to float32.
        double gamma = (float) churn.sTmin() <= sigma && sigma <= (float) churn.sTmax()
                ? Math.min(churn.sChurn() / (sigmas.length - 1), MAX_GAMMA) : 0.0;
        // sigma_hat = sigma * (gamma + 1): a 0-dim float32 tensor times a Python float, in float32.
        float sigmaHat = sigma * (float) (gamma + 1);
        DType outType = modelOutput.dtype();
        Tensor noise = null;
        if (gamma > 0) {
            if (noiseSource == null) {
                throw new IllegalStateException(CLASS_NAME + ": s_churn = " + churn.sChurn() + " draws noise at sigma "
                        + sigma + ": pass a NoiseSource to step(...)");
            }
            // randn_tensor(model_output.shape, dtype=model_output.dtype, generator=generator)
            noise = noiseSource.normal(backend, modelOutput.shape(), outType);
        }
        try {
            Tensor[] inputs = noise == null ? new Tensor[] {sample, modelOutput}
                    : new Tensor[] {sample, modelOutput, noise};
            Tensor out = firstOrder
                    ? firstOrderStep(backend, currentSample(sigma, sigmaHat, outType, noise == null ? -1 : 1), inputs,
                            sigma, sigmaHat, sigmaNext, outType)
                    : secondOrderStep(backend, currentSample(sigma, sigmaHat, outType, noise == null ? -1 : NOISE),
                            inputs, sigmaNext, outType);
            stepIndex = i + 1;
            return out;
        } finally {
            if (noise != null) {
                noise.close();
            }
        }
    }

    /** Input positions in the step expressions. */
    private static final int SAMPLE = 0;
    private static final int MODEL_OUTPUT = 1;
    private static final int NOISE = 2;

    /**
     * {@code sample.to(float32)}, plus with churn {@code sample + (noise * s_noise) * (sigma_hat**2 - sigma**2) ** 0.5}:
     * {@code noise * s_noise} in the noise's dtype (the Python float rounded to it, as torch 1.13 does), the 0-dim
     * float32 square root (exact IEEE {@code x*x}, {@code sqrt}) rounded to that dtype for the product, the sum float32.
     */
    private Expr currentSample(float sigma, float sigmaHat, DType noiseType, int noiseInput) {
        Expr sample = Expr.input(SAMPLE);
        if (noiseInput < 0) {
            return sample;
        }
        float spread = (float) Math.sqrt(sigmaHat * sigmaHat - sigma * sigma);
        Expr eps = Expr.mul(Expr.input(noiseInput), Expr.scalar(noiseType.round((float) churn.sNoise())), noiseType);
        Expr added = Expr.mul(eps, Expr.scalar(noiseType.round(spread)), noiseType);
        return Expr.add(sample, added, DType.FLOAT32);
    }

    /** {@code (sample - (sample - model_output * sigma)) / divisor}: the ODE derivative, float32. */
    private static Expr derivative(Expr sample, float sigma, float divisor, DType modelType) {
        Expr scaled = Expr.mul(Expr.input(MODEL_OUTPUT), Expr.scalar(modelType.round(sigma)), modelType);
        Expr denoised = Expr.sub(sample, scaled, DType.FLOAT32);
        return Expr.div(Expr.sub(sample, denoised, DType.FLOAT32), Expr.scalar(divisor), DType.FLOAT32);
    }

    /**
     * The first-order call: {@code denoised = sample - model_output * sigma},
     * {@code derivative = (sample - denoised) / sigma_hat}, {@code dt = sigma_next - sigma_hat}; keeps the derivative,
     * {@code dt} and the float32 sample, returns {@code (sample + derivative * dt).to(model_output.dtype)}.
     *
     * @param current the float32 sample (with churn) over inputs (sample, noise)
     */
    private Tensor firstOrderStep(TensorBackend backend, Expr current, Tensor[] inputs, float sigma, float sigmaHat,
                                  float sigmaNext, DType outType) {
        boolean churned = inputs.length > NOISE;
        Tensor keptSample = churned ? backend.elementwise(current, inputs[SAMPLE], inputs[NOISE])
                : backend.convert(inputs[SAMPLE], DType.FLOAT32);
        Tensor derivative = null;
        try {
            Expr kept = Expr.input(SAMPLE);
            derivative = backend.elementwise(derivative(kept, sigma, sigmaHat, inputs[MODEL_OUTPUT].dtype()),
                    keptSample, inputs[MODEL_OUTPUT]);
            float stepDt = sigmaNext - sigmaHat;
            Expr prev = Expr.add(Expr.input(0), Expr.mul(Expr.input(1), Expr.scalar(stepDt), DType.FLOAT32),
                    DType.FLOAT32);
            Tensor out = backend.elementwise(Expr.cast(prev, outType), keptSample, derivative);
            firstOrderSample = keptSample;
            prevDerivative = derivative;
            dt = stepDt;
            return out;
        } catch (RuntimeException | Error e) {
            keptSample.close();
            if (derivative != null) {
                derivative.close();
            }
            throw e;
        }
    }

    /**
     * The second-order call: the derivative at {@code sigma_next} from the current (churned) sample, averaged with
     * the kept one, applied to the kept sample with the kept {@code dt}; releases the kept state.
     *
     * @param current the float32 sample (with churn) over inputs (sample, model output[, noise])
     */
    private Tensor secondOrderStep(TensorBackend backend, Expr current, Tensor[] inputs, float sigmaNext,
                                   DType outType) {
        int kept = inputs.length;
        int keptDerivative = kept + 1;
        // derivative = (sample - (sample - model_output * sigma_next)) / sigma_next;
        // derivative = 0.5 * (self.prev_derivative + derivative); prev = self.sample + derivative * self.dt.
        Expr own = derivative(current, sigmaNext, sigmaNext, inputs[MODEL_OUTPUT].dtype());
        Expr mean = Expr.mul(Expr.scalar(0.5f), Expr.add(Expr.input(keptDerivative), own, DType.FLOAT32),
                DType.FLOAT32);
        Expr prev = Expr.add(Expr.input(kept), Expr.mul(mean, Expr.scalar(dt), DType.FLOAT32), DType.FLOAT32);
        Tensor[] all = new Tensor[inputs.length + 2];
        System.arraycopy(inputs, 0, all, 0, inputs.length);
        all[kept] = firstOrderSample;
        all[keptDerivative] = prevDerivative;
        Tensor out = backend.elementwise(Expr.cast(prev, outType), all);
        releaseSecondOrderState();
        return out;
    }

    /** The second-order call's sample must match the kept one (backend and shape). */
    private void requireState(Tensor sample) {
        Steps.checkPair("sample", sample, "the first-order call's sample", firstOrderSample);
    }

    /** Releases the first-order call's kept sample and derivative (a run abandoned between Heun's two calls). */
    @Override
    public void close() {
        releaseSecondOrderState();
    }

    /** Frees the kept tensors and returns to first order ({@code self.dt = None}). */
    private void releaseSecondOrderState() {
        if (firstOrderSample != null) {
            firstOrderSample.close();
        }
        if (prevDerivative != null) {
            prevDerivative.close();
        }
        firstOrderSample = null;
        prevDerivative = null;
        dt = null;
    }

    // ---- forward process -----------------------------------------------------------------------------------

    /**
     * diffusers' {@code scale_noise(sample, timestep, noise)}: {@code sigma * noise + (1.0 - sigma) * sample} at
     * {@code sigmas[step_index]}. As in diffusers, when no step index is set yet this sets it (from the begin index,
     * else by looking up {@code timestep}), so the first step continues from there. sigma is a 0-dim float32 tensor:
     * each product is in its tensor's dtype with sigma (or {@code 1 - sigma}, computed in float32) rounded to it,
     * the sum in the promoted dtype.
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        TensorBackend backend = Steps.checkPair("noise", noise, "sample", sample);
        int index = currentIndex(timestep);
        if (index >= sigmas.length) {
            throw new IllegalArgumentException("step index " + index + " is outside 0.." + (sigmas.length - 1));
        }
        float sigma = sigmas[index];
        DType noiseType = noise.dtype();
        DType sampleType = sample.dtype();
        Expr noised = Expr.add(
                Expr.mul(Expr.scalar(noiseType.round(sigma)), Expr.input(0), noiseType),
                Expr.mul(Expr.scalar(sampleType.round(1f - sigma)), Expr.input(1), sampleType),
                DType.promote(noiseType, sampleType));
        return backend.elementwise(noised, noise, sample);
    }
}

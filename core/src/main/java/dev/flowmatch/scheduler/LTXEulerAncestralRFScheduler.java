package dev.flowmatch.scheduler;

import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import java.util.Objects;

/**
 * diffusers' {@code LTXEulerAncestralRFScheduler} (v0.40.0, {@code scheduling_ltx_euler_ancestral_rf.py}), bit for
 * bit: diffusers' port of ComfyUI's {@code sample_euler_ancestral_RF}, the Euler-ancestral sampler in the
 * rectified-flow ("CONST") parametrisation used for LTX-Video.
 *
 * <p><b>Two schedules.</b> {@code set_timesteps(num_inference_steps[, mu])} builds a
 * {@code FlowMatchEulerDiscreteScheduler} from this scheduler's config and takes its sigmas (N + 1, terminal 0) and
 * timesteps (N): flowmatch runs the Euler scheduler's schedule code on the config's FlowMatchEuler keys, which
 * diffusers' {@code from_config} keeps in this class's config (so a FlowMatchEuler config loads as this class with its
 * shift, dynamic shifting, spacings). {@code set_timesteps(sigmas=...)} (or {@code timesteps=...}, which diffusers
 * treats as sigmas) takes ComfyUI-style explicit sigmas including the terminal 0: the timesteps are
 * {@code sigmas * num_train_timesteps} and have as many entries as the sigmas, so the last step call (at sigma 0)
 * returns the sample unchanged; {@code num_inference_steps} is {@code len(sigmas) - 1}.
 *
 * <p><b>Step</b>, all in float32 (sample and model output upcast), the result in the <em>sample's</em> dtype:
 * {@code denoised = x - sigma * v}; at a final sigma ({@code |sigma_next| < 1e-8}) the result is {@code denoised};
 * otherwise {@code sigma_down = sigma_next * (1 + (sigma_next / sigma - 1) * eta)},
 * {@code x' = (sigma_down / sigma) * x + (1 - sigma_down / sigma) * denoised}, and with {@code eta > 0} and
 * {@code s_noise > 0} fresh float32 noise of the sample's shape is drawn and
 * {@code x' = (alpha_next / (alpha_down + 1e-12)) * x' + noise * c * s_noise} with {@code alpha = 1 - sigma} and
 * {@code c = sqrt(max(sigma_next^2 - sigma_down^2 * alpha_next^2 / (alpha_down^2 + 1e-12), 0))}. The coefficients
 * are 0-dim float32 arithmetic on the host, exactly as torch computes them; the tensor part is one
 * {@link TensorBackend#elementwise} pass.
 *
 * <p>An instance holds one generation's state and is not thread-safe.
 */
public final class LTXEulerAncestralRFScheduler implements Scheduler {
    /** diffusers' class name. */
    public static final String CLASS_NAME = "LTXEulerAncestralRFScheduler";
    private static final System.Logger LOG = System.getLogger(LTXEulerAncestralRFScheduler.class.getName());
    /** {@code sigma_next.abs().item() < 1e-8}: a final step returns the denoised sample. */
    private static final double FINAL_SIGMA = 1e-8;
    /** The {@code + 1e-12} of the renoise formulas, a Python float cast to float32 by torch. */
    private static final float EPSILON = (float) 1e-12;

    /**
     * The config keys of {@code LTXEulerAncestralRFScheduler.__init__}, with diffusers' defaults, and the
     * FlowMatchEuler keys its {@code set_timesteps(num_inference_steps)} hands to {@code FlowMatchEulerDiscreteScheduler.from_config}.
     *
     * @param numTrainTimesteps {@code num_train_timesteps} (1000): explicit sigmas give timesteps
     *                          {@code sigmas * num_train_timesteps}
     * @param eta               {@code eta} (1.0): stochasticity; 0 is a deterministic (DDIM-like) step; in [0, 100]
     * @param sNoise            {@code s_noise} (1.0): scale of the added noise; in [0, 100]
     * @param flowMatchEuler    the config's {@code FlowMatchEulerDiscreteScheduler} keys (all of that class's keys
     *                          with its defaults), for the schedule built from {@code num_inference_steps}
     */
    public record Config(int numTrainTimesteps, double eta, double sNoise, SchedulerConfig flowMatchEuler) {
        /** Checks the values: a bad one is an {@link IllegalArgumentException} naming the key. */
        public Config {
            Objects.requireNonNull(flowMatchEuler, "flowMatchEuler");
            if (numTrainTimesteps < 1) {
                throw new IllegalArgumentException("num_train_timesteps: " + numTrainTimesteps + " must be >= 1");
            }
            // ComfyUI's SamplerEulerAncestral node takes both in [0, 100]; far beyond, a step of finite inputs
            // overflows to infinity (fuzzing found eta = 1e10)
            dev.flowmatch.Limits.requireRange("eta", eta, 0, 100, "ComfyUI's range");
            dev.flowmatch.Limits.requireRange("s_noise", sNoise, 0, 100, "ComfyUI's range");
        }

        /**
         * diffusers' defaults ({@code LTXEulerAncestralRFScheduler()}).
         *
         * @return the default config
         */
        public static Config defaults() {
            return new Config(1000, 1.0, 1.0, SchedulerConfig.defaults());
        }

        /**
         * Reads the config keys as diffusers' {@code from_config} keeps them: this class's three, and the
         * FlowMatchEuler keys of a compatible config.
         *
         * @param keys the config's keys
         * @return the config
         */
        public static Config from(ConfigKeys keys) {
            return new Config(keys.integer("num_train_timesteps", 1000), keys.number("eta", 1.0),
                    keys.number("s_noise", 1.0), SchedulerConfigJson.fromKeys(keys));
        }

        /**
         * Whether a step adds noise ({@code eta > 0.0 and s_noise > 0.0}).
         *
         * @return whether a step draws noise
         */
        public boolean addsNoise() {
            return eta > 0.0 && sNoise > 0.0;
        }
    }

    private final Config config;
    private float[] sigmas;
    private float[] timesteps;
    private int numInferenceSteps;
    private Integer stepIndex;
    private Integer beginIndex;

    /**
     * A scheduler for {@code config} ({@code LTXEulerAncestralRFScheduler(**config)}).
     *
     * @param config the config
     */
    public LTXEulerAncestralRFScheduler(Config config) {
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

    @Override
    public String className() {
        return CLASS_NAME;
    }

    /** True when {@code eta > 0} and {@code s_noise > 0}: steps to a non-zero sigma then draw noise. */
    @Override
    public boolean isStochastic() {
        return config.addsNoise();
    }

    // ---- schedule ------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, sigmas=, timesteps=, mu=)}: explicit sigmas (or timesteps,
     * taken as sigmas) when given, else the FlowMatchEuler schedule of {@code num_inference_steps} and {@code mu}
     * (which raises without {@code mu} on a config with dynamic shifting, as diffusers does). With explicit sigmas,
     * {@code mu} and {@code num_inference_steps} are ignored as in diffusers. A zero sigma followed by a non-zero one
     * is refused: diffusers divides by it and returns NaN; so is a config with {@code invert_sigmas}, whose schedule
     * starts at sigma 0.
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        double[] explicit = request.sigmas() != null ? request.sigmas() : request.timesteps();
        float[] newSigmas;
        float[] newTimesteps;
        int steps;
        if (explicit == null) {
            if (config.flowMatchEuler().invertSigmas()) {
                // the inverted schedule rises from sigma 0: the first step's sigma_next / sigma is x / 0 (fuzzing
                // found it; diffusers returns NaN)
                throw new IllegalArgumentException("invert_sigmas: true makes the schedule rise from sigma 0 to 1, and "
                        + CLASS_NAME + "'s first step divides by sigma 0 (diffusers returns NaN); this sampler runs"
                        + " from noise (sigma 1) down to 0");
            }
            // FlowMatchEulerDiscreteScheduler.from_config(self.config).set_timesteps(num_inference_steps, mu=mu)
            Schedule euler = Schedules.compute(config.flowMatchEuler(),
                    new ScheduleRequest(request.numInferenceSteps(), null, request.mu(), null));
            newSigmas = euler.sigmas();
            newTimesteps = euler.timesteps();
            steps = euler.numSteps();
        } else {
            // torch.tensor(sigmas, dtype=torch.float32); timesteps = sigmas * float(num_train_timesteps)
            String name = request.sigmas() != null ? "sigmas" : "timesteps";
            if (explicit.length < 2) {
                // diffusers: num_inference_steps = len(sigmas) - 1 = 0, and the first step indexes past the end
                throw new IllegalArgumentException(name + ": " + explicit.length + " value; these sigmas include the"
                        + " terminal one, so a schedule needs at least 2");
            }
            // outside [0, 1], or increasing, diffusers returns infinite or NaN sigmas (fuzzing found it)
            newSigmas = Schedules.requireFlowSigmas(name, explicit);
            newTimesteps = new float[explicit.length];
            float scale = (float) config.numTrainTimesteps();
            for (int i = 0; i < explicit.length; i++) {
                newTimesteps[i] = newSigmas[i] * scale;
            }
            requireNoZeroBeforeTheEnd(newSigmas);
            if (Math.abs((double) newSigmas[newSigmas.length - 1]) > 1e-6) {
                LOG.log(System.Logger.Level.WARNING, "The last sigma in the schedule is not zero ({0}). For best "
                        + "compatibility with ComfyUI''s RF sampler, the terminal sigma should be 0.0.",
                        newSigmas[newSigmas.length - 1]);
            }
            steps = explicit.length - 1;
        }
        sigmas = newSigmas;
        timesteps = newTimesteps;
        numInferenceSteps = steps;
        stepIndex = null;
        beginIndex = null;
    }

    /** A step from sigma 0 to a sigma that is not final divides by 0 ({@code sigma_next / sigma}). */
    private static void requireNoZeroBeforeTheEnd(float[] s) {
        for (int i = 0; i + 1 < s.length; i++) {
            if (s[i] == 0 && !(Math.abs((double) s[i + 1]) < FINAL_SIGMA)) {
                throw new IllegalArgumentException("sigmas[" + i + "]: 0 is followed by " + s[i + 1] + "; a step from "
                        + "sigma 0 to a non-zero sigma divides by 0 (diffusers returns NaN). Only the terminal sigma "
                        + "(or sigmas after it that are all below 1e-8) may be 0");
            }
        }
    }

    @Override
    public float[] sigmas() {
        return requireSchedule().clone();
    }

    /** The timesteps: N for a schedule from {@code num_inference_steps}, {@code len(sigmas)} for explicit sigmas. */
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

    // ---- step ----------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code step} without a generator.
     *
     * @throws IllegalStateException when this step would draw noise ({@link #isStochastic()}): pass a
     *                               {@link NoiseSource}
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        return ancestralStep(modelOutput, timestep, sample, null);
    }

    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        return ancestralStep(modelOutput, timestep, sample, Objects.requireNonNull(noise, "noise"));
    }

    private Tensor ancestralStep(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noiseSource) {
        TensorBackend backend = Steps.checkPair(modelOutput, sample);
        requireSchedule();
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        int i = stepIndex;
        Tensor out = i >= sigmas.length - 1
                ? backend.convert(sample, sample.dtype()) // "Already at the end; simply return the current sample."
                : update(backend, modelOutput, sample, sigmas[i], sigmas[i + 1], noiseSource);
        // self._step_index = min(self._step_index + 1, len(self.sigmas) - 1)
        stepIndex = Math.min(i + 1, sigmas.length - 1);
        return out;
    }

    private static final int SAMPLE = 0;
    private static final int MODEL_OUTPUT = 1;
    private static final int NOISE = 2;

    private Tensor update(TensorBackend backend, Tensor modelOutput, Tensor sample, float sigma, float sigmaNext,
                          NoiseSource noiseSource) {
        Expr x = Expr.input(SAMPLE); // sample.to(float32): exact
        // denoised = sample_f - sigma_b * model_output_f, sigma a one-element float32 tensor (never rounded).
        Expr denoised = Expr.sub(x, Expr.mul(Expr.scalar(sigma), Expr.input(MODEL_OUTPUT), DType.FLOAT32),
                DType.FLOAT32);
        DType outType = sample.dtype();
        if (Math.abs((double) sigmaNext) < FINAL_SIGMA) {
            return backend.elementwise(Expr.cast(denoised, outType), sample, modelOutput);
        }
        float eta = (float) config.eta();
        // downstep_ratio = 1.0 + (sigma_next / sigma - 1.0) * eta; sigma_down = sigma_next * downstep_ratio
        float downstepRatio = 1f + (sigmaNext / sigma - 1f) * eta;
        float sigmaDown = sigmaNext * downstepRatio;
        float alphaNext = 1f - sigmaNext;
        float alphaDown = 1f - sigmaDown;
        float sigmaRatio = sigmaDown / sigma;
        // x = sigma_ratio * sample_f + (1.0 - sigma_ratio) * denoised
        Expr euler = Expr.add(Expr.mul(Expr.scalar(sigmaRatio), x, DType.FLOAT32),
                Expr.mul(Expr.scalar(1f - sigmaRatio), denoised, DType.FLOAT32), DType.FLOAT32);
        if (!config.addsNoise()) {
            return backend.elementwise(Expr.cast(euler, outType), sample, modelOutput);
        }
        // renoise_coeff = (sigma_next**2 - sigma_down**2 * alpha_ip1**2 / (alpha_down**2 + 1e-12)).clamp(min=0).sqrt()
        float under = sigmaNext * sigmaNext
                - (sigmaDown * sigmaDown) * (alphaNext * alphaNext) / (alphaDown * alphaDown + EPSILON);
        float renoise = (float) Math.sqrt(clampMin0(under));
        float scale = alphaNext / (alphaDown + EPSILON);
        if (noiseSource == null) {
            throw new IllegalStateException(CLASS_NAME + ": eta = " + config.eta() + " and s_noise = " + config.sNoise()
                    + " draw noise at this step: pass a NoiseSource to step(...)");
        }
        // randn_tensor(sample_f.shape, dtype=float32); x = (alpha_ip1 / (alpha_down + 1e-12)) * x
        //     + noise * renoise_coeff * s_noise
        try (Tensor noise = noiseSource.normal(backend, sample.shape(), DType.FLOAT32)) {
            Expr renoised = Expr.mul(Expr.mul(Expr.input(NOISE), Expr.scalar(renoise), DType.FLOAT32),
                    Expr.scalar((float) config.sNoise()), DType.FLOAT32);
            Expr next = Expr.add(Expr.mul(Expr.scalar(scale), euler, DType.FLOAT32), renoised, DType.FLOAT32);
            return backend.elementwise(Expr.cast(next, outType), sample, modelOutput, noise);
        }
    }

    /** torch's {@code clamp(min=0.0)}: NaN stays NaN. */
    private static float clampMin0(float value) {
        return value < 0f ? 0f : value;
    }

    /**
     * diffusers' {@code LTXEulerAncestralRFScheduler} has no {@code scale_noise} (the LTX pipelines noise their
     * latents themselves).
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        throw new UnsupportedOperationException(CLASS_NAME + " has no scale_noise in diffusers: noise image latents "
                + "as sigma * noise + (1 - sigma) * latents at sigmas()[beginIndex] yourself, as the LTX pipelines do");
    }
}

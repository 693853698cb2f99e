package dev.flowmatch.scheduler;

import dev.flowmatch.torchmath.TorchFloatMath;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.noise.TorchCpuKernel;
import dev.flowmatch.schedule.NumpyExp;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.Shifts;
import dev.flowmatch.schedule.Spacings;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.AlgorithmType;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.FinalSigmasType;
import dev.flowmatch.scheduler.DpmSolverMultistepConfig.SolverType;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Expr;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * DPM-Solver++ (multistep, orders 1 to 3) and SDE-DPM-Solver++ in flow mode: diffusers v0.40.0's
 * {@code DPMSolverMultistepScheduler} with {@code use_flow_sigmas=True} and {@code prediction_type="flow_prediction"}
 * ({@code src/diffusers/schedulers/scheduling_dpmsolver_multistep.py}), bit for bit on every backend.
 *
 * <p><b>Schedule.</b> {@code set_timesteps(N)}: {@code alphas = linspace(1, 1/T, N + 1)} in float64, sigmas
 * {@code 1 - alphas} shifted by {@code flow_shift} ({@code s t / (1 + (s - 1) t)}), reversed, the zero dropped;
 * timesteps {@code sigma * T} truncated to int64 (from the float64 sigmas), sigmas cast to float32 with the final
 * sigma appended (0, or {@code sqrt((1 - a0) / a0)} from the constructor's DDPM arrays for {@code sigma_min}).
 * {@code set_timesteps(N, mu=...)} first sets {@code flow_shift = np.exp(mu)}, which stays for later calls
 * ({@link #flowShift()}), as in diffusers.
 *
 * <p><b>Step.</b> As diffusers' {@code step}: the model output becomes the data prediction
 * {@code x0 = sample - sigma * v} in the sample's dtype arithmetic ({@code sigma} rounded to the model output's
 * dtype, the product in that dtype, the difference in the promoted dtype), the last {@code solver_order} of them are
 * kept, the sample is upcast to float32, SDE noise is drawn in float32, and the first-, second- or third-order update
 * (lower orders for the first steps, and at the end per {@code lower_order_final}, {@code euler_at_final} and
 * {@code final_sigmas_type}) is computed with coefficients from {@code lambda = log(1 - sigma) - log(sigma)}; the
 * result is cast to the data prediction's dtype. The coefficients are 0-dim float32 tensors in diffusers: computed
 * here on the host in float32 with torch's CPU kernels for {@code exp} and {@code log} (SLEEF under {@code avx2}),
 * and, where they multiply a bfloat16 / float16 tensor, rounded to that dtype first, as torch 1.13 does. Each tensor
 * line is one {@link TensorBackend#elementwise} call with torch's evaluation order and roundings.
 *
 * <p>The multistep history (the kept data predictions, {@code lower_order_nums}) and the step and begin indices
 * live in the instance and are reset by {@link #setTimesteps}. The kept predictions are tensors this scheduler owns:
 * the last step of the schedule releases them, and so does {@link #close()} (for a run left unfinished).
 *
 * <p>Where diffusers would return NaN or infinity whatever the model output (coefficients that are not finite, e.g.
 * two sigmas so close that their lambdas are equal), flowmatch refuses with an {@link IllegalArgumentException}.
 */
public final class DpmSolverMultistepScheduler implements Scheduler, AutoCloseable {
    /** diffusers' class name. */
    public static final String CLASS_NAME = "DPMSolverMultistepScheduler";
    /** diffusers applies {@code lower_order_final} only below this many steps. */
    private static final int LOWER_ORDER_FINAL_BELOW = 15;

    private final DpmSolverMultistepConfig config;
    private final TorchCpuKernel kernel;
    /** {@code sqrt((1 - alphas_cumprod[0]) / alphas_cumprod[0])}: the final sigma for {@code sigma_min}. */
    private final float sigmaMin;
    /** diffusers' {@code config.flow_shift}, which {@code set_timesteps(mu=...)} overwrites. */
    private double flowShift;
    private float[] sigmas;
    private float[] timesteps;
    private Integer stepIndex;
    private Integer beginIndex;
    /** {@code model_outputs}: the last data predictions, oldest first; null where none yet. */
    private final Tensor[] modelOutputs;
    private int lowerOrderNums;

    /**
     * A scheduler for {@code config} whose coefficients follow torch's {@code avx2} CPU kernels.
     *
     * @param config the config
     */
    public DpmSolverMultistepScheduler(DpmSolverMultistepConfig config) {
        this(config, TorchCpuKernel.AVX2);
    }

    /**
     * A scheduler for {@code config} whose coefficients follow the given torch CPU kernel.
     *
     * @param config the config
     * @param kernel the torch CPU kernel whose {@code exp} and {@code log} to reproduce
     */
    public DpmSolverMultistepScheduler(DpmSolverMultistepConfig config, TorchCpuKernel kernel) {
        this.config = Objects.requireNonNull(config, "config");
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        this.flowShift = config.flowShift();
        this.sigmaMin = sigmaMin(config);
        this.modelOutputs = new Tensor[config.solverOrder()];
    }

    /**
     * The config this scheduler was built with ({@code flow_shift} as given; see {@link #flowShift()}).
     *
     * @return the config
     */
    public DpmSolverMultistepConfig config() {
        return config;
    }

    /**
     * The torch CPU kernel whose {@code exp} and {@code log} the coefficients reproduce.
     *
     * @return the kernel
     */
    public TorchCpuKernel kernel() {
        return kernel;
    }

    /**
     * diffusers' {@code scheduler.config.flow_shift} now: the config's value until a {@code setTimesteps} with
     * {@code mu} sets it to {@code np.exp(mu)}; later calls without {@code mu} use it.
     *
     * @return the current {@code flow_shift}
     */
    public double flowShift() {
        return flowShift;
    }

    @Override
    public String className() {
        return CLASS_NAME;
    }

    @Override
    public TimestepType timestepType() {
        return TimestepType.INT64;
    }

    @Override
    public boolean isStochastic() {
        return config.algorithmType() == AlgorithmType.SDE_DPMSOLVER_PLUS_PLUS;
    }

    // ---- host math: the one place that names torch's float32 exp and log -----------------------------------

    private float exp(float x) {
        return TorchFloatMath.exp(x, kernel);
    }

    private float log(float x) {
        return TorchFloatMath.log(x, kernel);
    }

    // ---- schedule ------------------------------------------------------------------------------------------

    /**
     * The constructor's {@code alphas_cumprod[0]} turned into the {@code sigma_min} final sigma. diffusers builds the
     * whole DDPM schedule in float32 ({@code betas}, {@code alphas = 1.0 - betas}, {@code cumprod}); its first entry is
     * {@code 1.0 - betas[0]} and {@code betas[0]} is the schedule's start: {@code torch.linspace}'s first value is its
     * start, {@code scaled_linear} squares it in float32, the cosine schedule is computed in Python floats.
     */
    private static float sigmaMin(DpmSolverMultistepConfig config) {
        float beta0;
        double[] trained = config.trainedBetas();
        if (trained != null) {
            beta0 = (float) trained[0];
        } else {
            beta0 = switch (config.betaSchedule()) {
                case LINEAR -> (float) config.betaStart();
                case SCALED_LINEAR -> {
                    float root = (float) Math.sqrt(config.betaStart()); // beta_start**0.5, then linspace in float32
                    yield root * root; // ** 2 on a float32 tensor
                }
                case SQUAREDCOS_CAP_V2 -> {
                    // betas_for_alpha_bar: min(1 - alpha_bar(1/T) / alpha_bar(0), 0.999)
                    double t2 = 1.0 / config.numTrainTimesteps();
                    yield (float) Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(0.0), 0.999);
                }
            };
        }
        float alpha0 = 1.0f - beta0; // alphas = 1.0 - betas; cumprod's first entry is alphas[0]
        // ((1 - alphas_cumprod[0]) / alphas_cumprod[0]) ** 0.5 on a float32 0-dim tensor (** 0.5 is sqrt).
        return (float) Math.sqrt((1f - alpha0) / alpha0);
    }

    /** {@code math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2}. */
    private static double cosineAlphaBar(double t) {
        double c = StrictMath.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, mu=...)}. {@code sigmas} are not an argument of this
     * class, and custom {@code timesteps} with flow sigmas fail in diffusers: both are refused. {@code mu} needs
     * {@code use_dynamic_shifting} and {@code time_shift_type} "exponential" (diffusers asserts) and sets
     * {@link #flowShift()} to {@code np.exp(mu)} for this and later calls. Resets the step index, the begin index
     * and the multistep history (closing the kept tensors).
     *
     * @throws IllegalArgumentException for a refused argument, or when the schedule's coefficients are not finite
     *     (diffusers would return NaN or infinity), leaving the scheduler as it was
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        if (request.sigmas() != null) {
            throw new IllegalArgumentException("sigmas: " + CLASS_NAME + ".set_timesteps takes no sigmas argument"
                    + " (diffusers raises TypeError); pass num_inference_steps");
        }
        if (request.timesteps() != null) {
            throw new IllegalArgumentException("timesteps: custom timesteps are not supported with use_flow_sigmas"
                    + " (diffusers raises TypeError in set_timesteps); pass num_inference_steps");
        }
        int n = request.numInferenceSteps();
        double shift = flowShift;
        if (request.mu() != null) {
            double mu = request.mu();
            if (!acceptsMu()) {
                throw new IllegalArgumentException("mu: " + mu + " needs use_dynamic_shifting true and"
                        + " time_shift_type 'exponential' (diffusers asserts); this config has use_dynamic_shifting "
                        + config.useDynamicShifting() + ", time_shift_type '" + config.timeShiftType() + "'");
            }
            shift = NumpyExp.exp(mu); // self.config.flow_shift = np.exp(mu)
            if (!Double.isFinite(shift) || shift <= 0) {
                throw new IllegalArgumentException("mu: " + mu + " gives flow_shift = exp(mu) = " + shift
                        + ", which must be finite and > 0");
            }
        }
        float[] newSigmas = new float[n + 1];
        float[] newTimesteps = new float[n];
        flowSigmas(n, shift, newSigmas, newTimesteps);
        newSigmas[n] = config.finalSigmasType() == FinalSigmasType.ZERO ? 0f : sigmaMin;
        requireFiniteRun(newSigmas, n, shift);

        close();
        flowShift = shift;
        sigmas = newSigmas;
        timesteps = newTimesteps;
        stepIndex = null;
        beginIndex = null;
    }

    /**
     * The FLUX.2 pipelines' {@code set_timesteps} call for this class ({@code pipeline_flux2_klein.py}): with
     * {@code use_flow_sigmas} they pass no sigmas, so {@code set_timesteps(N, mu=mu)}. diffusers asserts
     * {@code use_dynamic_shifting} and {@code time_shift_type} "exponential" when {@code mu} is given, so for a config
     * without them (where the pipeline raises) this is the closest call diffusers takes, {@code set_timesteps(N)}
     * with the config's {@code flow_shift}.
     */
    @Override
    public ScheduleRequest flux2PipelineRequest(int numSteps, double mu) {
        ScheduleRequest steps = ScheduleRequest.steps(numSteps);
        return acceptsMu() ? steps.withMu(mu) : steps;
    }

    /** Whether {@code set_timesteps} takes {@code mu} (diffusers' assertion). */
    private boolean acceptsMu() {
        return config.useDynamicShifting() && "exponential".equals(config.timeShiftType());
    }

    /**
     * The flow branch of diffusers' {@code set_timesteps}, in float64 as numpy computes it:
     * {@code alphas = np.linspace(1, 1 / T, N + 1)}, {@code sigmas = 1.0 - alphas}, then
     * {@code np.flip(shift * sigmas / (1 + (shift - 1) * sigmas))[:-1]}, timesteps
     * {@code (sigmas * T).astype(int64)}; the sigmas are cast to float32 at the end.
     */
    private void flowSigmas(int n, double shift, float[] sigmasOut, float[] timestepsOut) {
        int trainSteps = config.numTrainTimesteps();
        double[] alphas = Spacings.linspace(1, 1.0 / trainSteps, n + 1);
        for (int k = 0; k < n; k++) {
            double sigma = Shifts.fixed(shift, 1.0 - alphas[n - k]);
            sigmasOut[k] = (float) sigma;
            timestepsOut[k] = (float) (long) (sigma * trainSteps); // int64 truncation; exact in float32 (< 2^24)
        }
    }

    /**
     * Refuses a schedule on which diffusers' step returns non-finite values whatever the model output: the
     * coefficients of each step of a run from the first timestep, at the order diffusers uses there, must be finite.
     */
    private void requireFiniteRun(float[] candidateSigmas, int n, double shift) {
        for (int i = 0; i < n; i++) {
            int order = solverOrderAt(i, Math.min(i, config.solverOrder()), n);
            List<Float> coefficients = coefficients(candidateSigmas, i, order).values();
            for (float c : coefficients) {
                if (!Float.isFinite(c)) {
                    throw new IllegalArgumentException("num_inference_steps: " + n + " with flow_shift " + shift
                            + " gives sigmas " + sigmaWindow(candidateSigmas, i) + " at step " + i + " where diffusers'"
                            + " order-" + order + " DPM-Solver step has non-finite coefficients (it would return NaN"
                            + " or infinity); use fewer steps or another flow_shift");
                }
            }
        }
    }

    private static String sigmaWindow(float[] s, int i) {
        StringBuilder b = new StringBuilder("[");
        for (int k = Math.max(0, i - 2); k <= i + 1 && k < s.length; k++) {
            b.append(k > Math.max(0, i - 2) ? ", " : "").append("sigma[").append(k).append("]=").append(s[k]);
        }
        return b.append(']').toString();
    }

    /** The current schedule; {@link IllegalStateException} before {@code setTimesteps}. */
    private float[] requireSchedule() {
        if (sigmas == null) {
            throw new IllegalStateException("no schedule: call setTimesteps(...) before using the scheduler");
        }
        return sigmas;
    }

    @Override
    public float[] sigmas() {
        return requireSchedule().clone();
    }

    /** The int64 timesteps ({@code sigma * num_train_timesteps} truncated), as exact float32 values. */
    @Override
    public float[] timesteps() {
        requireSchedule();
        return timesteps.clone();
    }

    @Override
    public int numInferenceSteps() {
        requireSchedule();
        return timesteps.length;
    }

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
        int n = numInferenceSteps();
        if (beginIndex < 0 || beginIndex >= n) {
            throw new IllegalArgumentException("beginIndex: " + beginIndex + " is outside 0.." + (n - 1));
        }
        this.beginIndex = beginIndex;
    }

    /**
     * diffusers' {@code index_for_timestep} on the int64 timesteps: the index of {@code timestep}, the second one
     * when it occurs more than once, the last index when it does not occur.
     */
    @Override
    public int indexForTimestep(float timestep) {
        requireSchedule();
        int first = -1;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                if (first >= 0) {
                    return i;
                }
                first = i;
            }
        }
        return first >= 0 ? first : timesteps.length - 1;
    }

    // ---- step ----------------------------------------------------------------------------------------------

    /**
     * diffusers' {@code step(model_output, timestep, sample)} for {@code dpmsolver++}.
     *
     * @throws IllegalStateException for {@code sde-dpmsolver++}, which draws noise: use
     *     {@link #step(Tensor, float, Tensor, NoiseSource)}
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        if (isStochastic()) {
            throw new IllegalStateException("algorithm_type sde-dpmsolver++ draws noise at every step: pass a"
                    + " NoiseSource (the generator) to step(...)");
        }
        return step(modelOutput, timestep, sample, null, null);
    }

    /**
     * diffusers' {@code step(..., generator=noise)}: {@code sde-dpmsolver++} draws its noise from {@code noise} in
     * float32 (one draw of the model output's shape per step); {@code dpmsolver++} ignores it.
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        Objects.requireNonNull(noise, "noise");
        return step(modelOutput, timestep, sample, noise, null);
    }

    /**
     * diffusers' {@code step(..., variance_noise=varianceNoise)}: {@code sde-dpmsolver++} uses the given noise
     * (upcast to float32) instead of drawing it; {@code dpmsolver++} ignores it.
     *
     * @param modelOutput   the model's prediction at {@code timestep}
     * @param timestep      the timestep the model was called at
     * @param sample        the current sample
     * @param varianceNoise standard normal noise of the model output's shape
     * @return the previous sample, a new tensor
     */
    public Tensor stepWithVarianceNoise(Tensor modelOutput, float timestep, Tensor sample, Tensor varianceNoise) {
        Objects.requireNonNull(varianceNoise, "varianceNoise");
        return step(modelOutput, timestep, sample, null, varianceNoise);
    }

    private Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noiseSource,
                        Tensor varianceNoise) {
        requireSchedule();
        TensorBackend backend = checkPair(modelOutput, "modelOutput", sample, "sample");
        if (varianceNoise != null && isStochastic()) {
            checkPair(varianceNoise, "varianceNoise", sample, "sample");
        }
        int n = timesteps.length;
        int i = stepIndex != null ? stepIndex : beginIndex != null ? beginIndex : indexForTimestep(timestep);
        if (i >= n) {
            throw new IllegalStateException("step index " + i + " is past the last step " + (n - 1) + " of " + n
                    + " (call setTimesteps again to start a new generation)");
        }
        int order = solverOrderAt(i, lowerOrderNums, n);
        for (int k = 1; k < order; k++) {
            checkPair(modelOutputs[modelOutputs.length - k], "model output history", sample, "sample");
        }
        DType x0Dtype = DType.promote(sample.dtype(), modelOutput.dtype());
        Coefficients c = coefficients(sigmas, i, order);
        // The history after this step: the new prediction at the end, the oldest one dropped.
        List<DType> historyDtypes = new ArrayList<>();
        for (int k = order - 1; k >= 1; k--) {
            historyDtypes.add(modelOutputs[modelOutputs.length - k].dtype());
        }
        historyDtypes.add(x0Dtype);
        Expr update = update(c, order, historyDtypes, i); // checks the rounded coefficients before any change

        // convert_model_output: x0_pred = sample - sigma_t * model_output (0-dim float32 sigma times the tensor)
        Expr x0Expr = Expr.sub(Expr.input(0), Expr.mul(coefficient(sigmas[i], modelOutput.dtype(), "sigma", i),
                Expr.input(1), modelOutput.dtype()), x0Dtype);
        Tensor x0 = backend.elementwise(x0Expr, sample, modelOutput);
        if (modelOutputs[0] != null) {
            modelOutputs[0].close();
        }
        System.arraycopy(modelOutputs, 1, modelOutputs, 0, modelOutputs.length - 1);
        modelOutputs[modelOutputs.length - 1] = x0;

        List<Tensor> inputs = new ArrayList<>();
        inputs.add(sample); // sample.to(torch.float32): the expression widens it exactly
        for (int k = order; k >= 1; k--) {
            inputs.add(modelOutputs[modelOutputs.length - k]); // oldest first: m[order-1], ..., m0
        }
        Tensor drawn = null;
        try {
            if (isStochastic()) {
                if (varianceNoise != null) {
                    inputs.add(varianceNoise); // variance_noise.to(float32): widened exactly
                } else {
                    if (noiseSource == null) {
                        throw new IllegalStateException("sde-dpmsolver++ needs a NoiseSource");
                    }
                    // randn_tensor(model_output.shape, generator=generator, dtype=torch.float32)
                    drawn = noiseSource.normal(backend, x0.shape(), DType.FLOAT32);
                    inputs.add(drawn);
                }
            }
            Tensor prevSample = backend.elementwise(update, inputs.toArray(Tensor[]::new));
            if (lowerOrderNums < config.solverOrder()) {
                lowerOrderNums++;
            }
            stepIndex = i + 1;
            if (stepIndex == n) {
                // No later step can read the history (diffusers' next step would raise): free it now, so a loop
                // that never calls close() holds no tensors after its run.
                releaseHistory();
            }
            return prevSample;
        } finally {
            if (drawn != null) {
                drawn.close();
            }
        }
    }

    /**
     * The order diffusers' step uses at index {@code i}: first order while there is no history, at the last step when
     * {@code euler_at_final}, {@code final_sigmas_type} "zero" or {@code lower_order_final} below 15 steps say so;
     * at most second order with one prediction kept or at the step before last under {@code lower_order_final}.
     */
    private int solverOrderAt(int i, int historyCount, int n) {
        boolean small = config.lowerOrderFinal() && n < LOWER_ORDER_FINAL_BELOW;
        boolean lowerOrderFinal = i == n - 1
                && (config.eulerAtFinal() || small || config.finalSigmasType() == FinalSigmasType.ZERO);
        boolean lowerOrderSecond = i == n - 2 && small;
        if (config.solverOrder() == 1 || historyCount < 1 || lowerOrderFinal) {
            return 1;
        }
        if (config.solverOrder() == 2 || historyCount < 2 || lowerOrderSecond) {
            return 2;
        }
        return 3;
    }

    /**
     * The 0-dim float32 coefficients of one update, computed as diffusers' torch code does (float32 arithmetic,
     * torch's {@code exp} / {@code log}, {@code sqrt} correctly rounded, {@code h**2} as {@code h*h},
     * {@code 1.0 / x} as torch's reciprocal).
     *
     * @param a       multiplies the sample
     * @param b       multiplies {@code D0} (the newest data prediction)
     * @param d1      multiplies {@code D1} (orders 2 and 3)
     * @param d2      multiplies {@code D2} (order 3)
     * @param noise   multiplies the noise (SDE)
     * @param invR0   {@code 1.0 / r0}: scales {@code m0 - m1} into {@code D1} (order 2) or {@code D1_0} (order 3)
     * @param invR1   {@code 1.0 / r1}: scales {@code m1 - m2} into {@code D1_1}
     * @param r0OverR {@code r0 / (r0 + r1)}
     * @param invR    {@code 1.0 / (r0 + r1)}
     */
    private record Coefficients(float a, float b, float d1, float d2, float noise, float invR0, float invR1,
                                float r0OverR, float invR) {
        List<Float> values() {
            return List.of(a, b, d1, d2, noise, invR0, invR1, r0OverR, invR);
        }
    }

    private Coefficients coefficients(float[] s, int i, int order) {
        boolean sde = isStochastic();
        boolean heun = config.solverType() == SolverType.HEUN;
        // _sigma_to_alpha_sigma_t with flow sigmas: alpha_t = 1 - sigma, sigma_t = sigma
        float sigmaT = s[i + 1];
        float sigmaS0 = s[i];
        float alphaT = 1f - sigmaT;
        float lambdaT = lambda(sigmaT);
        float lambdaS0 = lambda(sigmaS0);
        float h = lambdaT - lambdaS0;
        float expMinusH = exp(-h);
        float expMinus2H = exp(-2.0f * h);
        float a;
        float b;
        float noise = 0f;
        if (sde) {
            a = sigmaT / sigmaS0 * expMinusH; // (sigma_t / sigma_s0 * torch.exp(-h))
            b = alphaT * (1f - expMinus2H); // alpha_t * (1 - torch.exp(-2.0 * h))
            noise = sigmaT * (float) Math.sqrt(1.0f - expMinus2H); // sigma_t * torch.sqrt(1.0 - torch.exp(-2 * h))
        } else {
            a = sigmaT / sigmaS0; // (sigma_t / sigma_s0)
            b = alphaT * (expMinusH - 1.0f); // alpha_t * (torch.exp(-h) - 1.0), subtracted
        }
        if (order == 1) {
            return new Coefficients(a, b, 0f, 0f, noise, 0f, 0f, 0f, 0f);
        }
        float lambdaS1 = lambda(s[i - 1]);
        float h0 = lambdaS0 - lambdaS1;
        float r0 = h0 / h;
        float invR0 = 1.0f / r0;
        float d1;
        if (order == 2 && !heun) {
            d1 = 0.5f * b; // midpoint: 0.5 * (alpha_t * (...)), the D0 coefficient halved
        } else if (sde) {
            d1 = alphaT * ((1.0f - expMinus2H) / (-2.0f * h) + 1.0f); // heun and order 3
        } else {
            d1 = alphaT * ((expMinusH - 1.0f) / h + 1.0f); // heun and order 3
        }
        if (order == 2) {
            return new Coefficients(a, b, d1, 0f, noise, invR0, 0f, 0f, 0f);
        }
        float lambdaS2 = lambda(s[i - 2]);
        float h1 = lambdaS1 - lambdaS2;
        float r1 = h1 / h;
        float invR1 = 1.0f / r1;
        float r0OverR = r0 / (r0 + r1);
        float invR = 1.0f / (r0 + r1);
        float d2;
        if (sde) {
            // alpha_t * ((1.0 - torch.exp(-2.0 * h) - 2.0 * h) / (2.0 * h) ** 2 - 0.5)
            float twoH = 2.0f * h;
            d2 = alphaT * (((1.0f - expMinus2H) - twoH) / (twoH * twoH) - 0.5f);
        } else {
            // alpha_t * ((torch.exp(-h) - 1.0 + h) / h**2 - 0.5)
            d2 = alphaT * (((expMinusH - 1.0f) + h) / (h * h) - 0.5f);
        }
        return new Coefficients(a, b, d1, d2, noise, invR0, invR1, r0OverR, invR);
    }

    /** {@code lambda = torch.log(alpha) - torch.log(sigma)} with {@code alpha = 1 - sigma}, in float32. */
    private float lambda(float sigma) {
        return log(1f - sigma) - log(sigma);
    }

    /**
     * The update of one step as one expression over (sample, the {@code order} newest data predictions oldest
     * first, noise): each line of diffusers' {@code dpm_solver_first_order_update},
     * {@code multistep_dpm_solver_second_order_update} or {@code multistep_dpm_solver_third_order_update} in
     * torch's evaluation order. Every coefficient times a tensor is rounded to the tensor's dtype first; every
     * product is rounded to the tensor's dtype; differences of predictions to their promoted dtype; the sums with
     * the float32 sample are float32; the result is cast to the newest prediction's dtype.
     *
     * @param dtypes the dtypes of the predictions used, oldest first (the newest last)
     */
    private Expr update(Coefficients c, int order, List<DType> dtypes, int i) {
        boolean sde = isStochastic();
        boolean midpoint = config.solverType() == SolverType.MIDPOINT;
        DType f32 = DType.FLOAT32;
        Expr sample = Expr.input(0);
        DType d0 = dtypes.get(order - 1);
        Expr m0 = Expr.input(order);
        Expr noise = Expr.input(order + 1);
        // (a * sample) -/+ (b * D0)
        Expr x = Expr.mul(coefficient(c.a(), f32, "sample coefficient", i), sample, f32);
        Expr bD0 = Expr.mul(coefficient(c.b(), d0, "D0 coefficient", i), m0, d0);
        x = sde ? Expr.add(x, bD0, f32) : Expr.sub(x, bD0, f32);
        if (order == 2) {
            DType d1 = DType.promote(d0, dtypes.get(0));
            // D1 = (1.0 / r0) * (m0 - m1)
            Expr diff = Expr.sub(m0, Expr.input(1), d1);
            Expr dd1 = Expr.mul(coefficient(c.invR0(), d1, "1/r0", i), diff, d1);
            Expr term = Expr.mul(coefficient(c.d1(), d1, "D1 coefficient", i), dd1, d1);
            // midpoint: dpmsolver++ subtracts 0.5 * b * D1, sde adds it; heun adds its own term for both.
            x = !sde && midpoint ? Expr.sub(x, term, f32) : Expr.add(x, term, f32);
        } else if (order == 3) {
            DType dm1 = dtypes.get(1);
            DType dm2 = dtypes.get(0);
            Expr m1 = Expr.input(2);
            Expr m2 = Expr.input(1);
            DType t10 = DType.promote(d0, dm1);
            DType t11 = DType.promote(dm1, dm2);
            // D1_0 = (1.0 / r0) * (m0 - m1), D1_1 = (1.0 / r1) * (m1 - m2)
            Expr d10 = Expr.mul(coefficient(c.invR0(), t10, "1/r0", i), Expr.sub(m0, m1, t10), t10);
            Expr d11 = Expr.mul(coefficient(c.invR1(), t11, "1/r1", i), Expr.sub(m1, m2, t11), t11);
            DType td = DType.promote(t10, t11);
            Expr diff = Expr.sub(d10, d11, td);
            // D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1); D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
            DType tD1 = DType.promote(t10, td);
            Expr dd1 = Expr.add(d10, Expr.mul(coefficient(c.r0OverR(), td, "r0/(r0+r1)", i), diff, td), tD1);
            Expr dd2 = Expr.mul(coefficient(c.invR(), td, "1/(r0+r1)", i), diff, td);
            x = Expr.add(x, Expr.mul(coefficient(c.d1(), tD1, "D1 coefficient", i), dd1, tD1), f32);
            Expr d2Term = Expr.mul(coefficient(c.d2(), td, "D2 coefficient", i), dd2, td);
            x = sde ? Expr.add(x, d2Term, f32) : Expr.sub(x, d2Term, f32);
        }
        if (sde) {
            x = Expr.add(x, Expr.mul(coefficient(c.noise(), f32, "noise coefficient", i), noise, f32), f32);
        }
        return Expr.cast(x, d0); // prev_sample.to(model_output.dtype), model_output being the data prediction
    }

    /**
     * A 0-dim float32 coefficient as torch 1.13 uses it against a tensor of {@code dtype}: rounded to that dtype. A
     * coefficient that is not finite there makes diffusers' result NaN or infinite: refused.
     */
    private Expr coefficient(float value, DType dtype, String name, int i) {
        float rounded = dtype.round(value);
        if (!Float.isFinite(rounded)) {
            throw new IllegalArgumentException("step " + i + ": the " + name + " of diffusers' DPM-Solver update is "
                    + value + (rounded == value ? "" : " (" + rounded + " in " + dtype.torchName() + ")")
                    + " on sigmas " + sigmaWindow(sigmas, i) + ", so diffusers would return NaN or infinity here");
        }
        return Expr.scalar(rounded);
    }

    // ---- add_noise -----------------------------------------------------------------------------------------

    /**
     * diffusers' {@code add_noise(original_samples=sample, noise, timesteps)} with every batch entry at
     * {@code timestep}: {@code alpha_t * sample + sigma_t * noise} with the sigmas cast to the sample's dtype,
     * {@code alpha_t = 1 - sigma} in that dtype, each product in its promoted dtype. The index: looked up from the
     * timestep when no begin index is set, else the step index once stepping has begun, else the begin index.
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        requireSchedule();
        TensorBackend backend = checkPair(noise, "noise", sample, "sample");
        int index = beginIndex == null ? indexForTimestep(timestep) : stepIndex != null ? stepIndex : beginIndex;
        DType d = sample.dtype();
        float sigma = d.round(sigmas[index]); // self.sigmas.to(dtype=original_samples.dtype)
        float alpha = d.round(1f - sigma); // 1 - sigma, a tensor of the sample's dtype
        DType noiseProduct = DType.promote(d, noise.dtype());
        Expr expr = Expr.add(Expr.mul(Expr.scalar(alpha), Expr.input(0), d),
                Expr.mul(Expr.scalar(sigma), Expr.input(1), noiseProduct), noiseProduct);
        return backend.elementwise(expr, sample, noise);
    }

    /**
     * Releases the kept data predictions (the multistep history); a later {@link #setTimesteps} starts afresh. The
     * last step of a schedule releases them too.
     */
    @Override
    public void close() {
        releaseHistory();
        lowerOrderNums = 0;
    }

    private void releaseHistory() {
        for (int k = 0; k < modelOutputs.length; k++) {
            if (modelOutputs[k] != null) {
                modelOutputs[k].close();
                modelOutputs[k] = null;
            }
        }
    }

    private static TensorBackend checkPair(Tensor a, String roleA, Tensor b, String roleB) {
        Objects.requireNonNull(a, roleA);
        Objects.requireNonNull(b, roleB);
        a.requireOpen(roleA);
        b.requireOpen(roleB);
        if (a.backend() != b.backend()) {
            throw new IllegalArgumentException(roleA + " is on backend '" + a.backend().name() + "' but " + roleB
                    + " is on backend '" + b.backend().name() + "'; move one with Tensors.transfer");
        }
        Tensors.requireSameShape(roleA, a, roleB, b);
        return b.backend();
    }
}

package dev.flowmatch;

import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.noise.TorchBuild;
import dev.flowmatch.schedule.DiffusersRelease;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.Schedule;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.schedule.SchedulerConfigJson;
import dev.flowmatch.schedule.Schedules;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.TensorBackend;
import dev.flowmatch.tensor.Tensors;
import java.util.Objects;

/**
 * The flow-matching Euler scheduler: diffusers' {@code FlowMatchEulerDiscreteScheduler} (the reference, bit
 * for bit) with the seed's API (Ollama's {@code flux2.FlowMatchScheduler}).
 *
 * <pre>{@code
 * FlowMatchScheduler scheduler = new FlowMatchScheduler(SchedulerConfig.flux2Klein());
 * scheduler.setTimestepsWithMu(4, Flux2.computeEmpiricalMu(Flux2.imageSeqLen(ImageSize.square(1024)), 4));
 * for (int i = 0; i < scheduler.numSteps(); i++) {
 *     try (Tensor v = model.velocity(latents, scheduler.timestep(i) / 1000f);
 *          Tensor previous = latents) {
 *         latents = scheduler.step(v, previous, i);
 *     }
 * }
 * }</pre>
 *
 * <p><b>Two forms of setting timesteps.</b> {@link #setTimesteps(ScheduleRequest)} is diffusers'
 * {@code set_timesteps} (the {@link Scheduler} contract): on a config with dynamic shifting it needs {@code mu}
 * and raises without it, as diffusers does, and {@code mu} always means the time-shift parameter ({@code mu = 0}
 * is the identity exponential shift). {@link #setTimesteps(int)} and {@link #setTimestepsWithMu(int, double)} are
 * the seed's ({@code SetTimesteps} / {@code SetTimestepsWithMu} in Ollama's {@code scheduler.go}) and keep the
 * seed's rule: {@code mu == 0} selects the fixed {@code shift}, even with dynamic shifting on.
 *
 * <p><b>Thread safety:</b> an instance holds the state of one generation (the schedule, the step index, the
 * begin index) and is not thread-safe; use one instance per concurrent generation. Backends and tensors are
 * thread-safe, and the schedule math is pure.
 */
public final class FlowMatchScheduler implements Scheduler {
    private final SchedulerConfig config;
    private Precision precision = Precision.DIFFUSERS;
    private Convention convention = Convention.DIFFUSERS;
    private TorchBuild torchBuild = TorchBuild.STANDARD;
    private DiffusersRelease diffusersRelease = DiffusersRelease.V0_40;
    private double shift;
    private Schedule schedule;
    private Integer stepIndex;
    private Integer beginIndex;

    /**
     * A scheduler for {@code config} (diffusers' {@code FlowMatchEulerDiscreteScheduler(**config)}).
     *
     * @param config the scheduler config
     */
    public FlowMatchScheduler(SchedulerConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.shift = config.shift();
    }

    /**
     * The config this scheduler was made with.
     *
     * @return the config
     */
    public SchedulerConfig config() {
        return config;
    }

    /**
     * The step precision (default {@link Precision#DIFFUSERS}).
     *
     * @return the precision of later steps
     */
    public Precision precision() {
        return precision;
    }

    /**
     * Sets the precision of later steps.
     *
     * @param precision {@link Precision#DIFFUSERS} (diffusers' {@code step}) or {@link Precision#FP32} (the seed's)
     * @return this scheduler
     */
    public FlowMatchScheduler setPrecision(Precision precision) {
        this.precision = Objects.requireNonNull(precision, "precision");
        return this;
    }

    // ---- numeric convention (see dev.flowmatch.convention) -------------------------------------------------

    /**
     * Whose arithmetic {@link #setTimestepsWithMu} and the step reproduce (default {@link Convention#DIFFUSERS}).
     *
     * @return the convention
     */
    public Convention convention() {
        return convention;
    }

    /**
     * Selects the engine whose numbers {@link #setTimestepsWithMu} computes ({@link Convention#flux2Schedule}).
     * {@link Convention#OLLAMA} and {@link Convention#OLLAMA_ARM64} also make {@link #step(Tensor, Tensor, int)}
     * Ollama's {@code Step} ({@link OllamaSchedule#STEP_SPEC}: float32, result bfloat16, whatever the precision);
     * under any convention but diffusers', {@link #setTimesteps(ScheduleRequest)} is refused. Takes effect at the
     * next {@code setTimesteps} call.
     *
     * @param convention the engine to reproduce
     * @return this scheduler
     */
    public FlowMatchScheduler setConvention(Convention convention) {
        this.convention = Objects.requireNonNull(convention, "convention");
        return this;
    }

    /**
     * The torch build whose {@code linspace} {@link Convention#COMFYUI} runs on (default {@link TorchBuild#STANDARD}).
     *
     * @return the torch build
     */
    public TorchBuild torchBuild() {
        return torchBuild;
    }

    /**
     * Selects the torch build (CPU kernel and release) whose {@code linspace} {@link Convention#COMFYUI} runs on.
     *
     * @param torchBuild the torch build
     * @return this scheduler
     */
    public FlowMatchScheduler setTorchBuild(TorchBuild torchBuild) {
        this.torchBuild = Objects.requireNonNull(torchBuild, "torchBuild");
        return this;
    }

    /**
     * The diffusers release {@link #setTimesteps(ScheduleRequest)} reproduces (default {@link DiffusersRelease#V0_40}).
     *
     * @return the release
     */
    public DiffusersRelease diffusersRelease() {
        return diffusersRelease;
    }

    /**
     * diffusers 0.39 returned custom timesteps as given; 0.40 recomputes them from the sigmas (#14011).
     *
     * @param release the release to reproduce
     * @return this scheduler
     */
    public FlowMatchScheduler setDiffusersRelease(DiffusersRelease release) {
        this.diffusersRelease = Objects.requireNonNull(release, "release");
        return this;
    }

    /**
     * The fixed shift used by the next {@code setTimesteps} (diffusers' {@code scheduler.shift}).
     *
     * @return the fixed shift, initially the config's {@code shift}
     */
    public double shift() {
        return shift;
    }

    /**
     * diffusers' {@code set_shift}: changes the fixed shift of later {@code setTimesteps} calls.
     *
     * @param shift the new fixed shift, in {@code [Limits.MIN_SHIFT, Limits.MAX_SHIFT]}
     * @throws IllegalArgumentException if {@code shift} is out of range
     */
    public void setShift(double shift) {
        this.shift = Limits.requireShift("shift", shift);
    }

    // ---- schedules -----------------------------------------------------------------------------------------

    /**
     * The seed's {@code SetTimesteps(numSteps)}: the FLUX.2 pipeline sigmas {@code linspace(1, 1/N, N)} with the
     * fixed {@code shift}, computed as diffusers computes custom sigmas with dynamic shifting off — also on a config
     * with dynamic shifting, where diffusers' {@code set_timesteps(N)} would raise for the missing {@code mu}. For
     * diffusers' call use {@code setTimesteps(ScheduleRequest.steps(numSteps))}.
     *
     * @param numSteps the number of steps, in {@code [1, Limits.MAX_STEPS]}
     * @throws IllegalArgumentException if {@code numSteps} is out of range
     */
    public void setTimesteps(int numSteps) {
        setTimestepsWithMu(numSteps, 0);
    }

    /**
     * The seed's {@code SetTimestepsWithMu}: diffusers' {@code set_timesteps(sigmas=linspace(1, 1/N, N), mu=mu)}
     * as the FLUX.2 pipelines call it. As in the seed, {@code mu == 0} means the fixed shift (not the identity
     * shift that {@code mu = 0} gives in diffusers' form, {@link #setTimesteps(ScheduleRequest)}). Under another
     * {@linkplain #setConvention convention}, that engine's schedule ({@link Convention#flux2Schedule}).
     *
     * @param numSteps the number of steps, in {@code [1, Limits.MAX_STEPS]}
     * @param mu       the resolution-dependent shift, in {@code [Limits.MIN_MU, Limits.MAX_MU]} ({@code (0, MAX_MU]} for
     *                 the linear time shift); 0 selects the fixed shift
     * @throws IllegalArgumentException if {@code numSteps} or {@code mu} is out of range
     */
    public void setTimestepsWithMu(int numSteps, double mu) {
        install(convention.flux2Schedule(config, shift, numSteps, mu, torchBuild));
    }

    /**
     * diffusers' {@code set_timesteps(num_inference_steps, sigmas=..., mu=..., timesteps=...)}, any argument
     * may be absent; see {@link ScheduleRequest} and {@link Schedules}. With dynamic shifting on, {@code mu} is
     * required (an {@link IllegalArgumentException} otherwise, as diffusers raises).
     *
     * @param request the arguments of the call
     * @throws IllegalArgumentException where diffusers raises, naming the argument
     * @throws IllegalStateException    under a convention other than diffusers'
     */
    @Override
    public void setTimesteps(ScheduleRequest request) {
        Objects.requireNonNull(request, "request");
        if (convention != Convention.DIFFUSERS) {
            throw new IllegalStateException("setTimesteps(ScheduleRequest) is diffusers' set_timesteps; the "
                    + convention + " convention computes only setTimestepsWithMu(numSteps, mu)");
        }
        install(Schedules.compute(config, shift, request, diffusersRelease));
    }

    private void install(Schedule computed) {
        schedule = computed;
        stepIndex = null;
        beginIndex = null;
    }

    /**
     * The current schedule.
     *
     * @return the schedule of the last {@code setTimesteps} call
     * @throws IllegalStateException before a {@code setTimesteps} call
     */
    public Schedule schedule() {
        if (schedule == null) {
            throw new IllegalStateException("no schedule: call setTimesteps(...) before using the scheduler");
        }
        return schedule;
    }

    /**
     * The sigmas of the current schedule.
     *
     * @return N + 1 sigmas (terminal 0, or 1 when inverted), a copy
     * @throws IllegalStateException before a {@code setTimesteps} call
     */
    @Override
    public float[] sigmas() {
        return schedule().sigmas();
    }

    /**
     * The timesteps of the current schedule.
     *
     * @return N timesteps, a copy
     * @throws IllegalStateException before a {@code setTimesteps} call
     */
    @Override
    public float[] timesteps() {
        return schedule().timesteps();
    }

    /**
     * One timestep of the current schedule.
     *
     * @param i the step index, {@code 0 <= i < numSteps()}
     * @return timestep {@code i}
     * @throws IllegalStateException before a {@code setTimesteps} call
     */
    public float timestep(int i) {
        return schedule().timestep(i);
    }

    /**
     * The number of steps of the current schedule.
     *
     * @return N
     * @throws IllegalStateException before a {@code setTimesteps} call
     */
    public int numSteps() {
        return schedule().numSteps();
    }

    @Override
    public String className() {
        return SchedulerConfigJson.CLASS_NAME;
    }

    @Override
    public int numInferenceSteps() {
        return numSteps();
    }

    @Override
    public boolean isStochastic() {
        return config.stochasticSampling();
    }

    /**
     * The seed's {@code CalculateShift}: diffusers' {@code compute_empirical_mu}, exact in float64.
     *
     * @param imageSeqLen the image sequence length (packed latent tokens), {@code >= 1}
     * @param numSteps    the number of inference steps, {@code >= 1}
     * @return the empirical mu
     * @see Flux2#computeEmpiricalMu(int, int)
     */
    public static double calculateShift(int imageSeqLen, int numSteps) {
        return Flux2.computeEmpiricalMu(imageSeqLen, numSteps);
    }

    // ---- step index (diffusers' rules) ---------------------------------------------------------------------

    /**
     * diffusers' {@code step_index}: the index of the next diffusers-form {@code step}.
     *
     * @return the index, or null before the first diffusers-form step of this schedule
     */
    @Override
    public Integer stepIndex() {
        return stepIndex;
    }

    /**
     * diffusers' {@code begin_index}.
     *
     * @return the index set by {@link #setBeginIndex}, or null when none is set for this schedule
     */
    @Override
    public Integer beginIndex() {
        return beginIndex;
    }

    /**
     * diffusers' {@code set_begin_index}: the first step uses this index instead of looking up its timestep.
     *
     * @param beginIndex the index of the first step, {@code 0 <= beginIndex < numSteps()}
     * @throws IllegalArgumentException if {@code beginIndex} is outside the schedule
     * @throws IllegalStateException    before a {@code setTimesteps} call
     */
    @Override
    public void setBeginIndex(int beginIndex) {
        int n = numSteps();
        if (beginIndex < 0 || beginIndex >= n) {
            throw new IllegalArgumentException("beginIndex: " + beginIndex + " is outside 0.." + (n - 1));
        }
        this.beginIndex = beginIndex;
    }

    /**
     * diffusers' {@code index_for_timestep}; see {@link Schedule#indexForTimestep}.
     *
     * @param timestep a timestep of the current schedule
     * @return its index
     * @throws IllegalArgumentException if {@code timestep} is not in the schedule
     */
    @Override
    public int indexForTimestep(float timestep) {
        return schedule().indexForTimestep(timestep);
    }

    private int currentIndex(float timestep) {
        if (stepIndex == null) {
            stepIndex = beginIndex != null ? beginIndex : indexForTimestep(timestep);
        }
        return stepIndex;
    }

    // ---- steps ---------------------------------------------------------------------------------------------

    /**
     * The seed's {@code Step(modelOutput, sample, i)}: one Euler step from sigma {@code i} to sigma {@code i+1}.
     * Does not touch the diffusers step counter. The inputs stay open (the caller owns them).
     *
     * @param modelOutput the model's velocity prediction, same shape and backend as {@code sample}
     * @param sample      the current latents
     * @param stepIndex   the step, {@code 0 <= stepIndex < numSteps()}
     * @return the next latents, a new tensor of the model output's dtype that the caller must close
     * @throws IllegalArgumentException if the tensors do not match or {@code stepIndex} is outside the schedule
     * @throws IllegalStateException    if a tensor is closed, or before a {@code setTimesteps} call
     */
    public Tensor step(Tensor modelOutput, Tensor sample, int stepIndex) {
        return eulerStep(modelOutput, sample, checkIndex(stepIndex));
    }

    /**
     * diffusers' {@code step(model_output, timestep, sample)}: the first call finds its index from the begin
     * index or the timestep, later calls advance by one. With {@code stochastic_sampling} on, use
     * {@link #step(Tensor, float, Tensor, NoiseSource)}. The inputs stay open (the caller owns them).
     *
     * @param modelOutput the model's velocity prediction, same shape and backend as {@code sample}
     * @param timestep    the current timestep (used to find the index on the first call without a begin index)
     * @param sample      the current latents
     * @return the next latents, a new tensor of the model output's dtype that the caller must close
     * @throws IllegalArgumentException if the tensors do not match or the schedule has no step left
     * @throws IllegalStateException    if {@code stochastic_sampling} is on, a tensor is closed, or before a
     *                                  {@code setTimesteps} call
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample) {
        if (config.stochasticSampling()) {
            throw new IllegalStateException("stochastic_sampling is on: pass a NoiseSource to step(...)");
        }
        int i = checkIndex(currentIndex(timestep));
        Tensor out = eulerStep(modelOutput, sample, i);
        stepIndex = i + 1;
        return out;
    }

    /**
     * diffusers' {@code step} with a generator: with {@code stochastic_sampling} on,
     * {@code x0 = x - sigma * v} and {@code prev = (1 - sigma_next) * x0 + sigma_next * noise}, the noise drawn
     * from {@code noise} in float32 (diffusers draws it in the upcast sample's dtype); otherwise the Euler step.
     *
     * @param modelOutput the model's velocity prediction, same shape and backend as {@code sample}
     * @param timestep    the current timestep (used to find the index on the first call without a begin index)
     * @param sample      the current latents
     * @param noise       where the fresh noise of a stochastic step comes from
     * @return the next latents, a new tensor of the model output's dtype that the caller must close
     * @throws IllegalArgumentException if the tensors do not match or the schedule has no step left
     * @throws IllegalStateException    if a tensor is closed, or before a {@code setTimesteps} call
     */
    @Override
    public Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise) {
        Objects.requireNonNull(noise, "noise");
        int i = checkIndex(currentIndex(timestep));
        Tensor out = config.stochasticSampling()
                ? stochasticStep(modelOutput, sample, i, noise)
                : eulerStep(modelOutput, sample, i);
        stepIndex = i + 1;
        return out;
    }

    private Tensor eulerStep(Tensor modelOutput, Tensor sample, int i) {
        TensorBackend backend = checkPair(modelOutput, sample);
        // diffusers: dt = sigma_next - sigma, a float32 0-dim tensor difference.
        float dt = schedule.sigma(i + 1) - schedule.sigma(i);
        AffineSpec spec = convention.ollama().isPresent() ? OllamaSchedule.STEP_SPEC
                : precision.stepSpec(modelOutput.dtype());
        return backend.affine(1f, sample, dt, modelOutput, spec);
    }

    private Tensor stochasticStep(Tensor modelOutput, Tensor sample, int i, NoiseSource noiseSource) {
        TensorBackend backend = checkPair(modelOutput, sample);
        float sigma = schedule.sigma(i);
        float sigmaNext = schedule.sigma(i + 1);
        // x0 = sample - current_sigma * model_output: the same rounding as the Euler step, output float32.
        AffineSpec x0Spec = new AffineSpec(DType.FLOAT32, precision.stepSpec(modelOutput.dtype()).productY(),
                DType.FLOAT32, DType.FLOAT32);
        try (Tensor x0 = backend.affine(1f, sample, -sigma, modelOutput, x0Spec);
             Tensor noise = noiseSource.normal(backend, sample.shape(), DType.FLOAT32)) {
            // prev = (1.0 - next_sigma) * x0 + next_sigma * noise, all float32, cast to the model output dtype.
            return backend.affine(1f - sigmaNext, x0, sigmaNext, noise, AffineSpec.float32(modelOutput.dtype()));
        }
    }

    /**
     * diffusers' {@code scale_noise}, the flow-matching forward process used by img2img:
     * {@code sigma * noise + (1 - sigma) * sample} at the sigma of {@code timestep}. The index follows
     * diffusers: looked up from the timestep when no begin index is set, else the current step index, else the
     * begin index. In {@link Precision#DIFFUSERS} mode the arithmetic is PyTorch's: sigma is cast to the
     * sample's dtype and each operation rounds to the promoted dtype; in {@link Precision#FP32} mode it is
     * float32, rounded once to the sample's dtype.
     *
     * @param sample   the clean latents (e.g. an encoded image)
     * @param timestep a timestep of the current schedule
     * @param noise    the noise, same shape and backend as {@code sample}
     * @return the noised latents, a new tensor the caller must close
     * @throws IllegalArgumentException if the tensors do not match or {@code timestep} is not in the schedule
     */
    @Override
    public Tensor scaleNoise(Tensor sample, float timestep, Tensor noise) {
        checkPair(noise, sample);
        int index = beginIndex == null ? indexForTimestep(timestep) : stepIndex != null ? stepIndex : beginIndex;
        return scaleNoise(sample, schedule.sigma(index), noise, precision);
    }

    /**
     * The arithmetic of diffusers' {@code scale_noise} at {@code sigma}: {@code sigma * noise + (1 - sigma) * sample}.
     * In {@link Precision#DIFFUSERS} mode as PyTorch computes it ({@code sigmas.to(sample.dtype)}, so sigma and
     * {@code 1 - sigma} are rounded to the sample's dtype, and each operation rounds to the promoted dtype); in
     * {@link Precision#FP32} mode in float32, rounded once to the sample's dtype. {@code FlowMatchLCMScheduler}'s
     * {@code scale_noise} is the same code in diffusers and uses this.
     *
     * @param sample    the clean sample
     * @param sigma     the sigma to noise it to
     * @param noise     the noise, of the sample's shape and backend
     * @param precision the rounding mode
     * @return the noised sample, a new tensor
     */
    public static Tensor scaleNoise(Tensor sample, float sigma, Tensor noise, Precision precision) {
        TensorBackend backend = checkPair(noise, sample);
        DType d = sample.dtype();
        if (precision == Precision.FP32) {
            return backend.affine(sigma, noise, 1f - sigma, sample, AffineSpec.float32(d));
        }
        // sigmas.to(sample.dtype); (1.0 - sigma) is computed in that dtype too.
        float sigmaD = d.round(sigma);
        float oneMinusSigmaD = d.round(1f - sigmaD);
        DType result = DType.promote(d, noise.dtype());
        DType noiseProduct = DType.promote(d, noise.dtype());
        return backend.affine(sigmaD, noise, oneMinusSigmaD, sample,
                new AffineSpec(noiseProduct, d, result, result));
    }

    private int checkIndex(int i) {
        int n = numSteps();
        if (i < 0 || i >= n) {
            throw new IllegalArgumentException("step index " + i + " is outside 0.." + (n - 1) + " (a schedule of "
                    + n + " steps; call setTimesteps again to start a new generation)");
        }
        return i;
    }

    private static TensorBackend checkPair(Tensor modelOutput, Tensor sample) {
        Objects.requireNonNull(modelOutput, "modelOutput");
        Objects.requireNonNull(sample, "sample");
        modelOutput.requireOpen("modelOutput");
        sample.requireOpen("sample");
        if (modelOutput.backend() != sample.backend()) {
            throw new IllegalArgumentException("modelOutput is on backend '" + modelOutput.backend().name()
                    + "' but sample is on backend '" + sample.backend().name() + "'; move one with Tensors.transfer");
        }
        Tensors.requireSameShape("modelOutput", modelOutput, "sample", sample);
        return sample.backend();
    }
}

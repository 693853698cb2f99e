package dev.flowmatch.sampling;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Limits;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.convention.Convention;
import dev.flowmatch.convention.OllamaSchedule;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import dev.flowmatch.tensor.Tensors;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The denoising loops of diffusers' FLUX.2 klein pipelines, step for step, with any scheduler of the family
 * ({@link Scheduler}):
 * <ul>
 *   <li>{@link #run}: text-to-image ({@code Flux2KleinPipeline.__call__}, steps 6 and 7): the distilled model
 *       (4 steps, no guidance) or klein base ({@link Builder#kleinBase()}: 50 steps, classifier-free guidance
 *       {@code neg + 4.0 * (cond - neg)});</li>
 *   <li>{@link #imageToImage} and {@link #inpaint}: {@code Flux2KleinInpaintPipeline}'s strength
 *       ({@link Strength}, the start latents {@code scale_noise(image, first kept timestep, noise)}) and, for
 *       inpainting, the blend after every step ({@link Inpainting}).</li>
 * </ul>
 * Every loop: the timesteps are set as the pipeline sets them ({@link Scheduler#flux2PipelineRequest}: for the
 * flow-match classes {@code sigmas = linspace(1, 1/N, N)} and {@code mu = compute_empirical_mu(image_seq_len, N)})
 * or from the request given to {@link Builder#schedule}, then {@code set_begin_index}; for each timestep {@code t}
 * from the begin index, {@code timestep = t.to(latents.dtype)}, the model is called with {@code timestep / 1000}
 * (computed in the latents' dtype), and {@code latents = scheduler.step(noise_pred, t, latents[, generator])}.
 * A second-order scheduler lists most timesteps twice, so the model is called twice per step.
 *
 * <p>With {@link Builder#convention} {@link Convention#OLLAMA} (or {@link Convention#OLLAMA_ARM64}) the loop is
 * Ollama's FLUX.2 loop instead ({@code flux2.go}): its image sequence length and float32 {@code CalculateShift},
 * its schedule, the model called with {@code bf16(timestep / num_train_timesteps)}, and its {@code Step}
 * (bfloat16 result). Start it from {@code Flux2Latents.initLatents(..., NoiseGenerator.MLX)} for Ollama's noise.
 *
 * <p>Ownership: inputs stay the caller's; the result is a new tensor the caller closes; every tensor the loop
 * makes in between (model outputs included) is closed by the loop. A sampler is immutable and can run many
 * times; each run uses its own scheduler, so runs may be concurrent.
 */
public final class Sampler {
    private static final System.Logger LOG = System.getLogger(Sampler.class.getName());

    /** Called after every step; see {@link StepEvent}. */
    @FunctionalInterface
    public interface StepListener {
        /**
         * Receives one completed step.
         *
         * @param event the step; its tensors are valid only during the call
         */
        void onStep(StepEvent event);
    }

    private final Supplier<? extends Scheduler> schedulers;
    private final ScheduleRequest schedule;
    private final int numSteps;
    private final int imageSeqLen;
    private final double guidanceScale;
    private final boolean distilled;
    private final Convention convention;
    private final SchedulerConfig config;
    private final StepListener listener;
    private final BooleanSupplier cancelled;
    private final boolean nanGuard;

    private Sampler(Builder b) {
        this.schedulers = b.schedulers != null ? b.schedulers : eulerFactory(b.config, b.precision);
        this.schedule = b.schedule;
        this.numSteps = b.numSteps;
        this.convention = b.convention;
        this.config = b.config;
        this.imageSeqLen = b.size != null ? convention.imageSeqLen(b.size) : b.imageSeqLen;
        if (convention != Convention.DIFFUSERS && (b.schedulers != null || b.schedule != null)) {
            throw new IllegalArgumentException("convention: " + convention + " reproduces Ollama's own loop with its "
                    + "Euler scheduler; it cannot take another scheduler or a set_timesteps request");
        }
        this.guidanceScale = b.guidanceScale;
        this.distilled = b.distilled;
        this.listener = b.listener;
        this.cancelled = b.cancelled;
        this.nanGuard = b.nanGuard;
        if (guidanceScale > 1 && distilled && b.guidanceScaleSet) {
            // diffusers' check_inputs: "Guidance scale ... is ignored for step-wise distilled models." diffusers
            // warns at its own default scale too; here only a scale the caller chose warns, not every default build.
            LOG.log(System.Logger.Level.WARNING, "guidance scale " + guidanceScale
                    + " is ignored for a step-wise distilled model (set distilled(false) for klein base)");
        }
    }

    private Supplier<Scheduler> eulerFactory(SchedulerConfig config, Precision precision) {
        return () -> new FlowMatchScheduler(config).setPrecision(precision).setConvention(convention);
    }

    /**
     * A builder with the defaults of {@link Builder}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether this sampler applies classifier-free guidance ({@link Guidance#applies}).
     *
     * @return whether the model must be a {@link GuidedModel}
     */
    public boolean guides() {
        return Guidance.applies(guidanceScale, distilled);
    }

    /**
     * The scheduler a run uses, with its timesteps set as the pipeline sets them and begin index 0.
     *
     * @return a new scheduler, the caller's (close it when done: {@link Scheduler#close()})
     */
    public Scheduler newScheduler() {
        Scheduler scheduler = schedulerWithTimesteps();
        scheduler.setBeginIndex(0);
        return scheduler;
    }

    private Scheduler schedulerWithTimesteps() {
        Scheduler scheduler = Objects.requireNonNull(schedulers.get(), "the scheduler factory returned null");
        if (convention != Convention.DIFFUSERS) {
            // Ollama: SetTimestepsWithMu(steps, CalculateShift(imgSeqLen, steps)), all in float32.
            ((FlowMatchScheduler) scheduler).setTimestepsWithMu(numSteps, convention.empiricalMu(imageSeqLen, numSteps));
            return scheduler;
        }
        double mu = Flux2.computeEmpiricalMu(imageSeqLen, numSteps);
        scheduler.setTimesteps(schedule != null ? schedule : scheduler.flux2PipelineRequest(numSteps, mu));
        return scheduler;
    }

    /**
     * Text-to-image from {@code initialLatents} (packed {@code [B, seq_len, 128]}, or any shape the model takes) with
     * a scheduler that draws no noise. See {@link #run(Tensor, VelocityModel, NoiseSource)}.
     *
     * @param initialLatents the starting latents (stay open; the caller's)
     * @param model          the denoising model
     * @return the final latents, a new tensor the caller must close
     */
    public Tensor run(Tensor initialLatents, VelocityModel model) {
        return run(initialLatents, model, null);
    }

    /**
     * Text-to-image: the loop from {@code initialLatents}, giving {@code generator} to every step (stochastic
     * schedulers draw from it; one stream continues across the steps, as one {@code torch.Generator} passed to every
     * {@code step} call). diffusers' FLUX.2 klein pipelines pass no generator to {@code step} (a stochastic scheduler
     * there draws from torch's global generator, which no seed reproduces); pipelines that do pass it (DDPM,
     * consistency models) pass the one that drew the initial latents, which is what continuing its stream here gives. When the
     * sampler guides ({@link #guides()}), {@code model} must be a {@link GuidedModel}.
     *
     * @param initialLatents the starting latents (stay the caller's)
     * @param model          the velocity model
     * @param generator      the noise stream for stochastic steps, or null for a scheduler that draws none
     * @return the final latents, a new tensor the caller must close
     * @throws IllegalStateException      when the scheduler is stochastic and {@code generator} is null
     * @throws CancellationException      when the cancellation check returns true before a step
     * @throws NonFiniteLatentsException  when the NaN/Inf guard is on and a step produced a non-finite value
     */
    public Tensor run(Tensor initialLatents, VelocityModel model, NoiseSource generator) {
        Objects.requireNonNull(initialLatents, "initialLatents");
        initialLatents.requireOpen("initialLatents");
        // The scheduler is this run's: closing it frees any history a failed or cancelled run left behind.
        try (Scheduler scheduler = newScheduler()) {
            return denoise(scheduler, initialLatents, model, generator, null);
        }
    }

    /**
     * Image-to-image: the inpaint pipeline's strength without a mask. {@link Strength} drops the first timesteps,
     * the start latents are {@code scheduler.scaleNoise(imageLatents, first kept timestep, noise)}, and the loop
     * runs the kept timesteps.
     *
     * @param imageLatents the image's packed latents (stay the caller's)
     * @param noise        standard normal noise of their shape (stays the caller's)
     * @param strength     in (0, 1]: 1 starts from pure noise (text-to-image), small values stay near the image
     * @param model        the velocity model
     * @param generator    the noise stream for stochastic steps, or null
     * @return the final latents, a new tensor the caller must close
     */
    public Tensor imageToImage(Tensor imageLatents, Tensor noise, double strength, VelocityModel model,
                               NoiseSource generator) {
        return fromImage(imageLatents, noise, null, strength, model, generator);
    }

    /**
     * Inpainting: {@link #imageToImage}, and after every step the blend
     * {@code (1 - mask) * scale_noise(imageLatents, next timestep, noise) + mask * latents} (after the last step,
     * with the image latents themselves), so the region where {@code mask} is 0 ends exactly at the image.
     *
     * @param imageLatents the image's packed latents (stay the caller's)
     * @param noise        standard normal noise of their shape (stays the caller's)
     * @param mask         1 where the model paints, 0 where the image is kept; broadcastable to the latents (packed
     *                     {@code [B, seq, 1]}); stays the caller's
     * @param strength     in (0, 1]
     * @param model        the velocity model
     * @param generator    the noise stream for stochastic steps, or null
     * @return the final latents, a new tensor the caller must close
     */
    public Tensor inpaint(Tensor imageLatents, Tensor noise, Tensor mask, double strength, VelocityModel model,
                          NoiseSource generator) {
        Objects.requireNonNull(mask, "mask");
        mask.requireOpen("mask");
        return fromImage(imageLatents, noise, mask, strength, model, generator);
    }

    private Tensor fromImage(Tensor imageLatents, Tensor noise, Tensor mask, double strength, VelocityModel model,
                             NoiseSource generator) {
        Objects.requireNonNull(imageLatents, "imageLatents");
        Objects.requireNonNull(noise, "noise");
        imageLatents.requireOpen("imageLatents");
        noise.requireOpen("noise");
        Tensors.requireSameShape("imageLatents", imageLatents, "noise", noise);
        if (mask != null) {
            try {
                Shape.broadcast(mask.shape(), imageLatents.shape());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("mask: shape " + mask.shape() + " does not broadcast to the latents "
                        + imageLatents.shape() + " (a packed mask is [B, seq, 1])", e);
            }
        }
        try (Scheduler scheduler = schedulerWithTimesteps()) {
            Strength start = Strength.of(scheduler.numInferenceSteps(), strength, scheduler.order());
            scheduler.setBeginIndex(start.beginIndex());
            float latentTimestep = scheduler.timesteps()[start.beginIndex()];
            try (Tensor initialLatents = scheduler.scaleNoise(imageLatents, latentTimestep, noise)) {
                Blend blend = mask == null ? null : new Blend(mask, imageLatents, noise);
                return denoise(scheduler, initialLatents, model, generator, blend);
            }
        }
    }

    /** The inpainting blend's inputs. */
    private record Blend(Tensor mask, Tensor imageLatents, Tensor noise) {}

    /** The loop over the timesteps from the scheduler's begin index. */
    private Tensor denoise(Scheduler scheduler, Tensor initialLatents, VelocityModel model, NoiseSource generator,
                           Blend blend) {
        Objects.requireNonNull(model, "model");
        boolean guided = guides();
        if (guided && !(model instanceof GuidedModel)) {
            throw new IllegalArgumentException("model: guidance scale " + guidanceScale + " on a non-distilled model "
                    + "needs the unconditional prediction too: pass a GuidedModel (e.g. GuidedModel.of(cond, uncond))");
        }
        if (scheduler.isStochastic() && generator == null) {
            throw new IllegalStateException(scheduler.className() + " draws noise in its steps: pass a NoiseSource "
                    + "(e.g. new TorchGenerator(seed)) as the generator");
        }
        float[] sigmas = scheduler.sigmas();
        float[] timesteps = scheduler.timesteps();
        int start = scheduler.beginIndex() == null ? 0 : scheduler.beginIndex();
        int calls = timesteps.length - start;
        DType latentsType = initialLatents.dtype();
        Tensor latents = initialLatents;
        try {
            for (int i = start; i < timesteps.length; i++) {
                if (cancelled.getAsBoolean()) {
                    throw new CancellationException("sampling cancelled before step " + (i - start) + " of " + calls);
                }
                long began = System.nanoTime();
                float modelTime = modelTimestep(timesteps[i], latentsType);
                int sigmaIndex = scheduler.stepIndex() == null ? start : scheduler.stepIndex();
                Tensor next;
                try (Tensor velocity = guided ? guidedVelocity((GuidedModel) model, latents, modelTime)
                        : Objects.requireNonNull(model.velocity(latents, modelTime), "the model returned null")) {
                    if (nanGuard) {
                        NanGuard.check(velocity, i - start, "model output");
                    }
                    next = generator == null ? scheduler.step(velocity, timesteps[i], latents)
                            : scheduler.step(velocity, timesteps[i], latents, generator);
                    try {
                        if (blend != null) {
                            next = blended(scheduler, blend, timesteps, i, next);
                        }
                        if (nanGuard) {
                            NanGuard.check(next, i - start, "latents");
                        }
                        listener.onStep(new StepEvent(i - start, calls, sigmas[sigmaIndex],
                                sigmas[Math.min(sigmaIndex + 1, sigmas.length - 1)], timesteps[i], latents, velocity,
                                next, System.nanoTime() - began));
                    } catch (RuntimeException | Error e) {
                        next.close();
                        throw e;
                    }
                }
                if (latents != initialLatents) {
                    latents.close();
                }
                latents = next;
            }
            if (latents == initialLatents) {
                // No step was left to run: the result is still a new tensor the caller closes.
                return initialLatents.backend().convert(initialLatents, initialLatents.dtype());
            }
            return latents;
        } catch (RuntimeException | Error e) {
            if (latents != initialLatents) {
                latents.close();
            }
            throw e;
        }
    }

    /**
     * The value the model is called with at a step of timestep {@code t}: diffusers'
     * {@code (t.to(latents.dtype)) / 1000} computed in the latents' dtype, or Ollama's
     * {@code bf16(t / float32(num_train_timesteps))}.
     */
    private float modelTimestep(float t, DType latentsType) {
        if (convention.ollama().isPresent()) {
            return OllamaSchedule.modelTimestep(t, config.numTrainTimesteps());
        }
        return Flux2.modelTime(t, latentsType);
    }

    /** {@code neg + scale * (cond - neg)} from the model's two predictions; closes them. */
    private Tensor guidedVelocity(GuidedModel model, Tensor latents, float modelTime) {
        try (GuidedModel.Predictions predictions = Objects.requireNonNull(model.velocities(latents, modelTime),
                "the model returned null predictions")) {
            return Guidance.combine(predictions.conditional(), predictions.unconditional(), guidanceScale);
        }
    }

    /**
     * The inpaint loop's blend after the step at timestep {@code i}: the image latents noised to the next timestep
     * ({@code scale_noise} at the scheduler's current step index), or the image latents after the last step.
     * Closes {@code stepped}.
     */
    private static Tensor blended(Scheduler scheduler, Blend blend, float[] timesteps, int i, Tensor stepped) {
        try (stepped) {
            if (i < timesteps.length - 1) {
                try (Tensor kept = scheduler.scaleNoise(blend.imageLatents(), timesteps[i + 1], blend.noise())) {
                    return Inpainting.blend(blend.mask(), kept, stepped);
                }
            }
            return Inpainting.blend(blend.mask(), blend.imageLatents(), stepped);
        }
    }

    /**
     * Builds a {@link Sampler}; defaults: the FLUX.2 [klein] Euler scheduler ({@link SchedulerConfig#flux2Klein()},
     * DIFFUSERS precision), 4 steps, 1024x1024, the pipeline's timesteps, a distilled model (guidance scale 4.0,
     * diffusers' default, which a distilled model ignores).
     */
    public static final class Builder {
        private Supplier<? extends Scheduler> schedulers;
        private ScheduleRequest schedule;
        private SchedulerConfig config = SchedulerConfig.flux2Klein();
        private int numSteps = 4;
        private int imageSeqLen;
        private ImageSize size = ImageSize.square(1024);
        private Precision precision = Precision.DIFFUSERS;
        private Convention convention = Convention.DIFFUSERS;
        private StepListener listener = event -> {};
        private BooleanSupplier cancelled = () -> false;
        private boolean nanGuard = false;
        private double guidanceScale = 4.0;
        private boolean guidanceScaleSet;
        private boolean distilled = true;

        private Builder() {}

        /**
         * klein base ({@code is_distilled} false): 50 steps and guidance scale 4.0, diffusers' defaults.
         *
         * @return this builder
         */
        public Builder kleinBase() {
            return numSteps(50).guidanceScale(4.0).distilled(false);
        }

        /**
         * {@code guidance_scale}: applied when above 1 and the model is not distilled (diffusers'
         * {@code do_classifier_free_guidance}).
         *
         * @param value the guidance scale, finite
         * @return this builder
         */
        public Builder guidanceScale(double value) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("guidanceScale: " + value + " must be finite");
            }
            guidanceScale = value;
            guidanceScaleSet = true;
            return this;
        }

        /**
         * Whether the model is step-wise distilled (klein's {@code is_distilled}; default true): a distilled model
         * is never guided.
         *
         * @param value true for the distilled model, false for klein base
         * @return this builder
         */
        public Builder distilled(boolean value) {
            distilled = value;
            return this;
        }

        /**
         * The Euler scheduler's config ({@link FlowMatchScheduler}); ignored when {@link #scheduler} is set.
         *
         * @param value the config
         * @return this builder
         */
        public Builder config(SchedulerConfig value) {
            config = Objects.requireNonNull(value, "config");
            return this;
        }

        /**
         * Any scheduler of the family: {@code factory} makes a new instance per run (a scheduler holds one
         * generation's state), e.g. {@code () -> Schedulers.fromConfig(json)}.
         *
         * @param factory makes a fresh scheduler
         * @return this builder
         */
        public Builder scheduler(Supplier<? extends Scheduler> factory) {
            schedulers = Objects.requireNonNull(factory, "scheduler");
            return this;
        }

        /**
         * Sets the timesteps with this {@code set_timesteps} request instead of the FLUX.2 pipeline's
         * ({@link Scheduler#flux2PipelineRequest}); for other pipelines' schedules.
         *
         * @param request the request, or null for the FLUX.2 pipeline's
         * @return this builder
         */
        public Builder schedule(ScheduleRequest request) {
            schedule = request;
            return this;
        }

        /**
         * The number of inference steps (default 4).
         *
         * @param value the number of steps, in {@code [1, Limits.MAX_STEPS]}
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is out of range
         */
        public Builder numSteps(int value) {
            numSteps = Limits.requireSteps("numSteps", value);
            return this;
        }

        /**
         * The image size, which sets the image sequence length (as the convention's engine computes it) and so mu.
         *
         * @param size the image size, within {@link Limits#requireImageSize}
         * @return this builder
         * @throws IllegalArgumentException if a side is below 16 pixels or the size is beyond the limits
         */
        public Builder imageSize(ImageSize size) {
            Convention.DIFFUSERS.imageSeqLen(size); // checks the size now, whatever the convention
            this.size = size;
            return this;
        }

        /**
         * The image sequence length directly, instead of {@link #imageSize(ImageSize)}.
         *
         * @param value the number of packed latent tokens, in {@code [1, Limits.MAX_IMAGE_TOKENS]}
         * @return this builder
         * @throws IllegalArgumentException if {@code value} is out of range
         */
        public Builder imageSeqLen(int value) {
            imageSeqLen = Limits.requireTokens("imageSeqLen", value);
            size = null;
            return this;
        }

        /**
         * The engine whose loop to reproduce: {@link Convention#DIFFUSERS} (default), {@link Convention#OLLAMA} or
         * {@link Convention#OLLAMA_ARM64}. ComfyUI's samplers are not reproduced: {@link Convention#COMFYUI} is
         * refused (use its schedule with {@link FlowMatchScheduler#setConvention}).
         *
         * @param value the convention
         * @return this builder
         * @throws IllegalArgumentException for {@link Convention#COMFYUI}
         */
        public Builder convention(Convention value) {
            Objects.requireNonNull(value, "convention");
            if (value == Convention.COMFYUI) {
                throw new IllegalArgumentException("convention: COMFYUI is a schedule convention only; ComfyUI's"
                        + " sampling loop (k-diffusion) is not reproduced: use diffusers, ollama or ollama-arm64");
            }
            convention = value;
            return this;
        }

        /**
         * The Euler scheduler's step precision; ignored when {@link #scheduler} is set.
         *
         * @param value the precision
         * @return this builder
         */
        public Builder precision(Precision value) {
            precision = Objects.requireNonNull(value, "precision");
            return this;
        }

        /**
         * Called after every step (default: none).
         *
         * @param value the listener
         * @return this builder
         */
        public Builder listener(StepListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /**
         * Checked before every step; returning true stops the run with a {@link CancellationException}.
         *
         * @param value the cancellation check
         * @return this builder
         */
        public Builder cancelWhen(BooleanSupplier value) {
            cancelled = Objects.requireNonNull(value, "cancelWhen");
            return this;
        }

        /**
         * Opt-in: after every step, scan the model output and the new latents for NaN/Inf and stop with a
         * {@link NonFiniteLatentsException} naming the step. Costs a host read per step; off by default.
         *
         * @param value true to check every step
         * @return this builder
         */
        public Builder nanGuard(boolean value) {
            nanGuard = value;
            return this;
        }

        /**
         * Builds the sampler.
         *
         * @return a new, immutable sampler
         */
        public Sampler build() {
            return new Sampler(this);
        }
    }
}

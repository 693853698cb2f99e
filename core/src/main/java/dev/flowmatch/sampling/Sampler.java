package dev.flowmatch.sampling;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The denoising loop of diffusers' FLUX.2 [klein] pipeline ({@code Flux2KleinPipeline.__call__}, steps 6 and 7),
 * step for step, with any scheduler of the family ({@link Scheduler}):
 * <ol>
 *   <li>the timesteps are set as the pipeline sets them ({@link Scheduler#flux2PipelineRequest}: for the flow-match
 *       classes {@code sigmas = linspace(1, 1/N, N)} and {@code mu = compute_empirical_mu(image_seq_len, N)}), or
 *       from the request given to {@link Builder#schedule}; then {@code set_begin_index(0)};</li>
 *   <li>for each timestep {@code t}: {@code timestep = t.to(latents.dtype)}, the model is called with
 *       {@code timestep / 1000} (computed in the latents' dtype), and
 *       {@code latents = scheduler.step(noise_pred, t, latents[, generator])}. A second-order scheduler lists most
 *       timesteps twice, so the model is called twice per step.</li>
 * </ol>
 * A sampler is immutable and can run many times; each run uses its own scheduler, so runs may be concurrent.
 */
public final class Sampler {

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
    private final StepListener listener;
    private final BooleanSupplier cancelled;
    private final boolean nanGuard;

    private Sampler(Builder b) {
        this.schedulers = b.schedulers != null ? b.schedulers : eulerFactory(b.config, b.precision);
        this.schedule = b.schedule;
        this.numSteps = b.numSteps;
        this.imageSeqLen = b.imageSeqLen;
        this.listener = b.listener;
        this.cancelled = b.cancelled;
        this.nanGuard = b.nanGuard;
    }

    private static Supplier<Scheduler> eulerFactory(SchedulerConfig config, Precision precision) {
        return () -> new FlowMatchScheduler(config).setPrecision(precision);
    }

    /** A builder with the defaults of {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The scheduler a run uses, with its timesteps set as the pipeline sets them and begin index 0. */
    public Scheduler newScheduler() {
        Scheduler scheduler = Objects.requireNonNull(schedulers.get(), "the scheduler factory returned null");
        double mu = Flux2.computeEmpiricalMu(imageSeqLen, numSteps);
        scheduler.setTimesteps(schedule != null ? schedule : scheduler.flux2PipelineRequest(numSteps, mu));
        scheduler.setBeginIndex(0);
        return scheduler;
    }

    /**
     * Runs the loop from {@code initialLatents} (packed {@code [B, seq_len, 128]}, or any shape the model takes)
     * with a scheduler that draws no noise. The input stays open and owned by the caller; the result is a new
     * tensor the caller must close.
     *
     * @throws IllegalStateException       when the scheduler is stochastic: use {@link #run(Tensor, VelocityModel, NoiseSource)}
     * @throws CancellationException       when the cancellation check returns true before a step
     * @throws NonFiniteLatentsException   when the NaN/Inf guard is on and a step produced a non-finite value
     */
    public Tensor run(Tensor initialLatents, VelocityModel model) {
        return run(initialLatents, model, null);
    }

    /**
     * Runs the loop, giving {@code generator} to every step as diffusers' pipelines give their {@code generator}
     * (stochastic schedulers draw from it; one stream continues across the steps). Pass the generator that drew
     * the initial latents to continue its stream as a diffusers pipeline does.
     *
     * @param initialLatents the starting latents (stay the caller's)
     * @param model          the velocity model
     * @param generator      the noise stream for stochastic steps, or null for a scheduler that draws none
     * @return the final latents, a new tensor the caller must close
     */
    public Tensor run(Tensor initialLatents, VelocityModel model, NoiseSource generator) {
        Objects.requireNonNull(initialLatents, "initialLatents");
        Objects.requireNonNull(model, "model");
        initialLatents.requireOpen("initialLatents");
        Scheduler scheduler = newScheduler();
        if (scheduler.isStochastic() && generator == null) {
            throw new IllegalStateException(scheduler.className() + " draws noise in its steps: pass a NoiseSource "
                    + "(e.g. new TorchGenerator(seed)) to run(latents, model, generator)");
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
                // timestep = t.expand(B).to(latents.dtype); the transformer gets timestep / 1000 in that dtype.
                float modelTime = latentsType.round(latentsType.round(timesteps[i]) / 1000f);
                int sigmaIndex = scheduler.stepIndex() == null ? start : scheduler.stepIndex();
                Tensor next;
                try (Tensor velocity = model.velocity(latents, modelTime)) {
                    Objects.requireNonNull(velocity, "the model returned null");
                    if (nanGuard) {
                        NanGuard.check(velocity, i - start, "model output");
                    }
                    next = generator == null ? scheduler.step(velocity, timesteps[i], latents)
                            : scheduler.step(velocity, timesteps[i], latents, generator);
                    try {
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
                // A schedule with no step left: the result is still a new tensor the caller closes.
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
     * Builds a {@link Sampler}; defaults: the FLUX.2 [klein] Euler scheduler ({@link SchedulerConfig#flux2Klein()},
     * DIFFUSERS precision), 4 steps, 1024x1024, the pipeline's timesteps.
     */
    public static final class Builder {
        private Supplier<? extends Scheduler> schedulers;
        private ScheduleRequest schedule;
        private SchedulerConfig config = SchedulerConfig.flux2Klein();
        private int numSteps = 4;
        private int imageSeqLen = Flux2.imageSeqLen(1024, 1024);
        private Precision precision = Precision.DIFFUSERS;
        private StepListener listener = event -> {};
        private BooleanSupplier cancelled = () -> false;
        private boolean nanGuard = false;

        private Builder() {}

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

        public Builder numSteps(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("numSteps: " + value + " must be >= 1");
            }
            numSteps = value;
            return this;
        }

        /** The image size, which sets the image sequence length and so mu. */
        public Builder imageSize(int width, int height) {
            imageSeqLen = Flux2.imageSeqLen(width, height);
            return this;
        }

        public Builder imageSeqLen(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("imageSeqLen: " + value + " must be >= 1");
            }
            imageSeqLen = value;
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

        public Builder listener(StepListener value) {
            listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        /** Checked before every step; returning true stops the run with a {@link CancellationException}. */
        public Builder cancelWhen(BooleanSupplier value) {
            cancelled = Objects.requireNonNull(value, "cancelWhen");
            return this;
        }

        /**
         * Opt-in: after every step, scan the model output and the new latents for NaN/Inf and stop with a
         * {@link NonFiniteLatentsException} naming the step. Costs a host read per step; off by default.
         */
        public Builder nanGuard(boolean value) {
            nanGuard = value;
            return this;
        }

        public Sampler build() {
            return new Sampler(this);
        }
    }
}

package dev.flowmatch.sampling;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.Precision;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ImageSize;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.schedule.SchedulerConfig;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Tensor;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The denoising loop of diffusers' FLUX.2 [klein] pipeline ({@code Flux2KleinPipeline.__call__}, steps 6 and 7),
 * step for step:
 * <ol>
 *   <li>{@code sigmas = linspace(1, 1/N, N)}, {@code mu = compute_empirical_mu(image_seq_len, N)},
 *       {@code set_timesteps(sigmas=sigmas, mu=mu)}, {@code set_begin_index(0)};</li>
 *   <li>for each timestep {@code t}: {@code timestep = t.to(latents.dtype)}, the model is called with
 *       {@code timestep / 1000} (computed in the latents' dtype), and
 *       {@code latents = scheduler.step(noise_pred, t, latents)}.</li>
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
         * @param event the step (its tensors are the sampler's: read them here, do not close or keep them)
         */
        void onStep(StepEvent event);
    }

    private final SchedulerConfig config;
    private final int numSteps;
    private final int imageSeqLen;
    private final Precision precision;
    private final StepListener listener;
    private final BooleanSupplier cancelled;
    private final boolean nanGuard;

    private Sampler(Builder b) {
        this.config = b.config;
        this.numSteps = b.numSteps;
        this.imageSeqLen = b.imageSeqLen;
        this.precision = b.precision;
        this.listener = b.listener;
        this.cancelled = b.cancelled;
        this.nanGuard = b.nanGuard;
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
     * The scheduler a run uses, with its schedule set as the pipeline sets it.
     *
     * @return a new scheduler, its timesteps set and begin index 0
     */
    public FlowMatchScheduler newScheduler() {
        FlowMatchScheduler scheduler = new FlowMatchScheduler(config).setPrecision(precision);
        double mu = Flux2.computeEmpiricalMu(imageSeqLen, numSteps);
        scheduler.setTimesteps(ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(numSteps)).withMu(mu));
        scheduler.setBeginIndex(0);
        return scheduler;
    }

    /**
     * Runs the loop from {@code initialLatents} (packed {@code [B, seq_len, 128]}, or any shape the model takes).
     * The input stays open and owned by the caller; the result is a new tensor the caller must close. Every
     * tensor the model returns, and every intermediate latent, is closed by the sampler.
     *
     * @param initialLatents the starting latents (not closed by the sampler)
     * @param model          the denoising model
     * @return the final latents, a new tensor the caller must close
     * @throws CancellationException       when the cancellation check returns true before a step
     * @throws NonFiniteLatentsException   when the NaN/Inf guard is on and a step produced a non-finite value
     */
    public Tensor run(Tensor initialLatents, VelocityModel model) {
        Objects.requireNonNull(initialLatents, "initialLatents");
        Objects.requireNonNull(model, "model");
        initialLatents.requireOpen("initialLatents");
        FlowMatchScheduler scheduler = newScheduler();
        float[] sigmas = scheduler.sigmas();
        float[] timesteps = scheduler.timesteps();
        DType latentsType = initialLatents.dtype();
        Tensor latents = initialLatents;
        try {
            for (int i = 0; i < timesteps.length; i++) {
                if (cancelled.getAsBoolean()) {
                    throw new CancellationException("sampling cancelled before step " + i + " of " + timesteps.length);
                }
                long start = System.nanoTime();
                // timestep = t.expand(B).to(latents.dtype); the transformer gets timestep / 1000 in that dtype.
                float modelTime = latentsType.round(latentsType.round(timesteps[i]) / 1000f);
                Tensor next;
                try (Tensor velocity = model.velocity(latents, modelTime)) {
                    Objects.requireNonNull(velocity, "the model returned null");
                    if (nanGuard) {
                        NanGuard.check(velocity, i, "model output");
                    }
                    next = scheduler.step(velocity, timesteps[i], latents);
                    try {
                        if (nanGuard) {
                            NanGuard.check(next, i, "latents");
                        }
                        listener.onStep(new StepEvent(i, timesteps.length, sigmas[i], sigmas[i + 1], timesteps[i],
                                latents, velocity, next, System.nanoTime() - start));
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
            return latents; // numSteps >= 1, so this is a tensor the loop created
        } catch (RuntimeException | Error e) {
            if (latents != initialLatents) {
                latents.close();
            }
            throw e;
        }
    }

    /** Builds a {@link Sampler}; defaults: FLUX.2 [klein] config, 4 steps, 1024x1024, DIFFUSERS precision. */
    public static final class Builder {
        private SchedulerConfig config = SchedulerConfig.flux2Klein();
        private int numSteps = 4;
        private int imageSeqLen = Flux2.imageSeqLen(ImageSize.square(1024));
        private Precision precision = Precision.DIFFUSERS;
        private StepListener listener = event -> {};
        private BooleanSupplier cancelled = () -> false;
        private boolean nanGuard = false;

        private Builder() {}

        /**
         * The scheduler config (default {@link SchedulerConfig#flux2Klein()}).
         *
         * @param value the config
         * @return this builder
         */
        public Builder config(SchedulerConfig value) {
            config = Objects.requireNonNull(value, "config");
            return this;
        }

        /**
         * The number of inference steps (default 4).
         *
         * @param value the number of steps, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code value < 1}
         */
        public Builder numSteps(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("numSteps: " + value + " must be >= 1");
            }
            numSteps = value;
            return this;
        }

        /**
         * The image size, which sets the image sequence length and so mu (default 1024 x 1024).
         *
         * @param size the image size; each side at least 16 pixels
         * @return this builder
         * @throws IllegalArgumentException if a side is below 16 pixels
         */
        public Builder imageSize(ImageSize size) {
            imageSeqLen = Flux2.imageSeqLen(size);
            return this;
        }

        /**
         * The image sequence length directly, instead of {@link #imageSize(ImageSize)}.
         *
         * @param value the number of packed latent tokens, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code value < 1}
         */
        public Builder imageSeqLen(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("imageSeqLen: " + value + " must be >= 1");
            }
            imageSeqLen = value;
            return this;
        }

        /**
         * The step precision (default {@link Precision#DIFFUSERS}).
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

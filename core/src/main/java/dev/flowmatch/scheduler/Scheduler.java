package dev.flowmatch.scheduler;

import dev.flowmatch.noise.NoiseSource;
import dev.flowmatch.schedule.Flux2;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.tensor.Tensor;

/**
 * A flow-matching scheduler with diffusers' scheduler contract: one implementation per diffusers scheduler class
 * (see {@link SchedulerType}), each bit-exact to diffusers v0.40.0 on every backend.
 *
 * <p>The contract, as diffusers' {@code SchedulerMixin} subclasses share it:
 * <ol>
 *   <li>{@link #setTimesteps} computes {@link #sigmas()} and {@link #timesteps()} and resets the step index, the
 *       begin index and any multistep history;</li>
 *   <li>the pipeline may call {@link #setBeginIndex} (it starts at timestep {@code beginIndex}: image-to-image);</li>
 *   <li>for each entry {@code t} of {@link #timesteps()} from the start, the model is called and
 *       {@link #step(Tensor, float, Tensor, NoiseSource)} moves the sample. The first step finds its index from the
 *       begin index, else by looking {@code t} up in the timesteps ({@link #indexForTimestep}); each step then
 *       advances {@link #stepIndex()} by one. Second-order schedulers ({@link #order()} 2, Heun) list most
 *       timesteps twice and take two calls per step.</li>
 * </ol>
 *
 * <p>Tensors: a step returns a new tensor the caller owns (close it); its inputs stay the caller's. The dtype of the
 * result follows diffusers per class (the model output's dtype for most; see each class).
 *
 * <p>An instance holds one generation's state and is not thread-safe; backends are. A scheduler that keeps tensors
 * between step calls (multistep history, Heun's first-order call) releases them after the schedule's last step, when
 * timesteps are set again, and on {@link #close()}: close a scheduler whose run was left unfinished (an exception, a
 * cancellation), or use try-with-resources.
 */
public interface Scheduler extends AutoCloseable {

    /**
     * diffusers' class name, e.g. {@code FlowMatchEulerDiscreteScheduler} (the {@code _class_name} config key).
     *
     * @return the class name
     */
    String className();

    /**
     * diffusers' {@code set_timesteps}: each class takes the arguments its diffusers class takes and rejects the
     * others with an {@link IllegalArgumentException} naming the argument. Resets the step index, the begin index
     * and any history kept between steps.
     *
     * @param request {@code num_inference_steps}, {@code sigmas}, {@code mu}, {@code timesteps}
     */
    void setTimesteps(ScheduleRequest request);

    /**
     * The {@code set_timesteps} request diffusers' FLUX.2 pipelines make for this class
     * ({@code pipeline_flux2_klein.py}: {@code sigmas = linspace(1, 1/N, N)}, {@code None} for a class with
     * {@code use_flow_sigmas}; {@code mu} from the image sequence length; {@code retrieve_timesteps}). The default is
     * the flow-match classes' call, custom sigmas and {@code mu}. A class whose {@code set_timesteps} cannot take
     * that call in diffusers (diffusers raises) overrides this with the closest call it takes, and documents it.
     *
     * @param numSteps the number of inference steps
     * @param mu       {@code compute_empirical_mu(image_seq_len, numSteps)}
     * @return the request to give {@link #setTimesteps}
     */
    default ScheduleRequest flux2PipelineRequest(int numSteps, double mu) {
        return ScheduleRequest.ofSigmas(Flux2.pipelineSigmas(numSteps)).withMu(mu);
    }

    /**
     * {@code scheduler.sigmas}: the float32 sigmas including the final one.
     *
     * @return the sigmas, a copy
     */
    float[] sigmas();

    /**
     * {@code scheduler.timesteps}, the values the step is called with. Float32 values; for classes that keep
     * int64 timesteps ({@link #timestepType()}) each value is that integer, exact in float32.
     *
     * @return the timesteps, a copy
     */
    float[] timesteps();

    /**
     * The dtype diffusers keeps timesteps in: float32 for the flow-match classes, int64 for DPM-Solver and UniPC.
     *
     * @return the timestep dtype
     */
    default TimestepType timestepType() {
        return TimestepType.FLOAT32;
    }

    /**
     * {@code scheduler.num_inference_steps} after {@link #setTimesteps}.
     *
     * @return the number of inference steps
     */
    int numInferenceSteps();

    /**
     * {@code scheduler.order}: model calls per step (2 for Heun).
     *
     * @return the order, {@code >= 1}
     */
    default int order() {
        return 1;
    }

    /**
     * {@code scheduler.init_noise_sigma}: the scale of the initial noise (1 for flow matching).
     *
     * @return the initial noise scale
     */
    default float initNoiseSigma() {
        return 1f;
    }

    /**
     * The index of the next step, or null before the first one ({@code scheduler.step_index}).
     *
     * @return the step index, or null
     */
    Integer stepIndex();

    /**
     * The begin index, or null when none was set ({@code scheduler.begin_index}).
     *
     * @return the begin index, or null
     */
    Integer beginIndex();

    /**
     * diffusers' {@code set_begin_index}: the first step uses this index instead of looking up its timestep.
     *
     * @param beginIndex an index into {@link #timesteps()}
     */
    void setBeginIndex(int beginIndex);

    /**
     * diffusers' {@code index_for_timestep}: the index of {@code timestep} in {@link #timesteps()}; when it occurs
     * more than once, the second occurrence.
     *
     * @param timestep a value of {@link #timesteps()}
     * @return its index
     */
    int indexForTimestep(float timestep);

    /**
     * Whether a step draws noise: such a scheduler needs the {@link NoiseSource} form of {@code step}.
     *
     * @return whether a step draws noise
     */
    default boolean isStochastic() {
        return false;
    }

    /**
     * diffusers' {@code step(model_output, timestep, sample)} without a generator.
     *
     * @param modelOutput the model's prediction at {@code timestep}
     * @param timestep    the timestep the model was called at (a value of {@link #timesteps()})
     * @param sample      the current sample
     * @return the previous sample ({@code prev_sample}), a new tensor
     * @throws IllegalStateException when this scheduler draws noise in its step ({@link #isStochastic()})
     */
    Tensor step(Tensor modelOutput, float timestep, Tensor sample);

    /**
     * diffusers' {@code step(model_output, timestep, sample, generator=...)}: {@code noise} is the generator, a
     * stream that continues across calls as one {@code torch.Generator} passed to every step does.
     *
     * @param modelOutput the model's prediction at {@code timestep}
     * @param timestep    the timestep the model was called at (a value of {@link #timesteps()})
     * @param sample      the current sample
     * @param noise       the noise stream a stochastic step draws from
     * @return the previous sample ({@code prev_sample}), a new tensor
     */
    Tensor step(Tensor modelOutput, float timestep, Tensor sample, NoiseSource noise);

    /**
     * The forward process used to start image-to-image from {@code sample} at {@code timestep}: the flow-match
     * classes' {@code scale_noise(sample, timestep, noise)}, DPM-Solver's and UniPC's
     * {@code add_noise(sample, noise, timesteps)} with every batch entry at {@code timestep}; both compute
     * {@code sigma * noise + (1 - sigma) * sample} with each class's index rules and rounding.
     *
     * @param sample   the clean sample (image latents)
     * @param timestep the timestep to noise it to (a value of {@link #timesteps()})
     * @param noise    standard normal noise of the sample's shape
     * @return the noised sample, a new tensor
     * @throws UnsupportedOperationException for a class that has no forward process in diffusers
     *     ({@code LTXEulerAncestralRFScheduler}: its pipelines noise the latents themselves)
     */
    Tensor scaleNoise(Tensor sample, float timestep, Tensor noise);

    /**
     * Releases the tensors kept between step calls, if any (a later {@link #setTimesteps} starts afresh). Idempotent;
     * a no-op for schedulers that keep none. Throws nothing.
     */
    @Override
    default void close() {}
}

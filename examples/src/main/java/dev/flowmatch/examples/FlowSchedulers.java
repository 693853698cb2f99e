package dev.flowmatch.examples;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.ScheduleRequest;
import dev.flowmatch.scheduler.LTXEulerAncestralRFScheduler;
import dev.flowmatch.scheduler.Scheduler;
import dev.flowmatch.scheduler.SchedulerType;
import dev.flowmatch.scheduler.Schedulers;
import java.util.Objects;

/**
 * Any scheduler of flowmatch's family ({@link SchedulerType}) set up for a flow-matching model such as the digits
 * model (velocity {@code noise - x0}, {@code x_t = (1 - t) x0 + t noise}): the {@code scheduler_config.json} keys
 * each class needs in flow mode, and the {@code set_timesteps} call of a generation. The reference trajectories
 * ({@code tools/reference/digits_trajectories.py}) were recorded with these configs and calls.
 */
public final class FlowSchedulers {
    /** {@code num_train_timesteps} of every flow config: the model takes {@code t = timestep / 1000}. */
    public static final int NUM_TRAIN_TIMESTEPS = 1000;

    private FlowSchedulers() {}

    /**
     * The config keys of {@code type} for a flow-matching model with a fixed time shift (no dynamic shifting):
     * <ul>
     *   <li>the flow-match classes (Euler, LCM): {@code shift}, {@code use_dynamic_shifting: false}; Heun:
     *       {@code shift} (it has no dynamic shifting);</li>
     *   <li>{@code LTXEulerAncestralRFScheduler}: {@code eta: 1.0}, {@code s_noise: 1.0} (its defaults, written out)
     *       and the FlowMatchEuler keys its schedule is made from;</li>
     *   <li>the multistep classes (DPM-Solver, UniPC), which serve noise-prediction models by default:
     *       {@code use_flow_sigmas: true}, {@code prediction_type: "flow_prediction"} and {@code flow_shift}
     *       ({@code DpmSolverMultistepConfig.flowDefaults()}).</li>
     * </ul>
     * Every config has {@code num_train_timesteps: 1000}; other keys keep diffusers' defaults.
     *
     * @param type  the scheduler class
     * @param shift the fixed time shift, finite and {@code > 0} (1: none)
     * @return a new {@code scheduler_config.json} object
     */
    public static ObjectNode flowConfig(SchedulerType type, double shift) {
        Objects.requireNonNull(type, "type");
        if (!Double.isFinite(shift) || shift <= 0) {
            throw new IllegalArgumentException("shift: " + shift + " must be finite and > 0");
        }
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        config.put("num_train_timesteps", NUM_TRAIN_TIMESTEPS);
        switch (type) {
            case FLOW_MATCH_EULER, FLOW_MATCH_LCM -> config.put("shift", shift).put("use_dynamic_shifting", false);
            case FLOW_MATCH_HEUN -> config.put("shift", shift);
            case LTX_EULER_ANCESTRAL_RF -> config.put("eta", 1.0).put("s_noise", 1.0).put("shift", shift)
                    .put("use_dynamic_shifting", false);
            // DPM-Solver and UniPC (and any multistep class to come): flow sigmas and flow prediction.
            default -> config.put("use_flow_sigmas", true).put("prediction_type", "flow_prediction")
                    .put("flow_shift", shift);
        }
        return config;
    }

    /**
     * A new scheduler of {@code type} from {@link #flowConfig} ({@code SchedulerClass.from_config(config)}).
     *
     * @param type  the scheduler class
     * @param shift the fixed time shift
     * @return the scheduler, its timesteps not set
     */
    public static Scheduler create(SchedulerType type, double shift) {
        return Schedulers.fromConfig(flowConfig(type, shift), type);
    }

    /**
     * The {@code set_timesteps} call of a generation of {@code numSteps} steps: the call diffusers' FLUX.2 pipelines
     * make ({@link Scheduler#flux2PipelineRequest}: {@code sigmas = linspace(1, 1/N, N)} and {@code mu} for the
     * flow-match classes, {@code num_inference_steps} for Heun and the flow-sigma classes), except for
     * {@code LTXEulerAncestralRFScheduler}: it takes explicit sigmas ComfyUI-style, the terminal 0 included, so it
     * gets the {@code N + 1} sigmas that {@code FlowMatchEulerDiscreteScheduler.from_config(config)} computes for
     * the pipelines' call (the config's shift applied as that class applies it). Those sigmas list
     * {@code N + 1} timesteps: the last model call is at sigma 0 ({@code t = 0}), where the step returns the
     * sample unchanged.
     *
     * @param scheduler the scheduler (its config decides)
     * @param numSteps  the number of steps
     * @param mu        {@code mu} for a config with dynamic shifting (else ignored)
     * @return the request for {@link Scheduler#setTimesteps} ({@code Sampler.Builder.schedule})
     */
    public static ScheduleRequest request(Scheduler scheduler, int numSteps, double mu) {
        Objects.requireNonNull(scheduler, "scheduler");
        if (scheduler instanceof LTXEulerAncestralRFScheduler ltx) {
            FlowMatchScheduler euler = new FlowMatchScheduler(ltx.config().flowMatchEuler());
            euler.setTimesteps(euler.flux2PipelineRequest(numSteps, mu));
            float[] sigmas = euler.sigmas();
            double[] explicit = new double[sigmas.length];
            for (int i = 0; i < sigmas.length; i++) {
                explicit[i] = sigmas[i];
            }
            return ScheduleRequest.ofSigmas(explicit);
        }
        return scheduler.flux2PipelineRequest(numSteps, mu);
    }
}

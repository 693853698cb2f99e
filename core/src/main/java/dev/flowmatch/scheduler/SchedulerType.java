package dev.flowmatch.scheduler;

import dev.flowmatch.FlowMatchScheduler;
import dev.flowmatch.schedule.ConfigKeys;
import dev.flowmatch.schedule.SchedulerConfigJson;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The scheduler family: one constant per diffusers scheduler class flowmatch reproduces, with the name the CLI
 * uses and how a config builds it.
 */
public enum SchedulerType {
    /** {@code FlowMatchEulerDiscreteScheduler}: first-order Euler (the FLUX.2 default), optionally stochastic. */
    FLOW_MATCH_EULER("FlowMatchEulerDiscreteScheduler", "euler",
            keys -> new FlowMatchScheduler(SchedulerConfigJson.fromKeys(keys))),
    /**
     * {@code DPMSolverMultistepScheduler} in flow mode: DPM-Solver++ (2M by default, orders 1 to 3) and
     * SDE-DPM-Solver++ ({@code algorithm_type} {@code sde-dpmsolver++}, stochastic).
     */
    DPM_SOLVER_MULTISTEP(DpmSolverMultistepScheduler.CLASS_NAME, "dpm",
            keys -> new DpmSolverMultistepScheduler(DpmSolverMultistepConfig.from(keys))),
    /** {@code FlowMatchHeunDiscreteScheduler}: second-order Heun (two model calls per step), optional churn. */
    FLOW_MATCH_HEUN(FlowMatchHeunDiscreteScheduler.CLASS_NAME, "heun",
            keys -> new FlowMatchHeunDiscreteScheduler(FlowMatchHeunDiscreteScheduler.Config.from(keys))),
    /** {@code FlowMatchLCMScheduler}: latent consistency, fresh noise at every step, optional scale-wise resizing. */
    FLOW_MATCH_LCM(FlowMatchLCMScheduler.CLASS_NAME, "lcm",
            keys -> new FlowMatchLCMScheduler(FlowMatchLCMScheduler.Config.from(keys))),
    /** {@code LTXEulerAncestralRFScheduler}: ComfyUI's Euler-ancestral RF sampler (LTX-Video), {@code eta} noise. */
    LTX_EULER_ANCESTRAL_RF(LTXEulerAncestralRFScheduler.CLASS_NAME, "euler-ancestral-rf",
            keys -> new LTXEulerAncestralRFScheduler(LTXEulerAncestralRFScheduler.Config.from(keys))),
    /**
     * {@code UniPCMultistepScheduler} in flow mode: the UniPC predictor-corrector, orders 1 to 3, multistep,
     * deterministic.
     */
    UNIPC(UniPCMultistepScheduler.CLASS_NAME, "unipc",
            keys -> new UniPCMultistepScheduler(UniPCMultistepScheduler.Config.from(keys)));

    private final String className;
    private final String cliName;
    private final Function<ConfigKeys, Scheduler> factory;

    SchedulerType(String className, String cliName, Function<ConfigKeys, Scheduler> factory) {
        this.className = className;
        this.cliName = cliName;
        this.factory = factory;
    }

    /**
     * diffusers' class name ({@code _class_name}).
     *
     * @return the class name
     */
    public String className() {
        return className;
    }

    /**
     * The short name the CLI takes ({@code --scheduler NAME}).
     *
     * @return the CLI name
     */
    public String cliName() {
        return cliName;
    }

    /** Builds a scheduler of this type from config keys (diffusers' {@code from_config}). */
    Scheduler create(ConfigKeys keys) {
        return factory.apply(keys);
    }

    /**
     * The type named by a diffusers class name or a CLI name (case-insensitive for CLI names).
     *
     * @throws IllegalArgumentException naming the value and listing the known names
     *
     * @param name a diffusers class name or a CLI name
     * @return the type
     */
    public static SchedulerType parse(String name) {
        for (SchedulerType t : values()) {
            if (t.className.equals(name) || t.cliName.equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("scheduler: '" + name + "' is not a scheduler flowmatch has; known: "
                + Arrays.stream(values()).map(t -> t.cliName + " (" + t.className + ")")
                        .collect(Collectors.joining(", ")));
    }

    /** The constant's name as the CLI shows it. */
    @Override
    public String toString() {
        return cliName.toLowerCase(Locale.ROOT);
    }
}

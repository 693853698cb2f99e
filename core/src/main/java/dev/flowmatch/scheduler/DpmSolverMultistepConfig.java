package dev.flowmatch.scheduler;

import dev.flowmatch.schedule.ConfigKeys;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * The config of {@link DpmSolverMultistepScheduler}: the keys of diffusers v0.40.0's
 * {@code DPMSolverMultistepScheduler.__init__} ({@code src/diffusers/schedulers/scheduling_dpmsolver_multistep.py})
 * that matter in flow mode, each with diffusers' key and default. flowmatch implements the flow mode only
 * ({@code use_flow_sigmas=True}, {@code prediction_type="flow_prediction"}); {@link #from(ConfigKeys)} refuses the
 * other settings with an {@link IllegalArgumentException} naming the key and its value.
 *
 * @param numTrainTimesteps   {@code num_train_timesteps} (1000): the flow sigmas start from
 *                            {@code linspace(1, 1/num_train_timesteps, N + 1)}; timesteps are
 *                            {@code sigma * num_train_timesteps} truncated
 * @param betaSchedule        {@code beta_schedule} ("linear"): with {@code beta_start} it gives the constructor's
 *                            {@code alphas_cumprod[0]}, the only part of the DDPM arrays flow mode still uses (the
 *                            final sigma when {@code final_sigmas_type} is {@code sigma_min})
 * @param betaStart           {@code beta_start} (0.0001)
 * @param betaEnd             {@code beta_end} (0.02); read for completeness, flow mode never uses it
 * @param trainedBetas        {@code trained_betas} (None): when given, its first value replaces the schedule's
 * @param solverOrder         {@code solver_order} (2): 1, 2 or 3 (DPM-Solver++ 1S = DDIM, 2M, 3M)
 * @param algorithmType       {@code algorithm_type} ("dpmsolver++")
 * @param solverType          {@code solver_type} ("midpoint"): the second-order term
 * @param lowerOrderFinal     {@code lower_order_final} (True): below 15 steps, the last step is first order and the
 *                            one before at most second order
 * @param eulerAtFinal        {@code euler_at_final} (False): the last step is first order
 * @param flowShift           {@code flow_shift} (1.0): the fixed shift {@code s t / (1 + (s - 1) t)} of the flow
 *                            sigmas; {@code set_timesteps(mu=...)} replaces it by {@code exp(mu)} for later calls
 * @param finalSigmasType     {@code final_sigmas_type} ("zero")
 * @param timestepSpacing     {@code timestep_spacing} ("linspace"): unused by the flow sigmas, but diffusers raises
 *                            for other values than these three, so flowmatch does too
 * @param useDynamicShifting  {@code use_dynamic_shifting} (False): whether {@code set_timesteps} accepts {@code mu}
 * @param timeShiftType       {@code time_shift_type} ("exponential"): {@code mu} needs "exponential"
 */
public record DpmSolverMultistepConfig(int numTrainTimesteps, BetaSchedule betaSchedule, double betaStart,
                                       double betaEnd, double[] trainedBetas, int solverOrder,
                                       AlgorithmType algorithmType, SolverType solverType, boolean lowerOrderFinal,
                                       boolean eulerAtFinal, double flowShift, FinalSigmasType finalSigmasType,
                                       String timestepSpacing, boolean useDynamicShifting, String timeShiftType) {

    /** {@code algorithm_type} values flowmatch implements. */
    public enum AlgorithmType {
        /** {@code dpmsolver++}: DPM-Solver++ (deterministic). */
        DPMSOLVER_PLUS_PLUS("dpmsolver++"),
        /** {@code sde-dpmsolver++}: SDE-DPM-Solver++ (draws noise at every step). */
        SDE_DPMSOLVER_PLUS_PLUS("sde-dpmsolver++");

        private final String configValue;

        AlgorithmType(String configValue) {
            this.configValue = configValue;
        }

        /**
         * The config value.
         *
         * @return the value in a {@code scheduler_config.json}
         */
        public String configValue() {
            return configValue;
        }
    }

    /** {@code solver_type}: the form of the second-order term. */
    public enum SolverType {
        /** {@code midpoint}. */
        MIDPOINT,
        /** {@code heun}. */
        HEUN
    }

    /** {@code final_sigmas_type}: the sigma after the last step. */
    public enum FinalSigmasType {
        /** {@code zero}: the last step lands on sigma 0 (always first order there). */
        ZERO,
        /** {@code sigma_min}: the training schedule's smallest sigma, {@code sqrt((1 - a0) / a0)}. */
        SIGMA_MIN
    }

    /** {@code beta_schedule} values (only the first beta matters in flow mode). */
    public enum BetaSchedule {
        /** {@code linear}: {@code torch.linspace(beta_start, beta_end, N)}. */
        LINEAR,
        /** {@code scaled_linear}: {@code torch.linspace(beta_start**0.5, beta_end**0.5, N) ** 2}. */
        SCALED_LINEAR,
        /** {@code squaredcos_cap_v2}: {@code betas_for_alpha_bar(N)} (Glide's cosine schedule). */
        SQUAREDCOS_CAP_V2
    }

    /** The accepted {@code timestep_spacing} values. */
    private static final String[] SPACINGS = {"linspace", "leading", "trailing"};

    /** Checks every value (see {@link #from(ConfigKeys)} for what diffusers does with each). */
    public DpmSolverMultistepConfig {
        Objects.requireNonNull(betaSchedule, "betaSchedule");
        Objects.requireNonNull(algorithmType, "algorithmType");
        Objects.requireNonNull(solverType, "solverType");
        Objects.requireNonNull(finalSigmasType, "finalSigmasType");
        Objects.requireNonNull(timestepSpacing, "timestepSpacing");
        Objects.requireNonNull(timeShiftType, "timeShiftType");
        trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
        if (numTrainTimesteps < 2) {
            throw new IllegalArgumentException("num_train_timesteps: " + numTrainTimesteps
                    + " must be >= 2 (with 1 every flow sigma is 0 and diffusers' step returns NaN)");
        }
        if (solverOrder < 1 || solverOrder > 3) {
            throw new IllegalArgumentException("solver_order: " + solverOrder + " must be 1, 2 or 3");
        }
        requireFlowShift("flow_shift", flowShift);
        if (!Arrays.asList(SPACINGS).contains(timestepSpacing)) {
            throw new IllegalArgumentException("timestep_spacing: '" + timestepSpacing
                    + "' is not supported (diffusers raises); accepted: linspace, leading, trailing");
        }
        if (trainedBetas != null) {
            if (trainedBetas.length == 0) {
                throw new IllegalArgumentException("trained_betas: must not be empty");
            }
        }
    }

    /**
     * The flow-mode defaults flowmatch implements: diffusers' defaults plus {@code use_flow_sigmas} and flow prediction.
     *
     * @return the config
     */
    public static DpmSolverMultistepConfig flowDefaults() {
        return new DpmSolverMultistepConfig(1000, BetaSchedule.LINEAR, 0.0001, 0.02, null, 2,
                AlgorithmType.DPMSOLVER_PLUS_PLUS, SolverType.MIDPOINT, true, false, 1.0, FinalSigmasType.ZERO,
                "linspace", false, "exponential");
    }

    /**
     * This config with another {@code solver_order}.
     *
     * @param order the {@code solver_order}, 1 to 3
     * @return a new config
     */
    public DpmSolverMultistepConfig withSolverOrder(int order) {
        return new DpmSolverMultistepConfig(numTrainTimesteps, betaSchedule, betaStart, betaEnd, trainedBetas, order,
                algorithmType, solverType, lowerOrderFinal, eulerAtFinal, flowShift, finalSigmasType, timestepSpacing,
                useDynamicShifting, timeShiftType);
    }

    /**
     * This config with another {@code flow_shift}.
     *
     * @param shift the {@code flow_shift}
     * @return a new config
     */
    public DpmSolverMultistepConfig withFlowShift(double shift) {
        return new DpmSolverMultistepConfig(numTrainTimesteps, betaSchedule, betaStart, betaEnd, trainedBetas,
                solverOrder, algorithmType, solverType, lowerOrderFinal, eulerAtFinal, shift, finalSigmasType,
                timestepSpacing, useDynamicShifting, timeShiftType);
    }

    /**
     * This config with another {@code algorithm_type}.
     *
     * @param type the {@code algorithm_type}
     * @return a new config
     */
    public DpmSolverMultistepConfig withAlgorithmType(AlgorithmType type) {
        return new DpmSolverMultistepConfig(numTrainTimesteps, betaSchedule, betaStart, betaEnd, trainedBetas,
                solverOrder, type, solverType, lowerOrderFinal, eulerAtFinal, flowShift, finalSigmasType,
                timestepSpacing, useDynamicShifting, timeShiftType);
    }

    /**
     * The trained betas (a copy), or null.
     *
     * @return a copy of {@code trained_betas}, or null
     */
    @Override
    public double[] trainedBetas() {
        return trainedBetas == null ? null : trainedBetas.clone();
    }

    static void requireFlowShift(String name, double value) {
        if (!Double.isFinite(value) || value <= 0) {
            throw new IllegalArgumentException(name + ": " + value + " must be finite and > 0 (other shifts give"
                    + " sigmas outside (0, 1), where diffusers' step returns NaN)");
        }
    }

    /**
     * Reads a {@code scheduler_config.json} as diffusers' {@code DPMSolverMultistepScheduler.from_config} does, and
     * refuses what flowmatch does not implement. Refused, each an {@link IllegalArgumentException} naming the key
     * and value: {@code use_flow_sigmas} false and {@code prediction_type} other than {@code flow_prediction} (the
     * DDPM modes); {@code thresholding} true; {@code use_karras_sigmas}, {@code use_exponential_sigmas},
     * {@code use_beta_sigmas} true (diffusers' step returns non-finite values with flow sigmas) and
     * {@code use_lu_lambdas} true (it replaces the flow sigmas); {@code algorithm_type} {@code dpmsolver} and
     * {@code sde-dpmsolver} (deprecated; diffusers raises at the first step in flow mode); {@code solver_order}
     * outside 1..3; {@code rescale_betas_zero_snr} true with {@code final_sigmas_type} {@code sigma_min} (flowmatch
     * does not rebuild the rescaled DDPM arrays); values diffusers itself rejects ({@code final_sigmas_type},
     * {@code timestep_spacing}, {@code beta_schedule}, {@code algorithm_type}, {@code solver_type} outside their
     * sets; {@code algorithm_type} {@code deis} with {@code final_sigmas_type} {@code zero}). diffusers' aliases are
     * kept: {@code algorithm_type} {@code deis} is {@code dpmsolver++}, {@code solver_type} {@code logrho},
     * {@code bh1}, {@code bh2} are {@code midpoint}. Keys that only matter in the refused modes
     * ({@code dynamic_thresholding_ratio}, {@code sample_max_value}, {@code lambda_min_clipped},
     * {@code variance_type}, {@code steps_offset}) are accepted and have no effect, as in diffusers' flow mode.
     *
     * @param keys the config's keys
     * @return the config
     */
    public static DpmSolverMultistepConfig from(ConfigKeys keys) {
        int numTrainTimesteps = keys.integer("num_train_timesteps", 1000);
        double betaStart = keys.number("beta_start", 0.0001);
        double betaEnd = keys.number("beta_end", 0.02);
        String betaScheduleName = keys.choice("beta_schedule", "linear", "linear", "scaled_linear",
                "squaredcos_cap_v2");
        double[] trainedBetas = keys.numbers("trained_betas", null);
        int solverOrder = keys.integer("solver_order", 2);
        String predictionType = keys.nullableText("prediction_type", "epsilon");
        refuseTrue(keys, "thresholding", "dynamic thresholding is not implemented");
        keys.number("dynamic_thresholding_ratio", 0.995);
        keys.number("sample_max_value", 1.0);
        String algorithm = keys.choice("algorithm_type", "dpmsolver++", "dpmsolver++", "sde-dpmsolver++", "deis",
                "dpmsolver", "sde-dpmsolver");
        String solver = keys.choice("solver_type", "midpoint", "midpoint", "heun", "logrho", "bh1", "bh2");
        boolean lowerOrderFinal = keys.flag("lower_order_final", true);
        boolean eulerAtFinal = keys.flag("euler_at_final", false);
        String nonFinite = "with use_flow_sigmas diffusers' first step returns non-finite values";
        refuseTrue(keys, "use_karras_sigmas", nonFinite);
        refuseTrue(keys, "use_exponential_sigmas", nonFinite);
        refuseTrue(keys, "use_beta_sigmas", nonFinite);
        refuseTrue(keys, "use_lu_lambdas", "it replaces the flow sigmas, which are all flowmatch implements");
        boolean useFlowSigmas = keys.flag("use_flow_sigmas", false);
        double flowShift = keys.number("flow_shift", 1.0);
        String finalSigmas = keys.choice("final_sigmas_type", "zero", "zero", "sigma_min");
        keys.number("lambda_min_clipped", Double.NEGATIVE_INFINITY);
        keys.nullableText("variance_type", null);
        String spacing = keys.choice("timestep_spacing", "linspace", "linspace", "leading", "trailing");
        keys.integer("steps_offset", 0);
        boolean rescale = keys.flag("rescale_betas_zero_snr", false);
        boolean useDynamicShifting = keys.flag("use_dynamic_shifting", false);
        String timeShiftType = keys.nullableText("time_shift_type", "exponential");

        if (!useFlowSigmas) {
            throw new IllegalArgumentException("use_flow_sigmas: false is not supported by flowmatch's "
                    + keys.className() + ": only the flow mode (use_flow_sigmas true, prediction_type"
                    + " flow_prediction) is implemented");
        }
        if (!"flow_prediction".equals(predictionType)) {
            throw new IllegalArgumentException("prediction_type: '" + predictionType + "' is not supported by"
                    + " flowmatch's " + keys.className() + " (only flow_prediction)");
        }
        if (algorithm.equals("dpmsolver") || algorithm.equals("sde-dpmsolver")) {
            throw new IllegalArgumentException("algorithm_type: '" + algorithm + "' is deprecated and, with"
                    + " prediction_type flow_prediction, diffusers raises at the first step; use dpmsolver++ or"
                    + " sde-dpmsolver++");
        }
        if (algorithm.equals("deis") && finalSigmas.equals("zero")) {
            // diffusers checks final_sigmas_type against the algorithm_type given, before mapping deis.
            throw new IllegalArgumentException("final_sigmas_type: 'zero' is not supported with algorithm_type"
                    + " 'deis' (diffusers raises); choose sigma_min");
        }
        if (rescale && finalSigmas.equals("sigma_min")) {
            throw new IllegalArgumentException("rescale_betas_zero_snr: true with final_sigmas_type sigma_min is"
                    + " not supported by flowmatch (the final sigma would come from the rescaled DDPM arrays)");
        }
        if (timeShiftType == null) {
            timeShiftType = "None";
        }
        return new DpmSolverMultistepConfig(numTrainTimesteps, BetaSchedule.valueOf(betaScheduleName.toUpperCase(
                Locale.ROOT)), betaStart, betaEnd, trainedBetas, solverOrder,
                algorithm.equals("sde-dpmsolver++") ? AlgorithmType.SDE_DPMSOLVER_PLUS_PLUS
                        : AlgorithmType.DPMSOLVER_PLUS_PLUS,
                solver.equals("heun") ? SolverType.HEUN : SolverType.MIDPOINT, lowerOrderFinal, eulerAtFinal,
                flowShift, finalSigmas.equals("zero") ? FinalSigmasType.ZERO : FinalSigmasType.SIGMA_MIN, spacing,
                useDynamicShifting, timeShiftType);
    }

    /** A flag diffusers accepts but flowmatch only implements when false (null, Python's None, is false). */
    private static void refuseTrue(ConfigKeys keys, String key, String why) {
        if (keys.flag(key, false)) {
            throw new IllegalArgumentException(key + ": true is not supported by flowmatch's " + keys.className()
                    + ": " + why);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DpmSolverMultistepConfig c && numTrainTimesteps == c.numTrainTimesteps
                && betaSchedule == c.betaSchedule && Double.compare(betaStart, c.betaStart) == 0
                && Double.compare(betaEnd, c.betaEnd) == 0 && Arrays.equals(trainedBetas, c.trainedBetas)
                && solverOrder == c.solverOrder && algorithmType == c.algorithmType && solverType == c.solverType
                && lowerOrderFinal == c.lowerOrderFinal && eulerAtFinal == c.eulerAtFinal
                && Double.compare(flowShift, c.flowShift) == 0 && finalSigmasType == c.finalSigmasType
                && timestepSpacing.equals(c.timestepSpacing) && useDynamicShifting == c.useDynamicShifting
                && timeShiftType.equals(c.timeShiftType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(numTrainTimesteps, betaSchedule, betaStart, betaEnd, Arrays.hashCode(trainedBetas),
                solverOrder, algorithmType, solverType, lowerOrderFinal, eulerAtFinal, flowShift, finalSigmasType,
                timestepSpacing, useDynamicShifting, timeShiftType);
    }

    @Override
    public String toString() {
        return "DpmSolverMultistepConfig[num_train_timesteps=" + numTrainTimesteps + ", beta_schedule="
                + betaSchedule.name().toLowerCase(Locale.ROOT) + ", beta_start=" + betaStart + ", solver_order="
                + solverOrder + ", algorithm_type=" + algorithmType.configValue() + ", solver_type="
                + solverType.name().toLowerCase(Locale.ROOT) + ", lower_order_final=" + lowerOrderFinal
                + ", euler_at_final=" + eulerAtFinal + ", flow_shift=" + flowShift + ", final_sigmas_type="
                + finalSigmasType.name().toLowerCase(Locale.ROOT) + ", use_dynamic_shifting=" + useDynamicShifting
                + ", time_shift_type=" + timeShiftType + "]";
    }
}

package dev.flowmatch.schedule;

import dev.flowmatch.Limits;

import java.util.Objects;

/**
 * Every key of diffusers' {@code FlowMatchEulerDiscreteScheduler} config, with diffusers' defaults
 * ({@code scheduling_flow_match_euler_discrete.py}, {@code __init__}). Values are validated on construction:
 * a bad value is an {@link IllegalArgumentException} naming the key and the value.
 *
 * @param numTrainTimesteps    {@code num_train_timesteps} (default 1000): training timesteps; timesteps are
 *                             {@code sigma * num_train_timesteps}, and the default spacing starts from the
 *                             training sigmas {@code (T..1) / T}. In {@code [1, Limits.MAX_TRAIN_TIMESTEPS]}.
 * @param shift                {@code shift} (default 1.0): the fixed shift {@code s*t / (1 + (s-1)*t)} applied
 *                             when dynamic shifting is off. In {@code [Limits.MIN_SHIFT, Limits.MAX_SHIFT]}.
 * @param useDynamicShifting   {@code use_dynamic_shifting} (default false): shift by a resolution-dependent
 *                             {@code mu} given to {@code set_timesteps} instead of the fixed shift.
 * @param baseShift            {@code base_shift} (default 0.5, may be null): the FLUX.1-style linear mu at
 *                             {@code base_image_seq_len} ({@link Flux2#linearMu}); read by pipelines, not by the
 *                             scheduler itself.
 * @param maxShift             {@code max_shift} (default 1.15, may be null): the linear mu at
 *                             {@code max_image_seq_len}; read by pipelines.
 * @param baseImageSeqLen      {@code base_image_seq_len} (default 256): the image sequence length where the
 *                             linear mu is {@code base_shift}; read by pipelines.
 * @param maxImageSeqLen       {@code max_image_seq_len} (default 4096): the image sequence length where the
 *                             linear mu is {@code max_shift}; read by pipelines.
 * @param invertSigmas         {@code invert_sigmas} (default false): {@code sigmas = 1 - sigmas}, terminal 1
 *                             (Mochi).
 * @param shiftTerminal        {@code shift_terminal} (default null): stretch the shifted schedule so that it ends
 *                             at this value (LTX-Video); in (0, 1) when set.
 * @param useKarrasSigmas      {@code use_karras_sigmas} (default false): Karras et al. rho = 7 spacing of the
 *                             default schedule.
 * @param useExponentialSigmas {@code use_exponential_sigmas} (default false): log-linear spacing.
 * @param useBetaSigmas        {@code use_beta_sigmas} (default false): Beta(0.6, 0.6) quantile spacing. At most
 *                             one of the three spacing flags may be true.
 * @param timeShiftType        {@code time_shift_type} (default exponential): how {@code mu} shifts the sigmas
 *                             when dynamic shifting is on.
 * @param stochasticSampling   {@code stochastic_sampling} (default false): each step re-noises the predicted
 *                             clean sample instead of taking the ODE step.
 */
public record SchedulerConfig(
        int numTrainTimesteps,
        double shift,
        boolean useDynamicShifting,
        Double baseShift,
        Double maxShift,
        int baseImageSeqLen,
        int maxImageSeqLen,
        boolean invertSigmas,
        Double shiftTerminal,
        boolean useKarrasSigmas,
        boolean useExponentialSigmas,
        boolean useBetaSigmas,
        TimeShiftType timeShiftType,
        boolean stochasticSampling) {

    /**
     * Checks every value.
     *
     * @throws IllegalArgumentException naming the diffusers key and the value, for a value out of range or more
     *                                  than one spacing flag set
     * @throws NullPointerException     if {@code timeShiftType} is null
     */
    public SchedulerConfig {
        Objects.requireNonNull(timeShiftType, "time_shift_type");
        if (numTrainTimesteps < 1 || numTrainTimesteps > Limits.MAX_TRAIN_TIMESTEPS) {
            throw new IllegalArgumentException("num_train_timesteps: " + numTrainTimesteps + " must lie in [1, "
                    + Limits.MAX_TRAIN_TIMESTEPS + "]");
        }
        Limits.requireShift("shift", shift);
        if (shiftTerminal != null && !(shiftTerminal > 0 && shiftTerminal < 1)) {
            throw new IllegalArgumentException("shift_terminal: " + shiftTerminal + " must lie in (0, 1)");
        }
        requireFiniteOrNull("base_shift", baseShift);
        requireFiniteOrNull("max_shift", maxShift);
        int spacings = (useKarrasSigmas ? 1 : 0) + (useExponentialSigmas ? 1 : 0) + (useBetaSigmas ? 1 : 0);
        if (spacings > 1) {
            throw new IllegalArgumentException("use_karras_sigmas=" + useKarrasSigmas + ", use_exponential_sigmas="
                    + useExponentialSigmas + ", use_beta_sigmas=" + useBetaSigmas
                    + ": only one of them can be true");
        }
    }

    private static void requireFiniteOrNull(String key, Double value) {
        if (value != null && !Double.isFinite(value)) {
            throw new IllegalArgumentException(key + ": " + value + " must be finite");
        }
    }

    /**
     * diffusers' defaults: {@code FlowMatchEulerDiscreteScheduler()}.
     *
     * @return the default config
     */
    public static SchedulerConfig defaults() {
        return builder().build();
    }

    /**
     * FLUX.2 [klein]: 1000 training timesteps, shift 3.0, dynamic exponential shifting; equal to the seed's
     * {@code DefaultSchedulerConfig} (Ollama {@code x/imagegen/models/flux2/scheduler.go}).
     *
     * @return the FLUX.2 [klein] config
     */
    public static SchedulerConfig flux2Klein() {
        return builder().numTrainTimesteps(1000).shift(3.0).useDynamicShifting(true)
                .timeShiftType(TimeShiftType.EXPONENTIAL).build();
    }

    /**
     * A builder starting from diffusers' defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this config.
     *
     * @return a new builder holding this config's values
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds a {@link SchedulerConfig}; starts from diffusers' defaults. */
    public static final class Builder {
        private int numTrainTimesteps = 1000;
        private double shift = 1.0;
        private boolean useDynamicShifting = false;
        private Double baseShift = 0.5;
        private Double maxShift = 1.15;
        private int baseImageSeqLen = 256;
        private int maxImageSeqLen = 4096;
        private boolean invertSigmas = false;
        private Double shiftTerminal = null;
        private boolean useKarrasSigmas = false;
        private boolean useExponentialSigmas = false;
        private boolean useBetaSigmas = false;
        private TimeShiftType timeShiftType = TimeShiftType.EXPONENTIAL;
        private boolean stochasticSampling = false;

        private Builder() {}

        private Builder(SchedulerConfig c) {
            numTrainTimesteps = c.numTrainTimesteps;
            shift = c.shift;
            useDynamicShifting = c.useDynamicShifting;
            baseShift = c.baseShift;
            maxShift = c.maxShift;
            baseImageSeqLen = c.baseImageSeqLen;
            maxImageSeqLen = c.maxImageSeqLen;
            invertSigmas = c.invertSigmas;
            shiftTerminal = c.shiftTerminal;
            useKarrasSigmas = c.useKarrasSigmas;
            useExponentialSigmas = c.useExponentialSigmas;
            useBetaSigmas = c.useBetaSigmas;
            timeShiftType = c.timeShiftType;
            stochasticSampling = c.stochasticSampling;
        }

        /**
         * Sets {@code num_train_timesteps}; see {@link SchedulerConfig#numTrainTimesteps()}.
         *
         * @param v the number of training timesteps (default 1000), {@code >= 1}
         * @return this builder
         */
        public Builder numTrainTimesteps(int v) {
            numTrainTimesteps = v;
            return this;
        }

        /**
         * Sets {@code shift}; see {@link SchedulerConfig#shift()}.
         *
         * @param v the fixed shift (default 1.0), finite and {@code > 0}
         * @return this builder
         */
        public Builder shift(double v) {
            shift = v;
            return this;
        }

        /**
         * Sets {@code use_dynamic_shifting}; see {@link SchedulerConfig#useDynamicShifting()}.
         *
         * @param v whether {@code set_timesteps} shifts by {@code mu} (default false)
         * @return this builder
         */
        public Builder useDynamicShifting(boolean v) {
            useDynamicShifting = v;
            return this;
        }

        /**
         * Sets {@code base_shift}; see {@link SchedulerConfig#baseShift()}.
         *
         * @param v the linear mu at {@code base_image_seq_len} (default 0.5), or null
         * @return this builder
         */
        public Builder baseShift(Double v) {
            baseShift = v;
            return this;
        }

        /**
         * Sets {@code max_shift}; see {@link SchedulerConfig#maxShift()}.
         *
         * @param v the linear mu at {@code max_image_seq_len} (default 1.15), or null
         * @return this builder
         */
        public Builder maxShift(Double v) {
            maxShift = v;
            return this;
        }

        /**
         * Sets {@code base_image_seq_len}; see {@link SchedulerConfig#baseImageSeqLen()}.
         *
         * @param v the sequence length of {@code base_shift} (default 256)
         * @return this builder
         */
        public Builder baseImageSeqLen(int v) {
            baseImageSeqLen = v;
            return this;
        }

        /**
         * Sets {@code max_image_seq_len}; see {@link SchedulerConfig#maxImageSeqLen()}.
         *
         * @param v the sequence length of {@code max_shift} (default 4096)
         * @return this builder
         */
        public Builder maxImageSeqLen(int v) {
            maxImageSeqLen = v;
            return this;
        }

        /**
         * Sets {@code invert_sigmas}; see {@link SchedulerConfig#invertSigmas()}.
         *
         * @param v whether sigmas become {@code 1 - sigma} (default false)
         * @return this builder
         */
        public Builder invertSigmas(boolean v) {
            invertSigmas = v;
            return this;
        }

        /**
         * Sets {@code shift_terminal}; see {@link SchedulerConfig#shiftTerminal()}.
         *
         * @param v the value the stretched schedule ends at, in (0, 1), or null (default)
         * @return this builder
         */
        public Builder shiftTerminal(Double v) {
            shiftTerminal = v;
            return this;
        }

        /**
         * Sets {@code use_karras_sigmas}; see {@link SchedulerConfig#useKarrasSigmas()}.
         *
         * @param v whether the default schedule uses Karras spacing (default false)
         * @return this builder
         */
        public Builder useKarrasSigmas(boolean v) {
            useKarrasSigmas = v;
            return this;
        }

        /**
         * Sets {@code use_exponential_sigmas}; see {@link SchedulerConfig#useExponentialSigmas()}.
         *
         * @param v whether the default schedule is log-linear (default false)
         * @return this builder
         */
        public Builder useExponentialSigmas(boolean v) {
            useExponentialSigmas = v;
            return this;
        }

        /**
         * Sets {@code use_beta_sigmas}; see {@link SchedulerConfig#useBetaSigmas()}.
         *
         * @param v whether the default schedule uses beta quantiles (default false)
         * @return this builder
         */
        public Builder useBetaSigmas(boolean v) {
            useBetaSigmas = v;
            return this;
        }

        /**
         * Sets {@code time_shift_type}; see {@link SchedulerConfig#timeShiftType()}.
         *
         * @param v how {@code mu} shifts the sigmas (default exponential)
         * @return this builder
         */
        public Builder timeShiftType(TimeShiftType v) {
            timeShiftType = v;
            return this;
        }

        /**
         * Sets {@code stochastic_sampling}; see {@link SchedulerConfig#stochasticSampling()}.
         *
         * @param v whether steps re-noise instead of the ODE step (default false)
         * @return this builder
         */
        public Builder stochasticSampling(boolean v) {
            stochasticSampling = v;
            return this;
        }

        /**
         * Builds the config.
         *
         * @return a new, validated config
         * @throws IllegalArgumentException naming the diffusers key of a bad value
         */
        public SchedulerConfig build() {
            return new SchedulerConfig(numTrainTimesteps, shift, useDynamicShifting, baseShift, maxShift,
                    baseImageSeqLen, maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas,
                    useExponentialSigmas, useBetaSigmas, timeShiftType, stochasticSampling);
        }
    }
}

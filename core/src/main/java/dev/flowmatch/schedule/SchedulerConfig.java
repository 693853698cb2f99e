package dev.flowmatch.schedule;

import dev.flowmatch.Limits;

import java.util.Objects;

/**
 * Every key of diffusers' {@code FlowMatchEulerDiscreteScheduler} config, with diffusers' defaults
 * ({@code scheduling_flow_match_euler_discrete.py}, {@code __init__}). Values are validated on construction:
 * a bad value is an {@link IllegalArgumentException} naming the key and the value.
 *
 * @param numTrainTimesteps    {@code num_train_timesteps} (1000): training timesteps; timesteps are
 *                             {@code sigma * num_train_timesteps}; at most {@link Limits#MAX_TRAIN_TIMESTEPS}.
 * @param shift                {@code shift} (1.0): the fixed shift {@code s*t / (1 + (s-1)*t)} applied when
 *                             dynamic shifting is off; in {@code [Limits.MIN_SHIFT, Limits.MAX_SHIFT]}.
 * @param useDynamicShifting   {@code use_dynamic_shifting} (false): shift by a resolution-dependent {@code mu}
 *                             given to {@code set_timesteps} instead of the fixed shift.
 * @param baseShift            {@code base_shift} (0.5, may be null): FLUX.1-style linear mu at
 *                             {@code base_image_seq_len}; used by pipelines, not by the scheduler itself.
 * @param maxShift             {@code max_shift} (1.15, may be null): mu at {@code max_image_seq_len}.
 * @param baseImageSeqLen      {@code base_image_seq_len} (256).
 * @param maxImageSeqLen       {@code max_image_seq_len} (4096).
 * @param invertSigmas         {@code invert_sigmas} (false): {@code sigmas = 1 - sigmas}, terminal 1 (Mochi).
 * @param shiftTerminal        {@code shift_terminal} (null): stretch the shifted schedule so it ends at this
 *                             value (LTX-Video); must lie in (0, 1) when set.
 * @param useKarrasSigmas      {@code use_karras_sigmas} (false): Karras et al. rho = 7 spacing.
 * @param useExponentialSigmas {@code use_exponential_sigmas} (false): log-linear spacing.
 * @param useBetaSigmas        {@code use_beta_sigmas} (false): Beta(0.6, 0.6) quantile spacing.
 * @param timeShiftType        {@code time_shift_type} (exponential).
 * @param stochasticSampling   {@code stochastic_sampling} (false): re-noise each step instead of the ODE step.
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

    /** diffusers' defaults: {@code FlowMatchEulerDiscreteScheduler()}. */
    public static SchedulerConfig defaults() {
        return builder().build();
    }

    /**
     * FLUX.2 [klein]: 1000 training timesteps, shift 3.0, dynamic exponential shifting; equal to the seed's
     * {@code DefaultSchedulerConfig} (Ollama {@code x/imagegen/models/flux2/scheduler.go}).
     */
    public static SchedulerConfig flux2Klein() {
        return builder().numTrainTimesteps(1000).shift(3.0).useDynamicShifting(true)
                .timeShiftType(TimeShiftType.EXPONENTIAL).build();
    }

    public static Builder builder() {
        return new Builder();
    }

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

        public Builder numTrainTimesteps(int v) { numTrainTimesteps = v; return this; }
        public Builder shift(double v) { shift = v; return this; }
        public Builder useDynamicShifting(boolean v) { useDynamicShifting = v; return this; }
        public Builder baseShift(Double v) { baseShift = v; return this; }
        public Builder maxShift(Double v) { maxShift = v; return this; }
        public Builder baseImageSeqLen(int v) { baseImageSeqLen = v; return this; }
        public Builder maxImageSeqLen(int v) { maxImageSeqLen = v; return this; }
        public Builder invertSigmas(boolean v) { invertSigmas = v; return this; }
        public Builder shiftTerminal(Double v) { shiftTerminal = v; return this; }
        public Builder useKarrasSigmas(boolean v) { useKarrasSigmas = v; return this; }
        public Builder useExponentialSigmas(boolean v) { useExponentialSigmas = v; return this; }
        public Builder useBetaSigmas(boolean v) { useBetaSigmas = v; return this; }
        public Builder timeShiftType(TimeShiftType v) { timeShiftType = v; return this; }
        public Builder stochasticSampling(boolean v) { stochasticSampling = v; return this; }

        public SchedulerConfig build() {
            return new SchedulerConfig(numTrainTimesteps, shift, useDynamicShifting, baseShift, maxShift,
                    baseImageSeqLen, maxImageSeqLen, invertSigmas, shiftTerminal, useKarrasSigmas,
                    useExponentialSigmas, useBetaSigmas, timeShiftType, stochasticSampling);
        }
    }
}

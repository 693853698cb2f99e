package dev.flowmatch.schedule;

import dev.flowmatch.Limits;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler.set_timesteps}, float32 bit for bit.
 *
 * <p>The reference mixes precisions, and each is reproduced:
 * <ul>
 *   <li>The constructor builds the training sigmas {@code (N..1) / N} as a float32 torch tensor and, when
 *       dynamic shifting is off, applies the fixed shift in float32; {@code sigma_min} / {@code sigma_max} are
 *       read from it. So the default path shifts {@code sigma_min} twice: once here, once in set_timesteps.</li>
 *   <li>Default spacing: {@code linspace(sigma_max * T, sigma_min * T, n) / T} in float64 numpy; the shift
 *       and any Karras / exponential / beta conversion stay in float64; the cast to float32 comes last.</li>
 *   <li>Custom sigmas are cast to float32 first and shifted in float32; custom timesteps are cast to float32
 *       and divided by {@code T} in float32.</li>
 *   <li>Timesteps are {@code sigmas * T} in float32; inversion is {@code 1 - sigma} in float32.</li>
 * </ul>
 */
public final class Schedules {
    private Schedules() {}

    /**
     * {@code set_timesteps} with the config's own {@code shift}.
     *
     * @param config  the scheduler config
     * @param request the arguments of {@code set_timesteps}
     * @return the schedule, bit for bit diffusers'
     * @throws IllegalArgumentException where diffusers raises (e.g. no {@code mu} with dynamic shifting on), naming
     *                                  the argument
     */
    public static Schedule compute(SchedulerConfig config, ScheduleRequest request) {
        return compute(config, config.shift(), request);
    }

    /**
     * {@code set_timesteps} where {@code shift} is the scheduler's current shift ({@code set_shift} changes it;
     * the constructor's training sigmas always use {@code config.shift}).
     *
     * @param config  the scheduler config
     * @param shift   the scheduler's current fixed shift, finite and {@code > 0}
     * @param request the arguments of {@code set_timesteps}
     * @return the schedule, bit for bit diffusers'
     * @throws IllegalArgumentException where diffusers raises (e.g. no {@code mu} with dynamic shifting on), naming
     *                                  the argument
     */
    public static Schedule compute(SchedulerConfig config, double shift, ScheduleRequest request) {
        return compute(config, shift, request, DiffusersRelease.V0_40);
    }

    /**
     * {@code set_timesteps} as {@code release} computes it: the releases differ only for custom timesteps
     * ({@link DiffusersRelease}).
     *
     * @param config  the scheduler config
     * @param shift   the scheduler's current fixed shift, finite and {@code > 0}
     * @param request the arguments of {@code set_timesteps}
     * @param release the diffusers release to reproduce
     * @return the schedule
     * @throws IllegalArgumentException where that release raises, naming the argument
     */
    public static Schedule compute(SchedulerConfig config, double shift, ScheduleRequest request,
                                   DiffusersRelease release) {
        java.util.Objects.requireNonNull(config, "config");
        java.util.Objects.requireNonNull(request, "request");
        java.util.Objects.requireNonNull(release, "release");
        if (config.useDynamicShifting() && request.mu() == null) {
            throw new IllegalArgumentException("mu: must be passed when use_dynamic_shifting is true");
        }
        Limits.requireShift("shift", shift);
        if (config.useDynamicShifting() && config.timeShiftType() == TimeShiftType.LINEAR) {
            Limits.requireLinearMu("mu", request.mu());
        }
        int n = request.resolvedSteps();
        double[] customSigmas = request.sigmas();
        double[] customTimesteps = request.timesteps();

        float[] sigmas32;
        if (customSigmas != null && customTimesteps != null) {
            // both given: the sigmas make the schedule, but classes that keep the timesteps as given (LCM, diffusers
            // <= 0.39) return them: they are checked too (fuzzing found infinite timesteps kept)
            timestepsToSigmas(config, customTimesteps);
        }
        if (customSigmas != null || customTimesteps != null) {
            sigmas32 = customSigmas != null ? customSigmas32(customSigmas) : timestepsToSigmas(config, customTimesteps);
            shiftInPlace(config, shift, request.mu(), sigmas32);
            if (config.shiftTerminal() != null) {
                Shifts.stretchToTerminal(sigmas32, config.shiftTerminal());
            }
            requireConvertible(config, sigmas32[sigmas32.length - 1]);
            double[] converted = convertSpacing(config, sigmas32[sigmas32.length - 1], sigmas32[0], sigmas32.length);
            if (converted != null) {
                sigmas32 = toFloat32(converted);
            }
        } else {
            double[] sigmas64 = defaultSpacing(config, n);
            for (int i = 0; i < n; i++) {
                sigmas64[i] = config.useDynamicShifting()
                        ? Shifts.timeShift(config.timeShiftType(), request.mu(), sigmas64[i])
                        : Shifts.fixed(shift, sigmas64[i]);
            }
            if (config.shiftTerminal() != null) {
                Shifts.stretchToTerminal(sigmas64, config.shiftTerminal());
            }
            requireConvertible(config, sigmas64[n - 1]);
            double[] converted = convertSpacing(config, sigmas64[n - 1], sigmas64[0], n);
            sigmas32 = toFloat32(converted != null ? converted : sigmas64);
        }
        Schedule schedule = finish(config, sigmas32);
        requireFinite(config, request, schedule);
        if (release == DiffusersRelease.V0_39 && customTimesteps != null && !config.invertSigmas()) {
            // diffusers <= 0.39: "timesteps = torch.from_numpy(timesteps).to(dtype=torch.float32)", the given values
            return new Schedule(schedule.sigmas(), toFloat32(customTimesteps));
        }
        return schedule;
    }

    /**
     * The constructor's training sigmas: {@code linspace(1, T, T)[::-1] / T} in float32, with the fixed shift in
     * float32 unless dynamic shifting is on. Returns {@code [sigma_max, sigma_min]}.
     */
    static float[] trainingSigmaRange(SchedulerConfig config) {
        float t = (float) config.numTrainTimesteps();
        float max = (float) config.numTrainTimesteps() / t;
        float min = 1f / t;
        if (!config.useDynamicShifting()) {
            max = Shifts.fixed(config.shift(), max);
            min = Shifts.fixed(config.shift(), min);
        }
        return new float[] {max, min};
    }

    /** Step 1 without custom values: {@code linspace(sigma_to_t(sigma_max), sigma_to_t(sigma_min), n) / T}. */
    private static double[] defaultSpacing(SchedulerConfig config, int n) {
        float[] range = trainingSigmaRange(config);
        int t = config.numTrainTimesteps();
        double[] timesteps = Spacings.linspace((double) range[0] * t, (double) range[1] * t, n);
        for (int i = 0; i < n; i++) {
            timesteps[i] = timesteps[i] / t;
        }
        return timesteps;
    }

    /**
     * Custom sigmas as float32 ({@code np.array(sigmas).astype(np.float32)}), checked: in {@code [0, 1]}, the first
     * above 0, none above the one before (as float32). diffusers takes anything; outside this domain it returns sigmas
     * above 1, negative or NaN after the shift, or a schedule that never leaves sigma 0.
     */
    private static float[] customSigmas32(double[] sigmas) {
        return requireFlowSigmas("sigmas", sigmas);
    }

    /**
     * Custom flow-matching sigmas as float32, checked as every class of the family needs them: each in
     * {@code [0, 1]}, the first above 0, none above the one before (as float32).
     *
     * @param name   the parameter, for the message
     * @param sigmas the values as given
     * @return the values as float32
     * @throws IllegalArgumentException naming the first element outside that domain
     */
    public static float[] requireFlowSigmas(String name, double[] sigmas) {
        java.util.Objects.requireNonNull(sigmas, name);
        float[] values = toFloat32(sigmas);
        requireDecreasingFrom(name, sigmas, values, 1, "flow-matching sigmas run from 1, noise, down to 0, the image");
        return values;
    }

    /**
     * {@code np.array(timesteps).astype(np.float32) / T}: a float32 division; the timesteps checked as custom sigmas
     * are ({@link #customSigmas32}), in {@code [0, num_train_timesteps]}.
     */
    private static float[] timestepsToSigmas(SchedulerConfig config, double[] timesteps) {
        float t = (float) config.numTrainTimesteps();
        float[] sigmas = toFloat32(timesteps);
        requireDecreasingFrom("timesteps", timesteps, sigmas, config.numTrainTimesteps(),
                "timesteps run from num_train_timesteps, noise, down to 0, the image");
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = sigmas[i] / t;
        }
        return sigmas;
    }

    /**
     * Checks custom values: each in {@code [0, max]}, the first above 0, and no float32 value above the one before.
     *
     * @param given  the values as given (for the message)
     * @param values the same as float32, as diffusers uses them
     */
    private static void requireDecreasingFrom(String name, double[] given, float[] values, double max, String why) {
        for (int i = 0; i < values.length; i++) {
            String element = name + ": element " + i + " is " + given[i];
            if (!(given[i] >= 0 && given[i] <= max)) {
                throw new IllegalArgumentException(element + "; each must lie in [0, " + formatBound(max) + "] ("
                        + why + ")");
            }
            if (i == 0 && values[0] == 0) {
                throw new IllegalArgumentException(element + "; the first must be above 0 (" + why + ")");
            }
            if (i > 0 && values[i] > values[i - 1]) {
                // (float32 rounding is monotone: it never makes non-increasing values increase)
                throw new IllegalArgumentException(element + ", above element " + (i - 1) + " (" + given[i - 1]
                        + "); they must not increase (" + why + ")");
            }
        }
    }

    private static String formatBound(double max) {
        return max == Math.rint(max) ? Long.toString((long) max) : Double.toString(max);
    }

    /**
     * {@code _convert_to_exponential} takes {@code log(sigma_min)}: when the last shifted sigma is 0 (custom values
     * ending at 0, or a mu that shifts the last sigma to 0) diffusers returns NaN sigmas; flowmatch refuses.
     */
    private static void requireConvertible(SchedulerConfig config, double lastSigma) {
        if (config.useExponentialSigmas() && !(lastSigma > 0)) {
            throw new IllegalArgumentException("use_exponential_sigmas: true needs the last sigma above 0 after the"
                    + " shift, and it is " + lastSigma + " (custom sigmas or timesteps ending at 0, or a mu far below"
                    + " 0): log(0) would make every sigma NaN, as in diffusers");
        }
    }

    /**
     * The last line of defence: the checks above keep every request inside the domain where the reference's
     * arithmetic gives finite sigmas (its roundings may put one a few ulps outside [0, 1]); should one slip through, refuse it rather than return a NaN.
     */
    private static void requireFinite(SchedulerConfig config, ScheduleRequest request, Schedule schedule) {
        float[] sigmas = schedule.sigmas();
        for (int i = 0; i < sigmas.length; i++) {
            if (!Float.isFinite(sigmas[i])) {
                throw new IllegalArgumentException(request + " on " + config + ": sigma " + i + " would be "
                        + sigmas[i] + " (as in diffusers); this request is outside the domain flowmatch computes");
            }
        }
    }

    /** Step 2 on float32 values: the dynamic time shift with {@code mu}, or the fixed shift. */
    private static void shiftInPlace(SchedulerConfig config, double shift, Double mu, float[] sigmas) {
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = config.useDynamicShifting()
                    ? Shifts.timeShift(config.timeShiftType(), mu, sigmas[i])
                    : Shifts.fixed(shift, sigmas[i]);
        }
    }

    /** Step 4: Karras / exponential / beta spacing between the shifted end points, or null for none. */
    private static double[] convertSpacing(SchedulerConfig config, double sigmaMin, double sigmaMax, int n) {
        if (config.useKarrasSigmas()) {
            return Spacings.karras(sigmaMin, sigmaMax, n);
        }
        if (config.useExponentialSigmas()) {
            return Spacings.exponential(sigmaMin, sigmaMax, n);
        }
        if (config.useBetaSigmas()) {
            return Spacings.beta(sigmaMin, sigmaMax, n);
        }
        return null;
    }

    /** Steps 5 and 6: timesteps {@code sigmas * T} in float32, optional inversion, and the terminal sigma. */
    private static Schedule finish(SchedulerConfig config, float[] sigmas) {
        float t = (float) config.numTrainTimesteps();
        int n = sigmas.length;
        float[] withTerminal = new float[n + 1];
        float[] timesteps = new float[n];
        for (int i = 0; i < n; i++) {
            float sigma = config.invertSigmas() ? 1f - sigmas[i] : sigmas[i];
            withTerminal[i] = sigma;
            timesteps[i] = sigma * t;
        }
        withTerminal[n] = config.invertSigmas() ? 1f : 0f;
        return new Schedule(withTerminal, timesteps);
    }

    private static float[] toFloat32(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }
}

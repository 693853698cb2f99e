package dev.flowmatch.schedule;

import java.util.Locale;

/**
 * diffusers' {@code time_shift_type}: how a resolution-dependent {@code mu} shifts the sigmas when
 * {@code use_dynamic_shifting} is on ({@code _time_shift_exponential} / {@code _time_shift_linear}).
 */
public enum TimeShiftType {
    /** {@code e^mu / (e^mu + (1/t - 1))}, the FLUX default. */
    EXPONENTIAL,
    /** {@code mu / (mu + (1/t - 1))}. */
    LINEAR;

    /**
     * The config value: {@code exponential} or {@code linear}.
     *
     * @return the value of {@code time_shift_type} in a {@code scheduler_config.json}
     */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a config value; anything else is an error naming the key, as diffusers' constructor raises.
     *
     * @param value {@code exponential} or {@code linear}
     * @return the type
     * @throws IllegalArgumentException for any other value
     */
    public static TimeShiftType parse(String value) {
        if ("exponential".equals(value)) {
            return EXPONENTIAL;
        }
        if ("linear".equals(value)) {
            return LINEAR;
        }
        throw new IllegalArgumentException(
                "time_shift_type: '" + value + "' is not supported; it must be 'exponential' or 'linear'");
    }
}

package dev.flowmatch.tensor;

import java.util.Optional;

/**
 * Whether a backend can be used on this machine, on which device, and if not, why (the Netty
 * {@code Epoll.unavailabilityCause()} pattern: the cause is the real error, kept for the user).
 *
 * @param available whether the backend works here
 * @param device    the device it computes on when available (e.g. {@code cpu}, {@code gpu:0}), or {@code none}
 * @param cause     why it is unavailable; {@code null} when available
 */
public record Availability(boolean available, String device, Throwable cause) {

    /**
     * An available backend.
     *
     * @param device the device it computes on, e.g. {@code cpu}
     * @return the availability
     */
    public static Availability available(String device) {
        return new Availability(true, device, null);
    }

    /**
     * An unavailable backend, with the real error.
     *
     * @param cause why it cannot be used (shown to the user)
     * @return the availability, device {@code none}
     */
    public static Availability unavailable(Throwable cause) {
        return new Availability(false, "none", cause);
    }

    /**
     * An unavailable backend, with a reason.
     *
     * @param reason why it cannot be used, one sentence
     * @return the availability, device {@code none}
     */
    public static Availability unavailable(String reason) {
        return unavailable(new UnsupportedOperationException(reason));
    }

    /**
     * Why the backend is unavailable.
     *
     * @return the cause, empty when available
     */
    public Optional<Throwable> unavailabilityCause() {
        return Optional.ofNullable(cause);
    }

    /**
     * At most about 70 characters: {@code available on cpu}, or {@code unavailable: } and the cause's first clause
     * (up to its first {@code ;} or {@code .}).
     *
     * @return the short description
     */
    public String summary() {
        if (available) {
            return "available on " + device;
        }
        String message = cause == null || cause.getMessage() == null ? "unknown cause" : cause.getMessage();
        String first = message.split("[;.\\n]", 2)[0].strip();
        if (first.length() > 56) {
            first = first.substring(0, 53) + "...";
        }
        return "unavailable: " + first;
    }

    /**
     * One line: {@code available on cpu} or {@code unavailable: <cause message>}.
     *
     * @return the description
     */
    public String describe() {
        if (available) {
            return "available on " + device;
        }
        String message = cause == null ? "unknown cause" : cause.getMessage();
        return "unavailable: " + (message == null ? cause.getClass().getName() : message);
    }
}

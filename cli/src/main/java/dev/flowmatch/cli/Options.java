package dev.flowmatch.cli;

/**
 * The library names a bad parameter as its API does ({@code numSteps}, {@code sigmas[0]}, {@code mu}); on the command
 * line the user typed an option. This renames the parameter at the start of a library message to the option.
 */
final class Options {
    private Options() {}

    /**
     * {@code e} with its leading parameter name replaced by the option that set it, or {@code e} itself when the
     * message starts with none of them.
     *
     * @param e       the library's exception
     * @param renames pairs of (parameter name as the library writes it, option), e.g. {@code "numSteps", "--steps"}
     * @return an exception whose message names the option
     */
    static IllegalArgumentException asOption(IllegalArgumentException e, String... renames) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        for (int i = 0; i + 1 < renames.length; i += 2) {
            String parameter = renames[i];
            if (message.startsWith(parameter) && message.length() > parameter.length()
                    && (message.charAt(parameter.length()) == ':' || message.charAt(parameter.length()) == '[')) {
                return new IllegalArgumentException(renames[i + 1] + message.substring(parameter.length()), e);
            }
        }
        return e;
    }
}

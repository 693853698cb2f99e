package dev.flowmatch.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flowmatch} command. Each subcommand is a thin user of the library; bad input prints one line and
 * exits with status 2, never a stack trace.
 */
@Command(name = "flowmatch", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Bit-exact flow-matching Euler scheduler (FLUX.2 [klein]) with pluggable tensor backends.",
        subcommands = {ScheduleCommand.class, SampleCommand.class, GenerateCommand.class, BackendsCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Flowmatch implements Runnable {
    /** Exit status for bad input (picocli's convention for usage errors). */
    public static final int USAGE = 2;
    /** Columns of the help text. */
    static final int HELP_WIDTH = 100;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    Flowmatch() {}

    /** Without a subcommand: prints the usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * The {@code flowmatch} command line; exits with the command's status.
     *
     * @param args the command line arguments
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // Library warnings (System.Logger, which goes to java.util.logging here) as one plain line each, not two
        // timestamped lines; set before anything logs. A user's own -D setting wins.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "flowmatch: %4$s: %5$s%6$s%n");
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /**
     * Runs the command with the given output streams (used by tests).
     *
     * @param out  where results go
     * @param err  where progress, warnings and errors go
     * @param args the command line arguments
     * @return the exit status: 0, {@link #USAGE} for bad input, 1 for other failures
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Flowmatch());
        cli.setUsageHelpWidth(HELP_WIDTH);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            // picocli quotes the value typed, which may hold a line break: show it escaped, on one line
            e.getCommandLine().getErr().println("flowmatch: " + escapeLineBreaks(String.valueOf(e.getMessage())));
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("flowmatch: " + message(e));
            return isBadInput(e) ? USAGE : 1;
        });
        String argumentFile = unreadableArgumentFile(args);
        if (argumentFile != null) {
            err.println("flowmatch: " + argumentFile);
            return USAGE;
        }
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Limits keep every accepted input well inside the heap; this is the last line of defence.
            err.println("flowmatch: out of memory (" + e.getMessage() + "): the JVM's heap is "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; raise it with JAVA_OPTS=-Xmx...");
            return 1;
        }
    }

    /**
     * picocli reads an argument {@code @FILE} as more arguments, one per line, and takes it literally when FILE
     * cannot be read; but a FILE it can open and not read (a directory) stops its parser with a stack trace
     * (fuzzing found {@code --millis @.}). Such an argument is a misuse: its message, or null when there is none.
     */
    static String unreadableArgumentFile(String... args) {
        for (String arg : args) {
            // "@@x" is picocli's escape for a literal "@x"
            if (arg != null && arg.length() > 1 && arg.charAt(0) == '@' && arg.charAt(1) != '@') {
                java.io.File file = new java.io.File(arg.substring(1));
                if (file.canRead() && !file.isFile()) {
                    return "argument file " + escapeLineBreaks(arg) + ": " + escapeLineBreaks(arg.substring(1))
                            + (file.isDirectory() ? " is a directory" : " is not a regular file")
                            + " (an argument starting with @ names a file of arguments; write @@ for a literal @)";
                }
            }
        }
        return null;
    }

    /** Errors the user can fix by changing the command (bad values, missing files, unavailable backends). */
    static boolean isBadInput(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException;
    }

    /**
     * The message as the user sees it: one line, except that a message whose first line ends with {@code :} and
     * whose other lines are all indented (a list: the backends found) keeps one short line per item.
     */
    static String message(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        String[] lines = message.split("\\R");
        boolean list = lines.length > 1 && lines[0].endsWith(":")
                && java.util.Arrays.stream(lines).skip(1).allMatch(l -> l.startsWith("  ") && !l.isBlank());
        if (list) {
            return String.join(System.lineSeparator(), lines);
        }
        return escapeLineBreaks(message);
    }

    /**
     * Line breaks (a value the user typed may hold one) written as {@code \n}, so a message stays one line: every
     * character a regex {@code \R} matches (fuzzing found a vertical tab); the others than CR and LF as a
     * backslash, {@code u} and the character's four hex digits.
     */
    static String escapeLineBreaks(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> {
                    out.append("\\n");
                    if (i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                        i++;
                    }
                }
                case '\u000B', '\u000C', '\u0085', '\u2028', '\u2029' ->
                        out.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) c));
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** {@code "1 step"}, {@code "4 steps"}: a count with its noun, singular for one. */
    static String count(long n, String noun) {
        return n + " " + plural(n, noun);
    }

    /** {@code noun}, with an s unless {@code n} is 1. */
    static String plural(long n, String noun) {
        return n == 1 ? noun : noun + "s";
    }

    /** The message, on one line. */
    static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message.replaceAll("\\s*\\R\\s*", "; ");
    }
}

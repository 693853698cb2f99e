package dev.flowmatch.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code flowmatch} command. Each subcommand is a thin user of the library; bad input prints one line and
 * exits with status 2, never a stack trace.
 */
@Command(name = "flowmatch", mixinStandardHelpOptions = true, version = "flowmatch 0.1.0",
        description = "Bit-exact flow-matching Euler scheduler (FLUX.2 [klein]) with pluggable tensor backends.",
        subcommands = {ScheduleCommand.class, SampleCommand.class, GenerateCommand.class, BackendsCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Flowmatch implements Runnable {
    /** Exit status for bad input (picocli's convention for usage errors). */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command with the given output streams and returns the exit status (used by tests). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Flowmatch());
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
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Limits keep every accepted input well inside the heap; this is the last line of defence.
            err.println("flowmatch: out of memory (" + e.getMessage() + "): the JVM's heap is "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB; raise it with JAVA_OPTS=-Xmx...");
            return 1;
        }
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

    /** Line breaks (a value the user typed may hold one) written as {@code \n}, so a message stays one line. */
    static String escapeLineBreaks(String text) {
        return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n");
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

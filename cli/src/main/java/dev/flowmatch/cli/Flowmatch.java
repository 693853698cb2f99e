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
        subcommands = {ScheduleCommand.class, SampleCommand.class, BackendsCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Flowmatch implements Runnable {
    /** Exit status for bad input (picocli's convention for usage errors). */
    public static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Flowmatch() {}

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
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("flowmatch: " + e.getMessage());
            return USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            commandLine.getErr().println("flowmatch: " + oneLine(e));
            return isBadInput(e) ? USAGE : 1;
        });
        return cli.execute(args);
    }

    /** Errors the user can fix by changing the command (bad values, missing files, unavailable backends). */
    static boolean isBadInput(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException;
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

package dev.flowmatch.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress on stderr: a bar redrawn in place ({@code \r}) on a terminal, one line per step anywhere else (a log
 * file must not collect the frames of a bar as one long line), nothing with {@code --quiet}.
 */
final class Progress {
    /** How progress is shown. */
    enum Mode {
        /** A bar redrawn in place: only on a terminal. */
        BAR,
        /** One plain line per step. */
        LINES,
        /** Nothing. */
        QUIET;

        /** QUIET when asked, BAR on a terminal, else LINES. */
        static Mode detect(boolean quiet) {
            if (quiet) {
                return QUIET;
            }
            java.io.Console console = System.console();
            return console != null && console.isTerminal() ? BAR : LINES;
        }
    }

    private static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final Mode mode;
    private final int total;
    private final String unit;
    private final long start = System.nanoTime();
    private boolean drawn;

    /**
     * @param err   where progress goes
     * @param mode  how it is shown
     * @param total the number of steps
     * @param unit  what one step is, singular ({@code "step"})
     */
    Progress(PrintWriter err, Mode mode, int total, String unit) {
        this.err = err;
        this.mode = mode;
        this.total = total;
        this.unit = unit;
    }

    /** Step {@code done} of {@code total} is complete (1-based); {@code label} says what is being done, or "". */
    void step(int done, String label) {
        if (mode == Mode.QUIET) {
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String rate = String.format(Locale.ROOT, "%.2f %ss/s", done / Math.max(seconds, 1e-9), unit);
        String what = label.isEmpty() ? "" : label + ": ";
        if (mode == Mode.BAR) {
            int filled = done * BAR_WIDTH / total;
            err.printf(Locale.ROOT, "\r%s[%s%s] %d/%d %s, %s   ", what, "#".repeat(filled),
                    ".".repeat(BAR_WIDTH - filled), done, total, Flowmatch.plural(total, unit), rate);
            drawn = true;
        } else {
            err.printf(Locale.ROOT, "flowmatch: %s%s %d/%d done, %s%n", what, unit, done, total, rate);
        }
        err.flush();
    }

    /** Ends the bar's line (nothing to do in the other modes). */
    void done() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }
}

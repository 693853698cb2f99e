package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Help text: each command's summary and description are single paragraphs that picocli wraps at word boundaries
 * (no hard line breaks that wrap again mid-sentence), lines fit the help width, and no option shows picocli's
 * generated placeholders such as {@code a,b,...[,a,b,......]}.
 */
class HelpTextTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "schedule", "sample", "backends", "bench", "generate"})
    void helpIsWrappedParagraphsWithoutPlaceholders(String command) {
        CliRunner r = command.isEmpty() ? CliRunner.run("--help") : CliRunner.run(command, "--help");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            assertTrue(line.length() <= Flowmatch.HELP_WIDTH, "longer than " + Flowmatch.HELP_WIDTH + ": " + line);
            // picocli's defaults: "<seed>" for an unlabelled option, "a,b,...[,a,b,......]" for a split label.
            assertFalse(line.contains("......") || line.contains("...[") || line.contains("=<"),
                    "a generated placeholder: " + line);
            // A token split over two lines (e.g. "FLUX." then "2 ...").
            if (i + 1 < lines.length) {
                assertFalse(line.matches(".*\\w\\.$") && lines[i + 1].strip().matches("^\\d.*"),
                        "a word broken at a dot: " + line + " / " + lines[i + 1]);
            }
        }
        CommandLine.Model.CommandSpec spec = new CommandLine(new Flowmatch()).getCommandSpec();
        if (!command.isEmpty()) {
            spec = spec.subcommands().get(command).getCommandSpec();
            assertEquals(1, spec.usageMessage().header().length, command + ": a one-line summary");
        }
        assertEquals(1, spec.usageMessage().description().length, command + ": one paragraph, wrapped by picocli");
    }

    @ParameterizedTest
    @ValueSource(strings = {"schedule", "sample", "backends", "bench", "generate"})
    void theCommandListShowsEachSummaryOnce(String command) {
        StringWriter out = new StringWriter();
        assertEquals(0, Flowmatch.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--help"));
        long mentions = out.toString().lines().filter(l -> l.startsWith("  " + command + " ")).count();
        assertEquals(1, mentions, out.toString());
    }
}

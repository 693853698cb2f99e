package dev.flowmatch.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command in-process and captures what it prints. */
record CliRunner(int status, String out, String err) {
    static CliRunner run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Flowmatch.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRunner(status, out.toString(), err.toString());
    }
}

package dev.flowmatch.cli;

import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flowmatch backends}: every backend found, available or not, with its device, priority and cause. */
@Command(name = "backends", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Lists every tensor backend found, and why one is unavailable.",
        description = "For each backend: its device, its priority (the highest available one is used unless one"
                + " is named), and the cause when it is unavailable.")
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%-8s %-10s %-9s %-8s %s%n", "backend", "status", "device", "priority", "cause");
        for (TensorBackend backend : Backends.all()) {
            Availability a = backend.availability();
            String cause = a.available() ? "" : Flowmatch.oneLine(a.cause() == null
                    ? new IllegalStateException("unknown") : a.cause());
            out.printf(Locale.ROOT, "%-8s %-10s %-9s %-8d %s%n", backend.name(),
                    a.available() ? "available" : "missing", a.device(), backend.priority(), cause);
        }
        out.println("java kernels: " + JavaBackend.kernels());
        TensorBackend chosen = Backends.select();
        out.println("selected: " + chosen.name() + " (override with --backend, -D" + Backends.PROPERTY + " or "
                + Backends.ENVIRONMENT + ")");
        out.flush();
        return 0;
    }
}

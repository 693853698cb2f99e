package dev.flowmatch.conformance;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-backend report printed at the end of a conformance run: which backends ran (and how many checks),
 * which were skipped and why, and the largest ulp distance seen for each.
 */
public final class Report {
    private static final Map<String, AtomicLong> RAN = new ConcurrentHashMap<>();
    private static final Map<String, String> SKIPPED = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> MAX_ULPS = new ConcurrentHashMap<>();
    private static final Map<String, String> NOTES = new ConcurrentHashMap<>();

    private Report() {}

    static void ran(String backend) {
        RAN.computeIfAbsent(backend, k -> new AtomicLong()).incrementAndGet();
    }

    static void skipped(String backend, String why) {
        SKIPPED.putIfAbsent(backend, why);
    }

    static void ulps(String backend, long ulps) {
        MAX_ULPS.computeIfAbsent(backend, k -> new AtomicLong()).accumulateAndGet(ulps, Math::max);
    }

    /** A measurement worth a line of its own in the report (e.g. memory over a long concurrent run). */
    static void note(String backend, String text) {
        NOTES.merge(backend, text, (a, b) -> a + "; " + b);
    }

    /** The report text; empty when no conformance test ran in this JVM. */
    public static String text() {
        if (RAN.isEmpty() && SKIPPED.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("flowmatch conformance report");
        Map<String, String> lines = new TreeMap<>();
        RAN.forEach((name, count) -> lines.put(name, "ran " + count.get() + " tests, max "
                + MAX_ULPS.getOrDefault(name, new AtomicLong()).get() + " ulp from the java backend"));
        SKIPPED.forEach((name, why) -> lines.putIfAbsent(name, "SKIPPED: " + why));
        lines.forEach((name, line) -> out.append(System.lineSeparator()).append("  backend ").append(name)
                .append(": ").append(line).append(NOTES.containsKey(name) ? "; " + NOTES.get(name) : ""));
        out.append(System.lineSeparator()).append("  required (-D").append(Conformance.REQUIRE).append("): ")
                .append(Conformance.required().isEmpty() ? "none" : String.join(",", new java.util.TreeSet<>(Conformance.required())));
        return out.toString();
    }
}

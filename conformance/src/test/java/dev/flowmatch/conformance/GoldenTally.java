package dev.flowmatch.conformance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts golden cases per file and section. A case passes when it ran on at least one backend and passed on
 * every backend it ran on; a section the build cannot run counts its cases as not passed.
 */
final class GoldenTally {
    static final List<String> SECTIONS = List.of("schedules", "empirical_mu", "steps", "torch_randn", "flux2_latents");

    private static final Map<String, Map<String, Section>> FILES = new LinkedHashMap<>();

    private GoldenTally() {}

    private static final class Section {
        final int total;
        final Map<Integer, Boolean> passedByCase = new LinkedHashMap<>();

        Section(int total) {
            this.total = total;
        }
    }

    static synchronized void register(String file, String section, int cases) {
        FILES.computeIfAbsent(file, f -> new LinkedHashMap<>()).put(section, new Section(cases));
    }

    static synchronized void record(String file, String section, int caseIndex, boolean passed) {
        Section s = FILES.get(file).get(section);
        s.passedByCase.merge(caseIndex, passed, Boolean::logicalAnd);
    }

    /** One line per file: {@code goldens FILE: schedules P/T, empirical_mu P/T, steps P/T, torch_randn P/T, flux2_latents P/T}. */
    static synchronized String summary() {
        List<String> lines = new ArrayList<>();
        FILES.forEach((file, sections) -> {
            List<String> parts = new ArrayList<>();
            for (String name : SECTIONS) {
                Section s = sections.get(name);
                int total = s == null ? 0 : s.total;
                long passed = s == null ? 0 : s.passedByCase.values().stream().filter(b -> b).count();
                parts.add(name + " " + passed + "/" + total);
            }
            lines.add("goldens " + file + ": " + String.join(", ", parts));
        });
        return String.join(System.lineSeparator(), lines);
    }
}

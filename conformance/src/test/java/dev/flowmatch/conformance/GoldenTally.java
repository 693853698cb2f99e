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

    /** One line per file naming each of its sections in file order: {@code goldens FILE: schedules P/T, ...}. */
    static synchronized String summary() {
        List<String> lines = new ArrayList<>();
        FILES.forEach((file, sections) -> {
            List<String> parts = new ArrayList<>();
            sections.forEach((name, s) -> {
                long passed = s.passedByCase.values().stream().filter(b -> b).count();
                parts.add(name + " " + passed + "/" + s.total);
            });
            lines.add("goldens " + file + ": " + String.join(", ", parts));
        });
        return String.join(System.lineSeparator(), lines);
    }
}

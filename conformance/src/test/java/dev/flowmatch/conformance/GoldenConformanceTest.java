package dev.flowmatch.conformance;

import static org.junit.jupiter.api.Assumptions.abort;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every golden file (the bundled ones and {@code -Dflowmatch.goldens=PATH[,PATH...]}) on every
 * backend, with one summary line per file at the end of the run naming each of the file's sections with
 * {@code P/T}. Sections are found in the file (see {@link GoldenSections}); one this build cannot replay is
 * skipped and counts as not passed.
 */
class GoldenConformanceTest {

    @TestFactory
    Stream<DynamicNode> goldenFiles() {
        List<DynamicNode> files = new ArrayList<>();
        for (Goldens.GoldenFile file : Goldens.all()) {
            List<DynamicNode> sections = new ArrayList<>();
            for (Map.Entry<String, JsonNode> field : file.root().properties()) {
                if (!GoldenSections.NOT_SECTIONS.contains(field.getKey())) {
                    sections.add(section(file, field.getKey(), field.getValue()));
                }
            }
            files.add(DynamicContainer.dynamicContainer(file.name(), sections));
        }
        return files.stream();
    }

    private static DynamicNode section(Goldens.GoldenFile file, String name, JsonNode node) {
        GoldenSection<?> handler = GoldenSections.find(name);
        List<JsonNode> cases = handler != null ? handler.cases().apply(node) : GoldenSection.elements(node);
        GoldenTally.register(file.name(), name, cases.size());
        List<DynamicNode> caseNodes = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            caseNodes.add(DynamicContainer.dynamicContainer(i + ": " + cases.get(i).path("name").asText(name + " " + i),
                    perBackend(file, name, handler, i, cases.get(i))));
        }
        return DynamicContainer.dynamicContainer(name, caseNodes);
    }

    /**
     * A test per backend for one case. The case is parsed inside its own tests, so a case this build cannot read
     * fails (and counts as not passed) alone.
     */
    private static <T> List<DynamicNode> perBackend(Goldens.GoldenFile file, String section, GoldenSection<T> handler,
                                                    int index, JsonNode node) {
        return Conformance.backends().map(backend -> (DynamicNode) DynamicTest.dynamicTest(backend.name(), () -> {
            Conformance.use(backend);
            boolean passed = false;
            try {
                if (handler == null) {
                    // Reported as not passed in the summary line; skipped, not failed, so the rest still runs.
                    abort("golden section '" + section + "' is not implemented in this build");
                }
                handler.check().check(file, handler.parse().apply(node), backend);
                passed = true;
            } finally {
                GoldenTally.record(file.name(), section, index, passed);
            }
        })).toList();
    }
}

package dev.flowmatch.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.tensor.TensorBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How the conformance suite replays one section of a golden file: which JSON nodes are its cases, how one case
 * is parsed, and how it is checked on one backend. Registered by section name in {@link GoldenSections}.
 *
 * @param name  the section's key in the golden file (e.g. {@code schedules}, {@code sampler_runs})
 * @param cases the cases of the section, given the section's JSON node (by default: the elements of an array)
 * @param parse parses one case; runs inside the case's own tests, so an unreadable case fails alone
 * @param check checks one parsed case on one backend, throwing an {@link AssertionError} when it differs
 * @param <T>   the parsed case
 */
record GoldenSection<T>(String name, Function<JsonNode, List<JsonNode>> cases, Function<JsonNode, T> parse,
                        Check<T> check) {

    /** Checks one case of a file on one backend. */
    @FunctionalInterface
    interface Check<T> {
        void check(Goldens.GoldenFile file, T goldenCase, TensorBackend backend);
    }

    /** A section whose JSON node is an array of cases. */
    static <T> GoldenSection<T> ofArray(String name, Function<JsonNode, T> parse, Check<T> check) {
        return new GoldenSection<>(name, GoldenSection::elements, parse, check);
    }

    /** A section whose JSON node is an array of cases, checked without looking at the rest of the file. */
    static <T> GoldenSection<T> ofArray(String name, Function<JsonNode, T> parse,
                                        java.util.function.BiConsumer<T, TensorBackend> check) {
        return ofArray(name, parse, (file, c, backend) -> check.accept(c, backend));
    }

    /** The elements of a JSON array (none for anything else). */
    static List<JsonNode> elements(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(out::add);
        }
        return out;
    }
}

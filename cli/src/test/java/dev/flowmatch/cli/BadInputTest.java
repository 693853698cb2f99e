package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bad input of issue 17, and its class: one line naming the option, its value and the accepted range, exit
 * status 2, no stack trace, and never a schedule with NaN in it.
 */
class BadInputTest {
    @TempDir
    static Path dir;

    static Stream<Arguments> badInputs() throws Exception {
        Path euler = Files.writeString(dir.resolve("euler.json"), "{\"_class_name\": \"EulerDiscreteScheduler\"}");
        Path trailing = Files.writeString(dir.resolve("trailing.json"), "{\"shift\": 3.0} {\"shift\": 1.0}");
        Path text = Files.writeString(dir.resolve("text.json"), "{\"shift\": 3.0} and more");
        Path linear = Files.writeString(dir.resolve("linear.json"),
                "{\"use_dynamic_shifting\": true, \"time_shift_type\": \"linear\"}");
        Path exponential = Files.writeString(dir.resolve("exp.json"), "{\"use_exponential_sigmas\": true}");
        return Stream.of(
                // NaN sigmas before: huge images, mu out of e^mu's float32 range, step counts that push the empirical
                // mu there, the linear shift at mu 0
                Arguments.of("--width: 100000 must lie in [16, 16384]",
                        new String[] {"schedule", "--width", "100000", "--height", "100000"}),
                Arguments.of("--width x --height: 16384x16384 is 268435456 pixels, more than 67108864",
                        new String[] {"schedule", "--width", "16384", "--height", "16384"}),
                Arguments.of("--mu: 1.0E10 must lie in [-87, 88]", new String[] {"schedule", "--mu", "1e10"}),
                Arguments.of("--mu: -1.0E308 must lie in [-87, 88]", new String[] {"schedule", "--mu", "-1e308"}),
                Arguments.of("--mu: NaN must lie in [-87, 88]", new String[] {"schedule", "--mu", "NaN"}),
                Arguments.of("--mu: 89.0 must lie in [-87, 88]",
                        new String[] {"schedule", "--mu", "89", "--convention", "comfyui"}),
                Arguments.of("--steps: 100000 must lie in [1, 10000]", new String[] {"schedule", "--steps", "100000"}),
                Arguments.of("--steps: 100000 must lie in [1, 10000]",
                        new String[] {"schedule", "--steps", "100000", "--convention", "ollama"}),
                Arguments.of("--mu: 0.0 must lie in [1.1754944E-38, 88]",
                        new String[] {"schedule", "--config", linear.toString(), "--mu", "0"}),
                Arguments.of("--mu: -1.0 must lie in [1.1754944E-38, 88]",
                        new String[] {"schedule", "--config", linear.toString(), "--mu", "-1",
                                "--convention", "ollama"}),
                // OOM and int overflow before
                Arguments.of("--steps: 1000000000 must lie in [1, 10000]",
                        new String[] {"schedule", "--steps", "1000000000"}),
                Arguments.of("--tokens: 100000000 must lie in [1, 262144]",
                        new String[] {"bench", "--tokens", "100000000"}),
                Arguments.of("--width: 2147483647 must lie in [16, 16384]",
                        new String[] {"schedule", "--width", "2147483647"}),
                Arguments.of("--height: 2147483647 must lie in [16, 16384]",
                        new String[] {"schedule", "--height", "2147483647"}),
                Arguments.of("--width: 2147483647 must lie in [1, 16384]",
                        new String[] {"schedule", "--width", "2147483647", "--convention", "comfyui"}),
                Arguments.of("--millis: 2.147483647E9 must lie in [10, 60000]",
                        new String[] {"bench", "--millis", "2147483647"}),
                // an internal name before
                Arguments.of("--steps: 100000 must lie in [1, 10000]",
                        new String[] {"sample", "--steps", "100000", "--width", "16", "--height", "16"}),
                // accepted silently before
                Arguments.of("--sigmas: element 0 is 2.0; each must lie in [0, 1]",
                        new String[] {"schedule", "--sigmas", "2,1.5,1"}),
                Arguments.of("--timesteps: element 0 is 2000.0; each must lie in [0, 1000]",
                        new String[] {"schedule", "--timesteps", "2000,1000"}),
                Arguments.of("--sigmas: element 0 is 0.0; the first must be above 0",
                        new String[] {"schedule", "--sigmas", "0,0,0"}),
                Arguments.of("--sigmas: element 2 is 0.9, above element 1 (0.5); they must not increase",
                        new String[] {"schedule", "--sigmas", "1,0.5,0.9"}),
                Arguments.of("--sigmas: element 1 is -0.5; each must lie in [0, 1]",
                        new String[] {"schedule", "--sigmas", "1,-0.5"}),
                Arguments.of("--sigmas: 10001 values; at most 10000",
                        new String[] {"schedule", "--sigmas", "0.5,".repeat(10_000) + "0.5"}),
                Arguments.of("use_exponential_sigmas: true needs the last sigma above 0",
                        new String[] {"schedule", "--config", exponential.toString(), "--sigmas", "1,0.5,0"}),
                Arguments.of("_class_name: 'EulerDiscreteScheduler' is not a scheduler flowmatch has",
                        new String[] {"schedule", "--config", euler.toString()}),
                Arguments.of("malformed scheduler config JSON at line 1, column 16: text after the JSON object",
                        new String[] {"schedule", "--config", trailing.toString()}),
                Arguments.of("malformed scheduler config JSON at line 1, column",
                        new String[] {"schedule", "--config", text.toString()}),
                Arguments.of("scheduler config /x.json does not exist",
                        new String[] {"schedule", "--config", "/x.json"}),
                Arguments.of("cannot be read: it is a directory",
                        new String[] {"schedule", "--config", dir.toString()}),
                // an argument file that is a directory (fuzzing found it: picocli's stack trace, status 1)
                Arguments.of("argument file @.: . is a directory",
                        new String[] {"bench", "--millis", "@.", "--backend", "java"}),
                // a value with a vertical tab (fuzzing found it: a line break for \R, the message was two lines)
                Arguments.of("but was '\\u000B'", new String[] {"schedule", "--format", "\u000B"}),
                // picocli's own checks
                Arguments.of("Invalid value for option '--steps': 'many' is not an int",
                        new String[] {"schedule", "--steps", "many"}),
                Arguments.of("Unknown options: '--stpes', '4'", new String[] {"schedule", "--stpes", "4"}));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void oneLineNamingTheOptionAndStatusTwo(String expected, String[] args) {
        CliRunner r = CliRunner.run(args);
        assertEquals(2, r.status(), () -> r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("flowmatch: "), err);
        assertTrue(err.contains(expected), () -> "expected '" + expected + "' in: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), err);
        assertFalse(r.out().contains("NaN"), r.out());
    }

    @Test
    void anUnknownBackendListsTheBackendsOnShortLines() {
        for (String command : new String[] {"sample", "bench"}) {
            CliRunner r = CliRunner.run(command, "--backend", "tpu");
            assertEquals(2, r.status(), r.err());
            String[] lines = r.err().strip().split("\\R");
            assertEquals("flowmatch: backend 'tpu' was not found; the backends here are:", lines[0]);
            assertTrue(lines.length >= 2, r.err());
            for (int i = 1; i < lines.length; i++) {
                assertTrue(lines[i].startsWith("  ") && lines[i].length() <= 80, lines[i]);
            }
            assertTrue(r.err().contains("  java   available on cpu"), r.err());
        }
    }

    @Test
    void edgesOfTheLimitsStillCompute() {
        // the largest image (64 megapixels) and the most steps give finite schedules
        CliRunner big = CliRunner.run("schedule", "--width", "16384", "--height", "4096", "--format", "csv");
        assertEquals(0, big.status(), big.err());
        CliRunner many = CliRunner.run("schedule", "--steps", "10000", "--width", "16", "--height", "16",
                "--format", "csv");
        assertEquals(0, many.status(), many.err());
        assertFalse(many.out().contains("NaN") || many.out().contains("Infinity"), "NaN in the schedule");
        CliRunner muEdges = CliRunner.run("schedule", "--mu", "-87", "--steps", "10000", "--format", "csv");
        assertEquals(0, muEdges.status(), muEdges.err());
        assertFalse(muEdges.out().contains("NaN") || muEdges.out().contains("Infinity"), "NaN in the schedule");
    }
}

package dev.flowmatch.cli;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line's argument parsing and validation on any arguments: the status is 0 (a valid run) or 2 (misuse),
 * never 1; a misuse prints one line starting {@code flowmatch: } (a list of backends on indented lines after it), no
 * stack trace; a schedule printed never holds NaN or infinity. Runs stay small ({@code sample} and {@code bench} get
 * small sizes unless the value is one that must be refused) so that a long run explores the parser, not the loop.
 */
class CliFuzzTest {
    private static final Path OUT = Path.of(System.getProperty("java.io.tmpdir"), "flowmatch-cli-fuzz.png");
    private static final String[] COMMANDS = {"schedule", "sample", "bench", "schedule", "schedule", "help", "nope"};
    private static final String[] SCHEDULE_OPTIONS = {"--steps", "--width", "--height", "--mu", "--sigmas",
        "--timesteps", "--default-spacing", "--convention", "--torch-kernel", "--torch-version", "--diffusers-release",
        "--format", "--config", "--help", "--version", "--bogus"};
    private static final String[] SAMPLE_OPTIONS = {"--steps", "--width", "--height", "--seed", "--convention",
        "--noise", "--backend", "--dtype", "--precision", "--bogus"};
    private static final String[] BENCH_OPTIONS = {"--backend", "--tokens", "--millis", "--bogus"};
    private static final String[] WORDS = {"diffusers", "ollama", "ollama-arm64", "comfyui", "avx2", "default", "1.13",
        "2.7", "0.39", "0.40", "json", "csv", "table", "java", "djl", "mlx", "tpu", "bf16", "f32", "fp32", "torch",
        "NaN", "Infinity", "-Infinity", "1e10", "-1e308", "0", "-1", "2147483647", "99999999999", "", " ", "1,0.5,0",
        "2,1.5,1", "0,0,0", "1,nan", "1,,0.5", "/x.json", "/", "--steps"};

    @FuzzTest(maxDuration = "5m")
    void arguments(FuzzedDataProvider data) {
        String command = data.pickValue(COMMANDS);
        List<String> args = new ArrayList<>(List.of(command));
        String[] options = switch (command) {
            case "sample" -> SAMPLE_OPTIONS;
            case "bench" -> BENCH_OPTIONS;
            default -> SCHEDULE_OPTIONS;
        };
        int n = data.consumeInt(0, 5);
        for (int i = 0; i < n; i++) {
            args.add(data.pickValue(options));
            args.add(switch (data.consumeInt(0, 4)) {
                case 0 -> data.pickValue(WORDS);
                case 1 -> Integer.toString(data.consumeInt(-2, 40));
                case 2 -> Double.toString(data.consumeDouble());
                case 3 -> Integer.toString(data.consumeInt());
                default -> data.consumeString(24);
            });
        }
        if (command.equals("sample")) {
            // small and quick unless refused: the loop itself is not what is fuzzed here
            args.addAll(List.of("--out", OUT.toString()));
            if (!args.contains("--width") && !args.contains("--height")) {
                args.addAll(List.of("--width", "32", "--height", "32"));
            }
            if (!args.contains("--steps")) {
                args.addAll(List.of("--steps", "2"));
            }
            if (!args.contains("--backend")) {
                args.addAll(List.of("--backend", "java"));
            }
            if (heavySample(args)) {
                return;
            }
        }
        if (command.equals("bench") && !args.contains("--millis")) {
            args.addAll(List.of("--millis", "10", "--tokens", "4", "--backend", "java"));
        }
        if (command.equals("bench") && heavyBench(args)) {
            return;
        }
        CliRunner r = CliRunner.run(args.toArray(String[]::new));
        String context = String.join(" ", args);
        if (r.status() != 0 && r.status() != 2) {
            throw new AssertionError("status " + r.status() + " for: " + context + "\n" + r.err());
        }
        if (r.err().contains("\tat ") || r.err().contains("Exception")) {
            throw new AssertionError("a stack trace or an exception's name for: " + context + "\n" + r.err());
        }
        if (r.status() == 2) {
            String[] lines = r.err().strip().split("\\R");
            boolean listed = lines.length > 1 && java.util.Arrays.stream(lines).skip(1).allMatch(l -> l.startsWith("  "));
            if (!lines[0].startsWith("flowmatch: ") && !lines[0].startsWith("Usage:")) {
                throw new AssertionError("a misuse message not starting 'flowmatch: ' for: " + context + "\n" + r.err());
            }
            if (lines.length > 1 && !listed && !lines[0].startsWith("Usage:")) {
                throw new AssertionError("a misuse message on several lines for: " + context + "\n" + r.err());
            }
        }
        if (command.equals("schedule") && (r.out().contains("NaN") || r.out().contains("Infinity"))) {
            throw new AssertionError("a schedule with NaN or infinity for: " + context + "\n" + r.out());
        }
    }

    /** A valid sample larger than a few thousand step-tokens takes seconds: skip it (validation was checked). */
    private static boolean heavySample(List<String> args) {
        long w = intOption(args, "--width", 1024);
        long h = intOption(args, "--height", 1024);
        long steps = intOption(args, "--steps", 4);
        return w > 0 && h > 0 && steps > 0 && (w / 16) * (h / 16) * steps > 4096;
    }

    /** bench measures for --millis per row: keep it to the minimum. */
    private static boolean heavyBench(List<String> args) {
        long millis = intOption(args, "--millis", 300);
        return millis > 20 && millis <= 60_000;
    }

    /** The last value given to an option as an int (picocli keeps the last), or the default; MIN_VALUE if not one. */
    private static long intOption(List<String> args, String option, long defaultValue) {
        long value = defaultValue;
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals(option)) {
                try {
                    value = Integer.parseInt(args.get(i + 1).trim());
                } catch (NumberFormatException e) {
                    value = Long.MIN_VALUE;
                }
            }
        }
        return value;
    }
}

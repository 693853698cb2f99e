package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the engine cannot load or the device cannot be used, the backend is unavailable with the engine's own
 * error as the cause, and selection falls back to {@code java}. Each case runs in a fresh JVM: the engine loads
 * once per JVM.
 */
class UnavailableEngineTest {

    @Test
    void withoutNativesTheBackendIsUnavailableWithTheEnginesCause(@TempDir Path cache) throws Exception {
        List<String> lines = probe(false, "-DENGINE_CACHE_DIR=" + cache, "-DDJL_CACHE_DIR=" + cache);
        String output = String.join("\n", lines);
        assertTrue(lines.contains("available=false"), output);
        assertTrue(lines.contains("device=none"), output);
        assertTrue(lines.contains("selected=java"), output);
        assertTrue(lines.contains("offline=true"), "the backend set ai.djl.offline itself: " + output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(
                "cause=dev.flowmatch.tensor.BackendException: the PyTorch engine did not load (")), output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("caused by: ai.djl.engine.EngineException: ")),
                "the engine's own exception is the cause: " + output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("named=backend 'djl' is unavailable: ")), output);
        try (var files = Files.walk(cache)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().contains(".so")), "nothing was downloaded");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        System.out.println("djl without natives: " + lines.stream().filter(l -> l.startsWith("cause=")).findFirst());
    }

    @Test
    void aDeviceTheEngineCannotUseMakesTheBackendUnavailable() throws Exception {
        List<String> lines = probe(true, "-D" + DjlRuntime.DEVICE_PROPERTY + "=gpu:63");
        String output = String.join("\n", lines);
        assertTrue(lines.contains("available=false"), output);
        assertTrue(lines.contains("selected=java"), output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("cause=dev.flowmatch.tensor.BackendException: "
                + "the PyTorch engine loaded but device gpu:63 is not usable (")), output);
    }

    /** Runs {@link AvailabilityProbe} in a new JVM with this test's class path (less the CPU natives if asked). */
    private static List<String> probe(boolean withNatives, String... jvmArguments) throws Exception {
        String classPath = System.getProperty("java.class.path");
        List<String> entries = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(entry -> withNatives || !entry.contains("pytorch-native-cpu")).toList();
        assumeTrue(entries.stream().anyMatch(e -> e.contains("pytorch-engine")),
                "the test class path is not visible here: " + classPath);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmArguments));
        command.addAll(List.of("-cp", String.join(File.pathSeparator, entries), AvailabilityProbe.class.getName()));
        Path log = Files.createTempFile("djl-probe", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("PYTORCH_LIBRARY_PATH");
        builder.environment().remove("DJL_OFFLINE");
        Process process = builder.start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        assertTrue(finished, "the probe did not finish: " + output);
        assertEquals(0, process.exitValue(), output);
        return output.lines().toList();
    }
}

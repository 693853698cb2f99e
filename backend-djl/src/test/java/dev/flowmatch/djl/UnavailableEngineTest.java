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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the native PyTorch library (no {@code pytorch-native-cpu} jar, an empty DJL cache, offline), the
 * backend is unavailable with the engine's own error as the cause, and selection falls back to {@code java}.
 * Runs in a fresh JVM: the engine loads once per JVM.
 */
class UnavailableEngineTest {

    @Test
    void withoutNativesTheBackendIsUnavailableWithTheEnginesCause(@TempDir Path cache) throws Exception {
        String classPath = System.getProperty("java.class.path");
        List<String> entries = Arrays.stream(classPath.split(File.pathSeparator))
                .filter(entry -> !entry.contains("pytorch-native-cpu")).toList();
        assumeTrue(entries.stream().anyMatch(e -> e.contains("pytorch-engine")),
                "the test class path is not visible here: " + classPath);

        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-DENGINE_CACHE_DIR=" + cache, "-DDJL_CACHE_DIR=" + cache,
                "-cp", String.join(File.pathSeparator, entries),
                AvailabilityProbe.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("PYTORCH_LIBRARY_PATH");
        builder.environment().remove("DJL_OFFLINE");
        Process process = builder.start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            process.destroyForcibly();
        }
        assertTrue(finished, "the probe did not finish: " + output);
        assertEquals(0, process.exitValue(), output);
        List<String> lines = output.lines().collect(Collectors.toList());
        assertTrue(lines.contains("available=false"), output);
        assertTrue(lines.contains("device=none"), output);
        assertTrue(lines.contains("selected=java"), output);
        assertTrue(lines.contains("offline=true"), "the backend set ai.djl.offline itself: " + output);
        String cause = lines.stream().filter(l -> l.startsWith("cause=")).findFirst().orElseThrow();
        assertTrue(cause.startsWith("cause=dev.flowmatch.tensor.BackendException: the PyTorch engine did not load ("),
                output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("caused by: ai.djl.engine.EngineException: ")),
                "the engine's own exception is the cause: " + output);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("named=backend 'djl' is unavailable: ")), output);
        System.out.println("djl without natives: " + cause);
        try (var files = Files.list(cache)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".so")), "nothing was downloaded");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}

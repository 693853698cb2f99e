package dev.flowmatch.mlx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.flowmatch.tensor.Availability;
import dev.flowmatch.tensor.Backends;
import dev.flowmatch.tensor.TensorBackend;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Library discovery, version checks and registration: none of this needs libmlxc. */
class MlxDiscoveryTest {

    @Test
    void registeredWithServiceLoaderAndAvailabilityNeverThrows() {
        TensorBackend mlx = Backends.find("mlx").orElseThrow();
        assertEquals("mlx", mlx.name());
        Availability availability = mlx.availability();
        assertNotNull(availability);
        if (availability.available()) {
            assertTrue(availability.device().equals("cpu") || availability.device().startsWith("gpu"));
            assertEquals(availability.device().equals("cpu") ? MlxBackend.CPU_PRIORITY : MlxBackend.GPU_PRIORITY,
                    mlx.priority());
        } else {
            assertNotNull(availability.cause());
            assertFalse(availability.describe().isBlank());
            assertTrue(mlx.priority() < 50);
        }
        System.out.println("[mlx] " + availability.describe());
    }

    @Test
    void priorityIsBelowJavaOnCpuAndAboveOnGpu() {
        assertTrue(MlxBackend.CPU_PRIORITY < 50);
        assertTrue(MlxBackend.GPU_PRIORITY >= 100);
    }

    @Test
    void searchesTheUsualPlacesThenTheLibraryPathAndListsThemAll(@TempDir Path empty) {
        String libraryPath = empty + File.pathSeparator + empty.resolve("other");
        MlxLibrary.Search search = MlxLibrary.find(null, Map.of(), libraryPath);
        String name = MlxLibrary.fileName();
        if (search.found().isEmpty()) {
            assertEquals(java.util.List.of(
                    "-Dflowmatch.mlx.library (not set)", "FLOWMATCH_MLX_LIBRARY (not set)",
                    Path.of("/opt/homebrew/lib", name).toString(), Path.of("/usr/local/lib", name).toString(),
                    empty.resolve(name).toString(), empty.resolve("other").resolve(name).toString()),
                    search.tried());
            String cause = search.describe();
            assertTrue(cause.contains("brew install mlx-c"), cause);
            assertTrue(cause.contains(empty.resolve(name).toString()), cause);
        }
    }

    @Test
    void findsTheLibraryInALibraryPathFolder(@TempDir Path folder) throws IOException {
        Path library = Files.createFile(folder.resolve(MlxLibrary.fileName()));
        MlxLibrary.Search search = MlxLibrary.find(null, Map.of(), folder.toString());
        // /opt/homebrew/lib or /usr/local/lib come first where they hold one.
        assertTrue(search.found().isPresent());
        if (search.tried().size() == 5) {
            assertEquals(library, search.found().get());
        }
    }

    @Test
    void anExplicitPathWinsAndIsNotSearchedPast(@TempDir Path folder) throws IOException {
        Path library = Files.createFile(folder.resolve("custom-mlxc.so"));
        assertEquals(library, MlxLibrary.find(library.toString(), Map.of(), "").found().orElseThrow());
        // a folder is searched for the usual file name
        Path inFolder = Files.createFile(folder.resolve(MlxLibrary.fileName()));
        assertEquals(inFolder, MlxLibrary.find(folder.toString(), Map.of(), "").found().orElseThrow());
        // the environment variable is used when the property is not set
        assertEquals(library, MlxLibrary.find("", Map.of(MlxBackend.LIBRARY_ENVIRONMENT, library.toString()), "")
                .found().orElseThrow());

        MlxLibrary.Search missing = MlxLibrary.find(folder.resolve("nope.so").toString(), Map.of(),
                folder.toString());
        assertTrue(missing.found().isEmpty(), "an explicit path that does not exist must not fall through");
        assertEquals(1, missing.tried().size());
        assertTrue(missing.tried().getFirst().contains("no such file"), missing.tried().toString());

        MlxLibrary.Search missingEnv = MlxLibrary.find(null,
                Map.of(MlxBackend.LIBRARY_ENVIRONMENT, folder.resolve("nope.so").toString()), folder.toString());
        assertTrue(missingEnv.found().isEmpty());
        assertTrue(missingEnv.describe().contains("FLOWMATCH_MLX_LIBRARY = "), missingEnv.describe());
    }

    @Test
    void versionsParseAndOnlyCheckedOnesAreSupported() {
        assertEquals(new MlxVersion(0, 31, 2, "0.31.2"), MlxVersion.parse("0.31.2"));
        assertEquals(0, MlxVersion.parse("0.30.5.dev20260201+abc").compareTo(MlxVersion.OLDEST));
        assertTrue(MlxVersion.parse("0.31.2").supported());
        assertTrue(MlxVersion.parse("0.30.5").supported());
        assertTrue(MlxVersion.parse("0.30.6").supported());
        assertTrue(MlxVersion.parse("0.31.9").supported());
        assertFalse(MlxVersion.parse("0.30.4").supported());
        assertFalse(MlxVersion.parse("0.29.1").supported());
        assertFalse(MlxVersion.parse("0.32.0").supported());
        assertFalse(MlxVersion.parse("1.0.0").supported());
        assertThrows(IllegalArgumentException.class, () -> MlxVersion.parse("unknown"));
    }
}

package dev.flowmatch.mlx;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where libmlxc is. In order:
 * <ol>
 *   <li>the system property {@value MlxBackend#LIBRARY_PROPERTY} (a file, or a folder holding the library);</li>
 *   <li>the environment variable {@value MlxBackend#LIBRARY_ENVIRONMENT}, likewise;</li>
 *   <li>{@code /opt/homebrew/lib} (Homebrew on Apple silicon), {@code /usr/local/lib} (Homebrew on Intel, and
 *       {@code make install} from source), then every entry of {@code java.library.path}.</li>
 * </ol>
 * A path given explicitly (1 or 2) that does not exist is an error of its own: the search does not go on past
 * it, so a typo is never hidden by another library found elsewhere.
 */
final class MlxLibrary {
    static final List<String> USUAL_FOLDERS = List.of("/opt/homebrew/lib", "/usr/local/lib");

    private MlxLibrary() {}

    /** The library's file name here: {@code libmlxc.dylib} on macOS, {@code libmlxc.so} on Linux. */
    static String fileName() {
        return System.mapLibraryName("mlxc");
    }

    /** The outcome of a search: the library found, or none, and every place looked at in order. */
    record Search(Optional<Path> found, List<String> tried) {
        /** Why nothing was found, for {@link dev.flowmatch.tensor.Availability#cause()}. */
        String describe() {
            return "libmlxc was not found; tried, in order: " + String.join(", ", tried) + ". Install it with "
                    + "'brew install mlx-c' (macOS), or build mlx-c from source and set -D"
                    + MlxBackend.LIBRARY_PROPERTY + "=/path/to/" + fileName() + " (or "
                    + MlxBackend.LIBRARY_ENVIRONMENT + ")";
        }
    }

    static Search find() {
        return find(System.getProperty(MlxBackend.LIBRARY_PROPERTY), System.getenv(),
                System.getProperty("java.library.path", ""));
    }

    /** The search, with its inputs as arguments so tests can drive it. */
    static Search find(String property, Map<String, String> environment, String libraryPath) {
        List<String> tried = new ArrayList<>();
        String env = environment.get(MlxBackend.LIBRARY_ENVIRONMENT);
        if (property != null && !property.isBlank()) {
            return explicit("-D" + MlxBackend.LIBRARY_PROPERTY, property.trim(), tried);
        }
        tried.add("-D" + MlxBackend.LIBRARY_PROPERTY + " (not set)");
        if (env != null && !env.isBlank()) {
            return explicit(MlxBackend.LIBRARY_ENVIRONMENT, env.trim(), tried);
        }
        tried.add(MlxBackend.LIBRARY_ENVIRONMENT + " (not set)");

        Set<String> folders = new LinkedHashSet<>(USUAL_FOLDERS);
        for (String entry : libraryPath.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                folders.add(entry.trim());
            }
        }
        for (String folder : folders) {
            Path candidate = Path.of(folder).resolve(fileName());
            tried.add(candidate.toString());
            if (Files.isRegularFile(candidate)) {
                return new Search(Optional.of(candidate), List.copyOf(tried));
            }
        }
        return new Search(Optional.empty(), List.copyOf(tried));
    }

    private static Search explicit(String source, String value, List<String> tried) {
        Path path = Path.of(value);
        if (Files.isDirectory(path)) {
            path = path.resolve(fileName());
        }
        if (Files.isRegularFile(path)) {
            tried.add(source + " = " + path);
            return new Search(Optional.of(path), List.copyOf(tried));
        }
        tried.add(source + " = " + path + " (no such file)");
        return new Search(Optional.empty(), List.copyOf(tried));
    }
}

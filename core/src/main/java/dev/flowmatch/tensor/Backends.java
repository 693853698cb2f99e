package dev.flowmatch.tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Finds {@link TensorBackend}s with {@link ServiceLoader} and picks one.
 *
 * <p>Selection: a backend named by the system property {@value #PROPERTY} or else the environment variable
 * {@value #ENVIRONMENT}; with neither, the available backend of highest {@link TensorBackend#priority()}. The
 * pure-Java backend in core is always available, so automatic selection always succeeds. Asking for a backend
 * by name that is missing or unavailable raises {@link IllegalStateException} listing every backend and why.
 */
public final class Backends {
    /** System property naming the backend to use: {@value}. */
    public static final String PROPERTY = "flowmatch.backend";
    /** Environment variable naming the backend to use when the property is unset: {@value}. */
    public static final String ENVIRONMENT = "FLOWMATCH_BACKEND";

    private Backends() {}

    /**
     * Every backend on the class path or module path, available or not, highest priority first. Ordering asks
     * each backend for its priority, which loads its native runtime: to use one backend without waking the
     * others, ask for it by name ({@link #named}). Each backend is a single instance for the life of the JVM, so
     * tensors can be checked against it.
     *
     * @return every backend found
     */
    public static List<TensorBackend> all() {
        List<TensorBackend> sorted = new ArrayList<>(Loaded.ALL);
        sorted.sort(Comparator.comparingInt(TensorBackend::priority).reversed().thenComparing(TensorBackend::name));
        return List.copyOf(sorted);
    }

    /** The backends in {@link ServiceLoader} order; instantiating one must not load its native runtime. */
    private static final class Loaded {
        static final List<TensorBackend> ALL = load();

        private static List<TensorBackend> load() {
            List<TensorBackend> found = new ArrayList<>();
            for (TensorBackend backend : ServiceLoader.load(TensorBackend.class, Backends.class.getClassLoader())) {
                found.add(backend);
            }
            return List.copyOf(found);
        }
    }

    /**
     * The available backends, highest priority first.
     *
     * @return the available backends
     */
    public static List<TensorBackend> available() {
        return all().stream().filter(TensorBackend::isAvailable).toList();
    }

    /**
     * The backend with this name, available or not; no other backend is probed.
     *
     * @param name the backend's name, e.g. {@code djl}
     * @return the backend, or empty if none has this name
     */
    public static Optional<TensorBackend> find(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Loaded.ALL.stream().filter(b -> b.name().equals(wanted)).findFirst();
    }

    /**
     * The named backend; {@link IllegalStateException} if it is missing or unavailable. The message is a first line
     * saying what is wrong, then one short line per backend found ({@link #summary()}).
     *
     * @param name the backend's name, e.g. {@code djl}
     * @return the backend, available
     * @throws IllegalStateException if no backend has this name or it is unavailable
     */
    public static TensorBackend named(String name) {
        java.util.Objects.requireNonNull(name, "name");
        TensorBackend backend = find(name).orElseThrow(() -> new IllegalStateException(
                "backend '" + name + "' was not found; the backends here are:" + System.lineSeparator() + summary()));
        Availability availability = backend.availability();
        if (!availability.available()) {
            throw new IllegalStateException("backend '" + backend.name() + "' is " + availability.describe()
                    + "; the backends here are:" + System.lineSeparator() + summary(), availability.cause());
        }
        return backend;
    }

    /**
     * The backend named by {@value #PROPERTY} / {@value #ENVIRONMENT}, else the best available one.
     *
     * @return the backend to use
     * @throws IllegalStateException if the named backend is missing or unavailable
     */
    public static TensorBackend select() {
        String requested = System.getProperty(PROPERTY);
        if (requested == null || requested.isBlank()) {
            requested = System.getenv(ENVIRONMENT);
        }
        if (requested != null && !requested.isBlank()) {
            return named(requested);
        }
        return available().stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("no backend is available:" + System.lineSeparator()
                        + summary()));
    }

    /**
     * One short indented line per backend, highest priority first: its name and {@link Availability#summary()}
     * (the whole cause of an unavailable one is in {@link #report()}).
     *
     * @return the summary, one line per backend
     */
    public static String summary() {
        StringBuilder text = new StringBuilder();
        for (TensorBackend backend : all()) {
            if (!text.isEmpty()) {
                text.append(System.lineSeparator());
            }
            text.append(String.format(Locale.ROOT, "  %-6s %s", backend.name(), backend.availability().summary()));
        }
        return text.toString();
    }

    /**
     * One line per backend: name, priority, availability and cause.
     *
     * @return the report, one line per backend
     */
    public static String report() {
        StringBuilder text = new StringBuilder("Backends found:");
        for (TensorBackend backend : all()) {
            text.append(System.lineSeparator()).append("  ").append(backend.name())
                    .append(" (priority ").append(backend.priority()).append("): ")
                    .append(backend.availability().describe());
        }
        return text.toString();
    }
}

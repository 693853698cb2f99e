package dev.flowmatch.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a model's files are: the bundled {@code digits} model (class-path resources of this module) or a
 * directory holding {@code model.json} and the files it names.
 */
public final class ModelFiles {
    /** The name of the model bundled with this module. */
    public static final String DIGITS = "digits";

    private static final String RESOURCES = "/dev/flowmatch/examples/";

    private final String description;
    private final Path directory;   // null for a bundled model
    private final String resourceDir; // null for a directory
    private final ModelInfo info;

    private ModelFiles(String description, Path directory, String resourceDir) {
        this.description = description;
        this.directory = directory;
        this.resourceDir = resourceDir;
        try (InputStream json = open("model.json")) {
            this.info = ModelInfo.read(json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model.json of " + description + ": " + e.getMessage(), e);
        }
    }

    /**
     * A model bundled with this module.
     *
     * @param name the model's name (today only {@value #DIGITS})
     * @return its files
     * @throws IllegalArgumentException naming the model when it is not bundled
     */
    public static ModelFiles bundled(String name) {
        Objects.requireNonNull(name, "name");
        if (!DIGITS.equals(name)) {
            throw new IllegalArgumentException("model: '" + name + "' is not bundled (bundled: " + DIGITS
                    + "; or give a directory holding model.json)");
        }
        return new ModelFiles("bundled model '" + name + "'", null, RESOURCES + name + "/");
    }

    /**
     * A model directory: {@code model.json} and the TorchScript and ONNX files it names.
     *
     * @param directory the directory
     * @return its files
     * @throws IllegalArgumentException naming the directory when it has no {@code model.json}
     */
    public static ModelFiles directory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        if (!Files.isRegularFile(directory.resolve("model.json"))) {
            throw new IllegalArgumentException("model: " + directory + " has no model.json");
        }
        return new ModelFiles("model directory " + directory, directory, null);
    }

    /**
     * A bundled model's name, or a directory with a {@code model.json}.
     *
     * @param nameOrDirectory a name or a directory path
     * @return the model's files
     */
    public static ModelFiles named(String nameOrDirectory) {
        Objects.requireNonNull(nameOrDirectory, "model");
        Path path = Path.of(nameOrDirectory);
        if (Files.isDirectory(path)) {
            return directory(path);
        }
        return bundled(nameOrDirectory);
    }

    /**
     * The model's interface.
     *
     * @return what its {@code model.json} says
     */
    public ModelInfo info() {
        return info;
    }

    /**
     * Opens one of the model's files.
     *
     * @param file the file name, as {@code model.json} gives it
     * @return a stream the caller closes
     * @throws IOException if the file is missing or unreadable
     */
    public InputStream open(String file) throws IOException {
        if (directory != null) {
            return Files.newInputStream(directory.resolve(file));
        }
        InputStream in = ModelFiles.class.getResourceAsStream(resourceDir + file);
        if (in == null) {
            throw new IOException(description + " has no file " + file);
        }
        return in;
    }

    /**
     * Reads one of the model's files.
     *
     * @param file the file name, as {@code model.json} gives it
     * @return all its bytes
     * @throws IOException if the file is missing or unreadable
     */
    public byte[] read(String file) throws IOException {
        try (InputStream in = open(file)) {
            return in.readAllBytes();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}

package dev.flowmatch.cli;

import dev.flowmatch.Limits;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * {@code --width} / {@code --height}, shared by the commands that take an image size. As diffusers' FLUX.2
 * pipelines do, sizes that are not multiples of 16 are rounded down, with a warning.
 */
final class ImageSizeOptions {
    @Option(names = "--width", defaultValue = "1024", paramLabel = "PX", description = "Image width (default ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "1024", paramLabel = "PX", description = "Image height (default ${DEFAULT-VALUE}).")
    int height;

    /**
     * The width rounded down to a multiple of 16 (a warning on {@code err} when it changed), after checking the size
     * against {@link Limits}.
     */
    int width(PrintWriter err) {
        check();
        return rounded("--width", width, err);
    }

    /** The height rounded down to a multiple of 16 (a warning on {@code err} when it changed); see {@link #width}. */
    int height(PrintWriter err) {
        check();
        return rounded("--height", height, err);
    }

    /** Each side in [16, Limits.MAX_IMAGE_SIDE], at most Limits.MAX_IMAGE_PIXELS in all. */
    void check() {
        Limits.requireImageSize("--width", width, "--height", height);
    }

    private static int rounded(String option, int value, PrintWriter err) {
        int rounded = value / 16 * 16;
        if (rounded != value) {
            err.printf("flowmatch: warning: %s %d is not a multiple of 16; rounded down to %d%n", option, value, rounded);
        }
        return rounded;
    }
}

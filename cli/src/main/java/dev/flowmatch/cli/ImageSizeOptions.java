package dev.flowmatch.cli;

import dev.flowmatch.schedule.ImageSize;
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
     * The image size, each side rounded down to a multiple of 16 (a warning on {@code err} for each side that
     * changed).
     */
    ImageSize size(PrintWriter err) {
        int h = rounded("--height", height, err);
        int w = rounded("--width", width, err);
        return ImageSize.of(h, w);
    }

    /** The size as given (for engines that round it their own way); each side must be positive. */
    ImageSize requested() {
        return ImageSize.of(positive("--height", height), positive("--width", width));
    }

    private static int positive(String option, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(option + ": " + value + " must be > 0");
        }
        return value;
    }

    private static int rounded(String option, int value, PrintWriter err) {
        int rounded = positive(option, value) / 16 * 16;
        if (rounded == 0) {
            throw new IllegalArgumentException(option + ": " + value + " is below 16, the size of one latent token");
        }
        if (rounded != value) {
            err.printf("flowmatch: warning: %s %d is not a multiple of 16; rounded down to %d%n", option, value, rounded);
        }
        return rounded;
    }
}

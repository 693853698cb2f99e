package dev.flowmatch.cli;

import dev.flowmatch.Limits;
import dev.flowmatch.schedule.ImageSize;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/**
 * {@code --width} / {@code --height}, shared by the commands that take an image size. As diffusers' FLUX.2
 * pipelines do, sizes that are not multiples of 16 are rounded down, with a warning. Every size is checked against
 * {@link Limits} first, so the message names the option.
 */
final class ImageSizeOptions {
    @Option(names = "--width", defaultValue = "1024", paramLabel = "PX", description = "Image width (default ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--height", defaultValue = "1024", paramLabel = "PX", description = "Image height (default ${DEFAULT-VALUE}).")
    int height;

    /**
     * The image size, each side rounded down to a multiple of 16 (a warning on {@code err} for each side that
     * changed), after checking it against {@link Limits#requireImageSize} (each side in [16, MAX_IMAGE_SIDE], at
     * most MAX_IMAGE_PIXELS in all).
     */
    ImageSize size(PrintWriter err) {
        Limits.requireImageSize("--width", width, "--height", height);
        int h = rounded("--height", height, err);
        int w = rounded("--width", width, err);
        return ImageSize.of(h, w);
    }

    /**
     * The size as given (for engines that round it their own way: ComfyUI's {@code round(W*H/256)} takes sides
     * below 16); each side in [1, MAX_IMAGE_SIDE], at most MAX_IMAGE_PIXELS in all.
     */
    ImageSize requested() {
        Limits.requireImageSize("--width", width, "--height", height, 1);
        return ImageSize.of(height, width);
    }

    private static int rounded(String option, int value, PrintWriter err) {
        int rounded = value / 16 * 16;
        if (rounded != value) {
            err.printf("flowmatch: warning: %s %d is not a multiple of 16; rounded down to %d%n", option, value, rounded);
        }
        return rounded;
    }
}

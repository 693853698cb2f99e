package dev.flowmatch.schedule;

/**
 * The size of an image in pixels, height first as diffusers' pipelines take it ({@code height=..., width=...}).
 *
 * <p>Every flowmatch method that depends on an image's shape takes an {@code ImageSize}, never two bare
 * {@code int}s, so a non-square image cannot be passed with its sides swapped; the one positional form,
 * {@link #of(int, int)}, follows diffusers' order (height, then width).
 *
 * @param height the image height in pixels, {@code > 0}
 * @param width  the image width in pixels, {@code > 0}
 */
public record ImageSize(int height, int width) {

    /**
     * Checks both sides.
     *
     * @throws IllegalArgumentException if a side is not positive
     */
    public ImageSize {
        if (height <= 0) {
            throw new IllegalArgumentException("height: " + height + " pixels must be > 0");
        }
        if (width <= 0) {
            throw new IllegalArgumentException("width: " + width + " pixels must be > 0");
        }
    }

    /**
     * An image {@code height} pixels high and {@code width} pixels wide (diffusers' order).
     *
     * @param height the image height in pixels, {@code > 0}
     * @param width  the image width in pixels, {@code > 0}
     * @return the size
     * @throws IllegalArgumentException if a side is not positive
     */
    public static ImageSize of(int height, int width) {
        return new ImageSize(height, width);
    }

    /**
     * A square image.
     *
     * @param side the height and width in pixels, {@code > 0}
     * @return the size
     * @throws IllegalArgumentException if {@code side} is not positive
     */
    public static ImageSize square(int side) {
        return new ImageSize(side, side);
    }

    /**
     * The number of pixels.
     *
     * @return {@code height * width}
     */
    public long pixels() {
        return (long) height * width;
    }

    /** {@code height 768 x width 1024}: both sides named, so a log line cannot be read the wrong way round. */
    @Override
    public String toString() {
        return "height " + height + " x width " + width;
    }
}

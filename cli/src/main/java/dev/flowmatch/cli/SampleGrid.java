package dev.flowmatch.cli;

import dev.flowmatch.examples.ModelInfo;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Generated single-channel samples {@code [B, 1, H, W]} (pixel values in [-1, 1]) as a PNG grid: one column per
 * label, one row per sample, each pixel drawn as a square, a title and the column labels above.
 */
final class SampleGrid {
    private static final int GAP = 4;
    private static final int HEADER = 44;

    private SampleGrid() {}

    static void write(Path file, float[] samples, ModelInfo info, int[] columns, int rows, String title) {
        long[] shape = info.sampleShape();
        if (shape.length != 3 || shape[0] != 1) {
            throw new IllegalArgumentException("model '" + info.name() + "': a grid needs samples [1, H, W], not "
                    + java.util.Arrays.toString(shape));
        }
        int h = (int) shape[1];
        int w = (int) shape[2];
        int scale = Math.max(2, 64 / Math.max(h, w));
        int cell = Math.max(h, w) * scale;
        int width = Math.max(GAP + columns.length * (cell + GAP), 420);
        int height = HEADER + GAP + rows * (cell + GAP);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(title, GAP, 17);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int c = 0; c < columns.length; c++) {
                String label = Integer.toString(columns[c]);
                int x = GAP + c * (cell + GAP) + (cell - g.getFontMetrics().stringWidth(label)) / 2;
                g.drawString(label, x, HEADER - 6);
            }
        } finally {
            g.dispose();
        }
        int size = h * w;
        for (int k = 0; k < rows * columns.length; k++) {
            int row = k / columns.length;
            int col = k % columns.length;
            int x0 = GAP + col * (cell + GAP);
            int y0 = HEADER + GAP + row * (cell + GAP);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    float v = samples[k * size + y * w + x];
                    int grey = (int) Math.round(Math.clamp((v + 1) * 127.5, 0, 255));
                    int rgb = grey << 16 | grey << 8 | grey;
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            image.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                        }
                    }
                }
            }
        }
        try {
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}

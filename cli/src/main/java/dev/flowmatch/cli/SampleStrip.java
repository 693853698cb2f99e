package dev.flowmatch.cli;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** A labelled row of pictures: the noise, each step's x0 prediction, the result and the exact target. */
final class SampleStrip {
    private static final int PANEL = 192;
    private static final int LABEL = 34;
    private static final int GAP = 6;

    private final List<BufferedImage> pictures = new ArrayList<>();
    private final List<String> labels = new ArrayList<>();

    void add(BufferedImage picture, String label) {
        pictures.add(picture);
        labels.add(label);
    }

    /** Inserts a picture before the one at {@code index} (at the end when {@code index == size()}). */
    void insert(int index, BufferedImage picture, String label) {
        pictures.add(index, picture);
        labels.add(index, label);
    }

    int size() {
        return pictures.size();
    }

    void write(Path file, String title) {
        int n = pictures.size();
        int width = GAP + n * (PANEL + GAP);
        int height = LABEL + PANEL + LABEL;
        BufferedImage strip = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = strip.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, GAP, 22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i < n; i++) {
                int x = GAP + i * (PANEL + GAP);
                BufferedImage p = pictures.get(i);
                double scale = Math.min((double) PANEL / p.getWidth(), (double) PANEL / p.getHeight());
                int w = (int) (p.getWidth() * scale);
                int h = (int) (p.getHeight() * scale);
                g.drawImage(p, x + (PANEL - w) / 2, LABEL + (PANEL - h) / 2, w, h, null);
                String label = labels.get(i);
                int textWidth = g.getFontMetrics().stringWidth(label);
                g.drawString(label, x + Math.max(0, (PANEL - textWidth) / 2), LABEL + PANEL + 20);
            }
        } finally {
            g.dispose();
        }
        try {
            if (!ImageIO.write(strip, "png", file.toFile())) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}

package dev.flowmatch.cli;

import dev.flowmatch.schedule.Flux2;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Pictures in the packed FLUX.2 latent space {@code [B, tokens, 128]}: the analytic model's data mean, drawn
 * with Java2D on the token grid, and the way back to an RGB picture for the PNG strip. Channel {@code c} belongs
 * to colour {@code c % 3}; a token's colour is the mean over its channels of that colour.
 */
final class LatentPictures {
    static final int CHANNELS = Flux2.LATENT_CHANNELS;
    /** Latent value of full colour; the pattern spans [-AMPLITUDE, AMPLITUDE]. */
    static final float AMPLITUDE = 1.5f;

    private LatentPictures() {}

    /**
     * The data mean {@code m} of one image: "flowmatch" over a colour gradient, on a {@code gridW x gridH} token
     * grid, in packed order {@code [token = row * gridW + col][channel]}.
     */
    static float[] pattern(int gridW, int gridH) {
        BufferedImage canvas = new BufferedImage(gridW, gridH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setPaint(new GradientPaint(0, 0, new Color(20, 40, 120), gridW, gridH, new Color(120, 20, 90)));
            g.fillRect(0, 0, gridW, gridH);
            g.setColor(new Color(255, 210, 60));
            int size = Math.max(6, gridW / 5);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size));
            String text = "flowmatch";
            int width = g.getFontMetrics().stringWidth(text);
            if (width > gridW * 0.95) {
                size = (int) (size * gridW * 0.95 / width);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(4, size)));
                width = g.getFontMetrics().stringWidth(text);
            }
            g.drawString(text, (gridW - width) / 2, (gridH + g.getFontMetrics().getAscent()) / 2 - gridH / 16);
        } finally {
            g.dispose();
        }
        float[] mean = new float[gridW * gridH * CHANNELS];
        for (int row = 0; row < gridH; row++) {
            for (int col = 0; col < gridW; col++) {
                int rgb = canvas.getRGB(col, row);
                int token = row * gridW + col;
                for (int c = 0; c < CHANNELS; c++) {
                    int component = (rgb >> (16 - 8 * (c % 3))) & 0xFF;
                    mean[token * CHANNELS + c] = AMPLITUDE * (component / 127.5f - 1f);
                }
            }
        }
        return mean;
    }

    /** Batch item 0 of packed latents as a {@code gridW x gridH} picture (mean of each colour's channels). */
    static BufferedImage picture(float[] latents, int gridW, int gridH) {
        BufferedImage image = new BufferedImage(gridW, gridH, BufferedImage.TYPE_INT_RGB);
        for (int row = 0; row < gridH; row++) {
            for (int col = 0; col < gridW; col++) {
                int token = row * gridW + col;
                double[] sum = new double[3];
                for (int c = 0; c < CHANNELS; c++) {
                    sum[c % 3] += latents[token * CHANNELS + c];
                }
                int rgb = 0;
                for (int k = 0; k < 3; k++) {
                    double mean = sum[k] / ((CHANNELS + 2 - k) / 3);
                    int component = (int) Math.round(Math.clamp((mean / AMPLITUDE + 1) * 127.5, 0, 255));
                    rgb |= component << (16 - 8 * k);
                }
                image.setRGB(col, row, rgb);
            }
        }
        return image;
    }
}

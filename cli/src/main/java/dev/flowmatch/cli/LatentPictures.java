package dev.flowmatch.cli;

import dev.flowmatch.schedule.Flux2;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Pictures in the packed FLUX.2 latent space {@code [B, tokens, 128]}: the analytic model's data means, drawn
 * with Java2D on the token grid, the way back to an RGB picture for the PNG strip, and the way from a picture file
 * into the latent space ({@code --image}, {@code --mask}). Channel {@code c} belongs to colour {@code c % 3}.
 *
 * <ul>
 *   <li>picture to latents ({@link #latents}): each token is a {@code block x block} square of pixels (16 for an
 *       image file: the FLUX.2 VAE's 8x downsampling and 2x2 packing; 1 for the drawn means); colour {@code k}'s
 *       mean {@code p} over the square (0 to 255) becomes {@code AMPLITUDE * (p / 127.5 - 1)} on every channel
 *       {@code c} with {@code c % 3 == k};</li>
 *   <li>latents to picture ({@link #picture}), the inverse: one pixel per token, colour {@code k} the mean of its
 *       channels mapped back to 0..255 (clamped). A picture read with block 1 comes back unchanged; one read with
 *       block 16 comes back as its 16x16 block means.</li>
 * </ul>
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
        return latents(canvas(gridW, gridH, true), gridW, gridH, 1);
    }

    /**
     * The unconditional data mean of klein base's analytic pair ({@code --base}): the same gradient without the word,
     * as if the prompt were what adds the word.
     */
    static float[] background(int gridW, int gridH) {
        return latents(canvas(gridW, gridH, false), gridW, gridH, 1);
    }

    private static BufferedImage canvas(int gridW, int gridH, boolean word) {
        BufferedImage canvas = new BufferedImage(gridW, gridH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setPaint(new GradientPaint(0, 0, new Color(20, 40, 120), gridW, gridH, new Color(120, 20, 90)));
            g.fillRect(0, 0, gridW, gridH);
            if (!word) {
                return canvas;
            }
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
        return canvas;
    }

    /**
     * A picture's packed latents {@code [tokens = gridW * gridH][128]}: token {@code (row, col)} is the
     * {@code block x block} square at {@code (col * block, row * block)} (a larger picture is cropped at the right and
     * bottom), colour {@code k}'s mean over it {@code p} (0 to 255) is {@code AMPLITUDE * (p / 127.5 - 1)} on each
     * channel of that colour.
     */
    static float[] latents(BufferedImage picture, int gridW, int gridH, int block) {
        float[] latents = new float[gridW * gridH * CHANNELS];
        float pixels = block * block;
        for (int row = 0; row < gridH; row++) {
            for (int col = 0; col < gridW; col++) {
                long[] sum = new long[3];
                for (int y = row * block; y < (row + 1) * block; y++) {
                    for (int x = col * block; x < (col + 1) * block; x++) {
                        int rgb = picture.getRGB(x, y);
                        for (int k = 0; k < 3; k++) {
                            sum[k] += (rgb >> (16 - 8 * k)) & 0xFF;
                        }
                    }
                }
                int token = row * gridW + col;
                for (int c = 0; c < CHANNELS; c++) {
                    float component = sum[c % 3] / pixels;
                    latents[token * CHANNELS + c] = AMPLITUDE * (component / 127.5f - 1f);
                }
            }
        }
        return latents;
    }

    /**
     * The inpainting mask of a picture the image's size, one value per token, as {@code Flux2KleinInpaintPipeline}
     * prepares it ({@code mask_processor}: grey, binarized; {@code prepare_mask_latents}: bilinear to the token grid):
     * each pixel's grey (PIL's {@code L}: {@code (19595 R + 38470 G + 7471 B + 32768) >> 16}) is 1 from 128 up
     * ({@code >= 0.5} of 255) and 0 below, then {@code interpolate(mode="bilinear")} to {@code gridH x gridW}, which
     * for a 16x reduction is the mean of the 2x2 pixels at the centre of each 16x16 square (source coordinate
     * {@code 16 j + 7.5}). A token is 1 (painted), 0 (kept) or, on an edge, 0.25, 0.5 or 0.75.
     */
    static float[] mask(BufferedImage picture, int gridW, int gridH) {
        float[] mask = new float[gridW * gridH];
        int block = Flux2.PIXELS_PER_TOKEN_SIDE;
        for (int row = 0; row < gridH; row++) {
            for (int col = 0; col < gridW; col++) {
                int painted = 0;
                for (int y = row * block + block / 2 - 1; y <= row * block + block / 2; y++) {
                    for (int x = col * block + block / 2 - 1; x <= col * block + block / 2; x++) {
                        int rgb = picture.getRGB(x, y);
                        int grey = (19595 * ((rgb >> 16) & 0xFF) + 38470 * ((rgb >> 8) & 0xFF) + 7471 * (rgb & 0xFF)
                                + 32768) >> 16;
                        painted += grey >= 128 ? 1 : 0;
                    }
                }
                mask[row * gridW + col] = painted / 4f;
            }
        }
        return mask;
    }

    /** A mask (one value per token, 0 to 1) as a grey picture: white where the model paints. */
    static BufferedImage maskPicture(float[] mask, int gridW, int gridH) {
        BufferedImage image = new BufferedImage(gridW, gridH, BufferedImage.TYPE_INT_RGB);
        for (int token = 0; token < mask.length; token++) {
            int grey = Math.round(mask[token] * 255);
            image.setRGB(token % gridW, token / gridW, grey << 16 | grey << 8 | grey);
        }
        return image;
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

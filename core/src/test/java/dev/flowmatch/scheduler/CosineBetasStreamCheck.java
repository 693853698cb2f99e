package dev.flowmatch.scheduler;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * The by-hand check that the squaredcos_cap_v2 betas keep their float32 bits although the cosine is fdlibm's
 * ({@link StrictMath#cos}) where diffusers' Python calls glibc's {@code cos}: reads
 * {@code tools/reference/cosine_betas_stream.py}'s stream (it needs /usr/bin/python3) from standard input.
 * {@code betas} compares each beta with {@code UniPCMultistepScheduler.TrainingSigmas.cosineBetas} (the same
 * arithmetic as DPM-Solver's first beta); {@code cos} counts the arguments where the two cosines differ (for the
 * record). Prints the counts; exits 1 on any beta mismatch.
 *
 * <p>Argument: {@code betas|cos}.
 */
public final class CosineBetasStreamCheck {
    private CosineBetasStreamCheck() {}

    /**
     * Reads the records from standard input and prints the counts.
     *
     * @param args the mode
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        boolean betas = args[0].equals("betas");
        int width = betas ? 12 : 16;
        InputStream in = new BufferedInputStream(System.in, 1 << 20);
        byte[] record = new byte[width];
        Map<Integer, float[]> cache = new HashMap<>();
        long checked = 0;
        long mismatches = 0;
        while (in.readNBytes(record, 0, width) == width) {
            ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
            checked++;
            if (betas) {
                int t = b.getInt();
                int i = b.getInt();
                float expected = b.getFloat();
                float actual = i == 0 ? UniPCMultistepScheduler.TrainingSigmas.cosineBetas(t)[0]
                        : cache.computeIfAbsent(t, UniPCMultistepScheduler.TrainingSigmas::cosineBetas)[i];
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
                    if (++mismatches <= 10) {
                        System.out.println("T=" + t + " i=" + i + ": python " + expected + ", flowmatch " + actual);
                    }
                }
            } else {
                double x = b.getDouble();
                double glibc = b.getDouble();
                if (Double.doubleToRawLongBits(glibc) != Double.doubleToRawLongBits(StrictMath.cos(x))) {
                    mismatches++;
                }
            }
        }
        System.out.println((betas ? "betas" : "cos") + ": " + checked + " records, " + mismatches
                + (betas ? " float32 mismatches" : " where fdlibm's cos differs from glibc's"));
        if (betas && mismatches > 0) {
            System.exit(1);
        }
    }
}

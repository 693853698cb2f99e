package dev.flowmatch.torchmath;

import dev.flowmatch.torchmath.TorchLinalg.Layout;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * The large check of {@link TorchLinalg#solve} against torch itself, run by hand (it needs Debian's python3-torch):
 * reads the binary case stream of {@code tools/reference/torch_linalg_solve_cases.py stream N} from standard input,
 * prints the number of cases and mismatches and the first few mismatches, and exits 1 if any.
 */
public final class ExhaustiveLinalgCheck {
    private ExhaustiveLinalgCheck() {}

    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        long cases = 0;
        long singular = 0;
        long mismatches = 0;
        while (true) {
            int n;
            try {
                n = Integer.reverseBytes(in.readInt());
            } catch (EOFException end) {
                break;
            }
            Layout layout = Integer.reverseBytes(in.readInt()) == 0 ? Layout.CONTIGUOUS : Layout.NON_CONTIGUOUS;
            boolean torchRaised = Integer.reverseBytes(in.readInt()) != 0;
            float[][] a = new float[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i][j] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
                }
            }
            float[] b = new float[n];
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                b[i] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
            }
            for (int i = 0; i < n; i++) {
                x[i] = Float.intBitsToFloat(Integer.reverseBytes(in.readInt()));
            }
            cases++;
            String result;
            boolean same;
            try {
                float[] java = TorchLinalg.solve(a, b, layout);
                same = !torchRaised && Arrays.equals(bitsOf(java), bitsOf(x));
                result = Arrays.toString(java);
            } catch (IllegalArgumentException e) {
                same = torchRaised;
                result = e.getMessage();
            }
            singular += torchRaised ? 1 : 0;
            if (!same) {
                if (mismatches < 20) {
                    System.out.println("mismatch " + layout + " A " + Arrays.deepToString(a) + " b "
                            + Arrays.toString(b) + ": torch " + (torchRaised ? "raised" : Arrays.toString(x))
                            + ", java " + result);
                }
                mismatches++;
            }
        }
        System.out.printf("linalg.solve: %d cases (%d singular), %d mismatches%n", cases, singular, mismatches);
        System.exit(mismatches == 0 ? 0 : 1);
    }

    private static int[] bitsOf(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}

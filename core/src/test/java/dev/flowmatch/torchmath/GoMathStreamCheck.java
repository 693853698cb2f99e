package dev.flowmatch.torchmath;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * The large check of {@link GoMath#exp} against Go 1.19's {@code math.Exp}, run by hand (it needs Debian's
 * golang-1.19-go, and qemu-user for arm64): see {@code tools/reference/go_math_exp_stream.go}. Counts the records
 * whose result differs from the port's (NaN against NaN counts as a match), and, for comparison, from
 * {@link StrictMath#exp}'s (fdlibm), as doubles and after a cast to float32; prints the first few port mismatches and
 * exits 1 if there is any.
 *
 * <p>Argument: {@code amd64|amd64-no-fma|arm64}.
 */
public final class GoMathStreamCheck {
    private GoMathStreamCheck() {}

    /**
     * Reads the records from standard input and prints the counts.
     *
     * @param args the architecture
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        GoMath.Arch arch = GoMath.Arch.valueOf(args[0].toUpperCase(Locale.ROOT).replace('-', '_'));
        byte[] bytes = new byte[16 * 4096];
        InputStream in = new BufferedInputStream(System.in, 1 << 20);
        long checked = 0;
        long portMismatches = 0;
        long fdlibmMismatches = 0;
        long fdlibmFloatMismatches = 0;
        while (true) {
            int read = in.readNBytes(bytes, 0, bytes.length);
            if (read == 0) {
                break;
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, read).order(ByteOrder.LITTLE_ENDIAN);
            while (buffer.remaining() >= 16) {
                double x = buffer.getDouble();
                double expected = buffer.getDouble();
                double port = GoMath.exp(x, arch);
                double fdlibm = StrictMath.exp(x);
                checked++;
                if (!same(expected, port)) {
                    if (portMismatches < 20) {
                        System.out.printf("mismatch Exp(%s) = %s (0x%016x), port %s (0x%016x)%n",
                                Double.toHexString(x), Double.toHexString(expected),
                                Double.doubleToRawLongBits(expected), Double.toHexString(port),
                                Double.doubleToRawLongBits(port));
                    }
                    portMismatches++;
                }
                if (!same(expected, fdlibm)) {
                    fdlibmMismatches++;
                }
                if (Float.floatToRawIntBits((float) expected) != Float.floatToRawIntBits((float) fdlibm)
                        && !Double.isNaN(expected)) {
                    if (fdlibmFloatMismatches < 20) {
                        System.out.printf("float32 differs: Exp(%s): go %s, fdlibm %s%n", Double.toHexString(x),
                                Double.toHexString(expected), Double.toHexString(fdlibm));
                    }
                    fdlibmFloatMismatches++;
                }
            }
        }
        System.out.printf("Exp %s: %d records; GoMath differs on %d; StrictMath (fdlibm) differs on %d (%.4f%%;"
                        + " float32 cast: %d)%n", arch, checked, portMismatches, fdlibmMismatches,
                100.0 * fdlibmMismatches / Math.max(1, checked), fdlibmFloatMismatches);
        System.exit(portMismatches == 0 ? 0 : 1);
    }

    private static boolean same(double a, double b) {
        return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b) || (Double.isNaN(a) && Double.isNaN(b));
    }
}

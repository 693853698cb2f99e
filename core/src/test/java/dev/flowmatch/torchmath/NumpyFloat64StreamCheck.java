package dev.flowmatch.torchmath;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The large check of {@link NumpyFloat64} ({@link NumpyDispatch#AVX512_SKX}) against numpy 1.24's float64 ufuncs, run
 * by hand (it needs Debian's python3-numpy on an AVX-512 CPU and reads from a pipe): see
 * {@code tools/reference/numpy_float64_stream.py}.
 * Counts the records whose result differs from the port's (NaN against NaN counts as a match), and, for comparison,
 * from glibc's (numpy's {@link NumpyDispatch#BASELINE}), both as doubles and after a cast to float32; prints the first few port
 * mismatches and exits 1 if there is any.
 *
 * <p>Argument: {@code exp|log|power}.
 */
public final class NumpyFloat64StreamCheck {
    private NumpyFloat64StreamCheck() {}

    /**
     * Reads the records from standard input and prints the counts.
     *
     * @param args the function name
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        String function = args[0];
        int width = function.equals("power") ? 3 : 2;
        byte[] bytes = new byte[8 * width * 4096];
        InputStream in = new BufferedInputStream(System.in, 1 << 20);
        long checked = 0;
        long portMismatches = 0;
        long fallbackMismatches = 0;
        long glibcMismatches = 0;
        long glibcFloatMismatches = 0;
        long portFloatMismatches = 0;
        while (true) {
            int read = in.readNBytes(bytes, 0, bytes.length);
            if (read == 0) {
                break;
            }
            if (read % (8 * width) != 0) {
                throw new IOException("truncated record");
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, read).order(ByteOrder.LITTLE_ENDIAN);
            while (buffer.hasRemaining()) {
                double x = buffer.getDouble();
                double y = width == 3 ? buffer.getDouble() : 0;
                double expected = buffer.getDouble();
                double port;
                double glibc;
                switch (function) {
                    case "exp" -> {
                        port = NumpyFloat64.exp(x, NumpyDispatch.AVX512_SKX);
                        glibc = GlibcDoubleMath.exp(x);
                    }
                    case "log" -> {
                        port = NumpyFloat64.log(x, NumpyDispatch.AVX512_SKX);
                        glibc = GlibcDoubleMath.log(x);
                    }
                    case "power" -> {
                        port = NumpyFloat64.power(x, y, NumpyDispatch.AVX512_SKX);
                        glibc = GlibcDoubleMath.pow(x, y);
                    }
                    default -> throw new IllegalArgumentException("function: " + function);
                }
                checked++;
                if (!same(expected, port) && fallbackLane(function, x, y)) {
                    fallbackMismatches++;
                } else if (!same(expected, port)) {
                    if (portMismatches < 20) {
                        System.out.printf("mismatch %s(%s%s) = %s (0x%016x), port %s (0x%016x)%n", function,
                                Double.toHexString(x), width == 3 ? ", " + Double.toHexString(y) : "",
                                Double.toHexString(expected), Double.doubleToRawLongBits(expected),
                                Double.toHexString(port), Double.doubleToRawLongBits(port));
                    }
                    portMismatches++;
                }
                if (!same((float) expected, (float) port)) {
                    portFloatMismatches++;
                }
                if (!same(expected, glibc)) {
                    glibcMismatches++;
                }
                if (!same((float) expected, (float) glibc)) {
                    if (glibcFloatMismatches < 20) {
                        System.out.printf("float32 differs: %s(%s%s): glibc %s, glibc %s%n", function,
                                Double.toHexString(x), width == 3 ? ", " + Double.toHexString(y) : "",
                                Double.toHexString(expected), Double.toHexString(glibc));
                    }
                    glibcFloatMismatches++;
                }
            }
        }
        System.out.printf("%s: %d records; NumpyFloat64 differs on %d (float32 cast: %d); glibc"
                        + " differs on %d (%.4f%%; float32 cast: %d)%n", function, checked, portMismatches,
                portFloatMismatches, glibcMismatches, 100.0 * glibcMismatches / Math.max(1, checked),
                glibcFloatMismatches);
        System.out.printf("%s: %d more differ on lanes that SVML hands to its scalar fallback (not reproduced)%n",
                function, fallbackMismatches);
        System.exit(portMismatches == 0 ? 0 : 1);
    }

    /**
     * Whether {@code __svml_pow8} hands the lane to its scalar fallback: x not positive and finite, y not finite, or
     * |y log2(x)| above 1021.5 (estimated here, so a margin is allowed).
     */
    private static boolean fallbackLane(String function, double x, double y) {
        if (!function.equals("power")) {
            return false;
        }
        if (!(x > 0) || !Double.isFinite(x) || !Double.isFinite(y)) {
            return true;
        }
        return Math.abs(y * Math.log(x) / Math.log(2)) > 1021.4;
    }

    private static boolean same(double a, double b) {
        return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b) || (Double.isNaN(a) && Double.isNaN(b));
    }

    private static boolean same(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b) || (Float.isNaN(a) && Float.isNaN(b));
    }
}

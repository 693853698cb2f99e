package dev.flowmatch.torchmath;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The large check of {@link GlibcDoubleMath} against Python's {@code math.exp}, {@code math.log} and {@code **}, run
 * by hand (it needs Debian's python3 and reads from a pipe): see {@code tools/reference/glibc_double_stream.py}.
 * Counts the records whose result differs from the port's (NaN against NaN counts as a match), and, for comparison,
 * from {@link StrictMath}'s (fdlibm), both as doubles and after a cast to float32; prints the first few port
 * mismatches and exits 1 if there is any.
 *
 * <p>Argument: {@code exp|log|pow}.
 */
public final class GlibcDoubleStreamCheck {
    private GlibcDoubleStreamCheck() {}

    /**
     * Reads the records from standard input and prints the counts.
     *
     * @param args the function name
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        String function = args[0];
        int width = function.equals("pow") ? 3 : 2;
        byte[] bytes = new byte[8 * width * 4096];
        InputStream in = new BufferedInputStream(System.in, 1 << 20);
        long checked = 0;
        long portMismatches = 0;
        long fdlibmMismatches = 0;
        long fdlibmFloatMismatches = 0;
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
                double fdlibm;
                switch (function) {
                    case "exp" -> {
                        port = GlibcDoubleMath.exp(x);
                        fdlibm = StrictMath.exp(x);
                    }
                    case "log" -> {
                        port = GlibcDoubleMath.log(x);
                        fdlibm = StrictMath.log(x);
                    }
                    case "pow" -> {
                        port = GlibcDoubleMath.pow(x, y);
                        fdlibm = StrictMath.pow(x, y);
                    }
                    default -> throw new IllegalArgumentException("function: " + function);
                }
                checked++;
                if (!same(expected, port)) {
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
                if (!same(expected, fdlibm)) {
                    fdlibmMismatches++;
                }
                if (!same((float) expected, (float) fdlibm)) {
                    if (fdlibmFloatMismatches < 20) {
                        System.out.printf("float32 differs: %s(%s%s): glibc %s, fdlibm %s%n", function,
                                Double.toHexString(x), width == 3 ? ", " + Double.toHexString(y) : "",
                                Double.toHexString(expected), Double.toHexString(fdlibm));
                    }
                    fdlibmFloatMismatches++;
                }
            }
        }
        System.out.printf("%s: %d records; GlibcDoubleMath differs on %d (float32 cast: %d); StrictMath (fdlibm)"
                        + " differs on %d (%.4f%%; float32 cast: %d)%n", function, checked, portMismatches,
                portFloatMismatches, fdlibmMismatches, 100.0 * fdlibmMismatches / Math.max(1, checked),
                fdlibmFloatMismatches);
        System.exit(portMismatches == 0 ? 0 : 1);
    }

    private static boolean same(double a, double b) {
        return Double.doubleToRawLongBits(a) == Double.doubleToRawLongBits(b) || (Double.isNaN(a) && Double.isNaN(b));
    }

    private static boolean same(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b) || (Float.isNaN(a) && Float.isNaN(b));
    }
}

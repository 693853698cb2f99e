package dev.flowmatch.torchmath;

import dev.flowmatch.noise.TorchCpuKernel;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The exhaustive check of {@link TorchFloatMath}'s unary functions against torch itself, run by hand (it needs
 * Debian's python3-torch and reads 16 GiB from a pipe): see {@code tools/reference/torch_unary_stream.py}. Prints
 * the number of mismatching float32 inputs (NaN against NaN counts as a match; differing NaN payloads are counted
 * apart) and the first few mismatches, then exits 1 if any.
 *
 * <p>Arguments: {@code exp|log|expm1}, {@code avx2|default}, optionally the first chunk and the chunk count
 * (2^24 inputs each, as given to the Python side).
 */
public final class ExhaustiveUnaryCheck {
    private static final int CHUNK = 1 << 24;

    private ExhaustiveUnaryCheck() {}

    public static void main(String[] args) throws IOException {
        String function = args[0];
        TorchCpuKernel kernel = TorchCpuKernel.parse(args[1]);
        int first = args.length > 2 ? Integer.decode(args[2]) : 0;
        int count = args.length > 3 ? Integer.decode(args[3]) : (int) ((1L << 32) / CHUNK);
        long mismatches = 0;
        long nanPayloads = 0;
        long checked = 0;
        byte[] bytes = new byte[CHUNK * 4];
        InputStream in = new DataInputStream(System.in);
        for (int chunk = first; chunk < first + count; chunk++) {
            readFully(in, bytes);
            ByteBuffer torch = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < CHUNK; k++) {
                int bits = chunk * CHUNK + k;
                float x = Float.intBitsToFloat(bits);
                float expected = torch.getFloat(4 * k);
                float actual = switch (function) {
                    case "exp" -> TorchFloatMath.exp(x, kernel);
                    case "log" -> TorchFloatMath.log(x, kernel);
                    case "expm1" -> TorchFloatMath.expm1(x, kernel);
                    default -> throw new IllegalArgumentException("function: " + function);
                };
                int e = Float.floatToRawIntBits(expected);
                int a = Float.floatToRawIntBits(actual);
                if (e != a) {
                    if (Float.isNaN(expected) && Float.isNaN(actual)) {
                        nanPayloads++;
                    } else {
                        if (mismatches < 20) {
                            System.out.printf("mismatch x=%s (0x%08x): torch %s (0x%08x), java %s (0x%08x)%n",
                                    x, bits, expected, e, actual, a);
                        }
                        mismatches++;
                    }
                }
                checked++;
            }
        }
        System.out.printf("%s %s: %d inputs checked, %d mismatches, %d NaN results with other NaN bits%n",
                function, kernel, checked, mismatches, nanPayloads);
        System.exit(mismatches == 0 ? 0 : 1);
    }

    private static void readFully(InputStream in, byte[] bytes) throws IOException {
        int off = 0;
        while (off < bytes.length) {
            int n = in.read(bytes, off, bytes.length - off);
            if (n < 0) {
                throw new IOException("stream ended after " + off + " bytes of a chunk");
            }
            off += n;
        }
    }
}

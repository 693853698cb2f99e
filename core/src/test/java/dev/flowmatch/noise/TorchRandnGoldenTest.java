package dev.flowmatch.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flowmatch.golden.Goldens;
import dev.flowmatch.golden.Goldens.RandnCase;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bit-exact against torch: the {@code torch_randn} cases of the bundled golden file (torch 1.13 CPU), and the
 * recorded streams in {@code noise/*.json} (consecutive {@code randn} calls on one generator, torch 1.13.1 and
 * 2.7.1, both CPU kernels, every dtype, sizes 0 to 1000, extreme and negative seeds).
 */
class TorchRandnGoldenTest {
    static final String[] STREAM_FILES = {
        "/noise/torch-1.13-cpu-randn-streams.json", "/noise/torch-2.7-cpu-randn-streams.json",
    };

    static List<RandnCase> cases() {
        return Goldens.bundled().torchRandn();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorchGolden(RandnCase c) {
        String version = Goldens.bundled().root().path("source").asText();
        TorchGenerator g = new TorchGenerator(c.seed(), TorchBuild.parse(c.cpuCapability(), version));
        assertEquals(TorchRelease.TORCH_1_13, g.build().release(), version);
        assertEquals(c.expected().shape(), c.shape());
        assertArrayEquals(c.expected().bits(), g.randnBits(c.shape(), c.dtype()), () -> c + " differs");
    }

    /** One recorded stream: the seed, the kernel, and each call's shape, dtype and torch's bits. */
    record Stream(String file, TorchBuild build, long seed, JsonNode calls) {
        @Override
        public String toString() {
            return file.substring(file.lastIndexOf('/') + 1) + " seed=" + seed + " " + build.kernel() + " "
                    + calls.size() + " calls";
        }
    }

    static List<Stream> streams() {
        List<Stream> out = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        for (String file : STREAM_FILES) {
            try (InputStream in = TorchRandnGoldenTest.class.getResourceAsStream(file)) {
                JsonNode root = mapper.readTree(in);
                String version = root.get("torch_version").asText();
                for (JsonNode s : root.get("streams")) {
                    out.add(new Stream(file, TorchBuild.parse(s.get("torch_cpu_capability").asText(), version),
                            s.get("seed").asLong(), s.get("calls")));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(file, e);
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void continuesTheStreamLikeTorch(Stream s) {
        TorchGenerator g = new TorchGenerator(s.seed(), s.build());
        int index = 0;
        for (JsonNode call : s.calls()) {
            long[] dims = new long[call.get("shape").size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = call.get("shape").get(i).asLong();
            }
            DType dtype = DType.parse(call.get("dtype").asText());
            int[] expected = new int[call.get("bits").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (int) call.get("bits").get(i).asLong();
            }
            int n = index++;
            assertArrayEquals(expected, g.randnBits(new Shape(dims), dtype),
                    () -> s + ": call " + n + " " + call.get("shape") + " " + dtype.torchName() + " differs");
        }
    }
}

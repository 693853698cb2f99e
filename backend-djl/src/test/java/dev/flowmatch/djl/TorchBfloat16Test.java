package dev.flowmatch.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.flowmatch.javabackend.JavaBackend;
import dev.flowmatch.tensor.AffineSpec;
import dev.flowmatch.tensor.Bits;
import dev.flowmatch.tensor.DType;
import dev.flowmatch.tensor.Shape;
import dev.flowmatch.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real PyTorch bfloat16 tensor reaching Java: the output of a TorchScript model (written here by hand, no
 * Python needed) whose forward is {@code x.to(torch.bfloat16)}. DJL 0.36 shows it as UNKNOWN; the backend
 * refuses to wrap it (the JVM survives) and copies its bits exactly with {@code fromTorchBfloat16}.
 */
class TorchBfloat16Test {
    private static final DjlBackend DJL = DjlBackend.instance();
    private static final JavaBackend JAVA = new JavaBackend();

    @Test
    void aBfloat16ModelOutputIsRefusedByWrapAndCopiedExactly(@TempDir Path dir) throws Exception {
        writeToBfloat16Model(dir.resolve("tobf16.pt"));
        float[] inputs = {1.00390625f, 1.01171875f, 3.14159265f, -2.5f, -0.0f, 0f, 1e-40f, -1e-40f,
            Float.intBitsToFloat(0x00008000), Float.intBitsToFloat(0x00018000), Float.MAX_VALUE, 3.3961e38f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 65520f, 1e30f, -7.25e-3f};
        try (Model model = Model.newInstance("tobf16", DJL.device(), "PyTorch")) {
            model.load(dir, "tobf16");
            NDManager manager = model.getNDManager();
            NDArray x = manager.create(inputs);
            NDArray out = model.getBlock().forward(new ParameterStore(manager, false), new NDList(x), false)
                    .singletonOrThrow();
            assertEquals(DataType.UNKNOWN, out.getDataType(), "DJL 0.36 does not map PyTorch's bfloat16");

            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DJL.wrap(out));
            assertTrue(refused.getMessage().contains("fromTorchBfloat16"), refused.getMessage());

            try (Tensor bf = DJL.fromTorchBfloat16(out)) {
                assertEquals(DType.BFLOAT16, bf.dtype());
                assertEquals(Shape.of(inputs.length), bf.shape());
                int[] expected = new int[inputs.length];
                for (int i = 0; i < inputs.length; i++) {
                    expected[i] = Bits.floatToBf16(inputs[i]) & 0xFFFF;
                }
                assertArrayEquals(expected, DJL.toBits(bf), "PyTorch's own rounding is round-to-nearest-even");

                // The DIFFUSERS step on it equals the reference.
                int[] sampleBits = TestData.bits(DType.BFLOAT16, inputs.length, new java.util.SplittableRandom(1));
                AffineSpec spec = new AffineSpec(DType.FLOAT32, DType.BFLOAT16, DType.FLOAT32, DType.BFLOAT16);
                try (Tensor sample = DJL.fromBits(sampleBits, DType.BFLOAT16, bf.shape());
                     Tensor step = DJL.affine(1f, sample, -0.0625f, bf, spec);
                     Tensor js = JAVA.fromBits(sampleBits, DType.BFLOAT16, bf.shape());
                     Tensor jv = JAVA.fromBits(expected, DType.BFLOAT16, bf.shape());
                     Tensor jstep = JAVA.affine(1f, js, -0.0625f, jv, spec)) {
                    assertNull(TestData.firstDifference(DType.BFLOAT16, JAVA.toBits(jstep), DJL.toBits(step)));
                }
            }
            assertFalse(out.isReleased(), "the model's array is left to its owner");
            NDArray floats = manager.create(new float[] {1f});
            IllegalArgumentException known = assertThrows(IllegalArgumentException.class,
                    () -> DJL.fromTorchBfloat16(floats));
            assertTrue(known.getMessage().contains("FLOAT32 is not PyTorch bfloat16"), known.getMessage());
        }
    }

    /**
     * A TorchScript archive (format version 3) of {@code class M(Module): forward(x) = x.to(torch.bfloat16)}: the
     * code, the pickled module object and an empty constants table, stored uncompressed.
     */
    static void writeToBfloat16Model(Path file) throws IOException {
        String code = """
                class M(Module):
                  __parameters__ = []
                  __buffers__ = []
                  training : bool
                  def forward(self: __torch__.M,
                    x: Tensor) -> Tensor:
                    return torch.to(x, 15)
                """;
        // pickle protocol 2: GLOBAL '__torch__ M', EMPTY_TUPLE, NEWOBJ, {'training': True}, BUILD, STOP
        byte[] data = concat(new byte[] {(byte) 0x80, 2}, "c__torch__\nM\nq\u0000)\u0081}q\u0001X\u0008\u0000\u0000\u0000trainingq\u0002\u0088sb."
                .getBytes(StandardCharsets.ISO_8859_1));
        byte[] constants = {(byte) 0x80, 2, ')', '.'};
        Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        entries.put("archive/data.pkl", data);
        entries.put("archive/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
        entries.put("archive/constants.pkl", constants);
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.UTF_8));
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

package dev.flowmatch.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The bfloat16 kernels, written in TorchScript ({@code bf16_kernels.py} next to this class) so that PyTorch's own
 * bfloat16 conversion and arithmetic do the rounding, a few elementwise kernels per call.
 *
 * <p>DJL 0.36 cannot make a BFLOAT16 NDArray (its JNI aborts the JVM when asked to map that dtype), but it runs
 * TorchScript methods, and a bfloat16 tensor such a method returns is an NDArray whose dtype DJL reports as
 * UNKNOWN: the backend's bfloat16 storage. These kernels are the only code that computes on such arrays; the rest
 * of the backend only clones, expands and closes them (DJL calls that map no dtype). The module is built in memory as the archive {@code torch.jit.save}
 * writes (version, a pickled module object, an empty constants table and the code) and loaded once per JVM with
 * DJL's TorchScript loader. It has no parameters, so one instance serves every device: each method runs where its
 * arguments are.
 */
final class TorchScriptKernels {
    private static final String SOURCE = "bf16_kernels.py";
    private static final String CLASS = "Bf16Kernels";

    private final PtSymbolBlock module;
    /** The manager that owns a result on a device (the scope closes intermediates). */
    private final Function<Device, NDManager> managers;

    private TorchScriptKernels(PtSymbolBlock module, Function<Device, NDManager> managers) {
        this.module = module;
        this.managers = managers;
    }

    /**
     * Loads the kernels into the engine: {@code managers.apply(cpu)} owns the module for the life of the JVM, and
     * each result is created on {@code managers.apply(its device)}.
     */
    static TorchScriptKernels load(Function<Device, NDManager> managers) {
        try (InputStream archive = new ByteArrayInputStream(archive())) {
            PtNDManager owner = (PtNDManager) managers.apply(Device.cpu());
            return new TorchScriptKernels(JniUtils.loadModule(owner, archive, true, false), managers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Each element of a FLOAT32 array rounded to the nearest bfloat16 (NaN to {@code 0x7FC0}), as a bfloat16
     * array (DJL dtype UNKNOWN): this backend's bfloat16 storage.
     */
    NDArray round(Scope scope, NDArray v) {
        return run(scope, v, v, new float[] {ROUND, 0, 0, 0, 0});
    }

    /** Each element of a FLOAT32 array rounded to the nearest bfloat16 (NaN to {@code 0x7FC0}), as FLOAT32. */
    NDArray roundToFloat32(Scope scope, NDArray v) {
        return run(scope, v, v, new float[] {ROUND_TO_FLOAT32, 0, 0, 0, 0});
    }

    /** A bfloat16 array widened to FLOAT32, exactly. */
    NDArray widen(Scope scope, NDArray bfloat16) {
        return run(scope, bfloat16, bfloat16, new float[] {WIDEN, 0, 0, 0, 0});
    }

    /** The 16-bit patterns of a bfloat16 array, exactly, in a new FLOAT16-typed array (for host transfers). */
    NDArray bits(Scope scope, NDArray bfloat16) {
        return run(scope, bfloat16, bfloat16, new float[] {BITS, 0, 0, 0, 0});
    }

    /** A FLOAT16-typed array of 16-bit patterns as a new bfloat16 array holding exactly those patterns. */
    NDArray fromBits(Scope scope, NDArray bits) {
        return run(scope, bits, bits, new float[] {FROM_BITS, 0, 0, 0, 0});
    }

    /**
     * {@code bf16(px + py)} for bfloat16 arrays {@code x} and {@code y}, with {@code px = a*x} and
     * {@code py = b*y} in float32, each rounded to bfloat16 first when its flag says so (the caller has rounded
     * that coefficient). The result is a bfloat16 array.
     */
    NDArray affine(Scope scope, NDArray x, float a, boolean roundX, NDArray y, float b, boolean roundY) {
        return run(scope, x, y, new float[] {AFFINE, a, b, roundX ? 1 : 0, roundY ? 1 : 0});
    }

    // The kernel numbers of bf16_kernels.py's forward.
    private static final float ROUND = 0;
    private static final float AFFINE = 1;
    private static final float WIDEN = 2;
    private static final float BITS = 3;
    private static final float ROUND_TO_FLOAT32 = 4;
    private static final float FROM_BITS = 5;

    /**
     * Runs {@code forward(x, y, parameters)}. Through {@link IValueUtils#forward(PtSymbolBlock, NDList, boolean)}
     * with {@code isTrain} set: DJL runs other calls in PyTorch's inference mode, whose results are inference
     * tensors that no later in-place operation (ours, or a caller's on a result) may touch. No input requires a
     * gradient, so nothing is recorded. DJL reads an argument's name as a calling convention (a caller's array may
     * have one) and attaches the result to the first argument's manager, so an argument that is not an unnamed array
     * of the results' manager (this backend's own storage is) goes in as a view of it: the same memory, unnamed,
     * attached to that manager.
     */
    private NDArray run(Scope scope, NDArray x, NDArray y, float[] parameters) {
        NDManager results = managers.apply(x.getDevice());
        NDArray vx = argument(scope, x, results);
        NDArray vy = y == x ? vx : argument(scope, y, results);
        NDArray p = scope.add(managers.apply(Device.cpu()).create(parameters));
        NDList out = IValueUtils.forward(module, new NDList(vx, vy, p), true);
        NDArray result = out.singletonOrThrow();
        scope.add(result);
        return result;
    }

    private static NDArray argument(Scope scope, NDArray array, NDManager manager) {
        if (array.getName() == null && array.getManager() == manager) {
            return array;
        }
        NDArray view = scope.add(array.reshape(array.getShape()));
        view.attach(manager);
        return view;
    }

    /**
     * The TorchScript archive of {@code bf16_kernels.py}: a zip of stored (uncompressed) entries under one
     * directory, as {@code torch.jit.save} lays it out.
     */
    static byte[] archive() throws IOException {
        byte[] code;
        try (InputStream in = TorchScriptKernels.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException("resource " + SOURCE + " is missing from the backend-djl jar");
            }
            code = in.readAllBytes();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            // Format version 3: what torch 1.13 writes for a module using only these operators (no upgraders).
            stored(zip, "bf16_kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(zip, "bf16_kernels/data.pkl", moduleObject());
            stored(zip, "bf16_kernels/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // the empty tuple
            stored(zip, "bf16_kernels/code/__torch__.py", code);
        }
        return bytes.toByteArray();
    }

    /**
     * The pickled module object (protocol 2): an instance of {@code __torch__.Bf16Kernels} whose state is
     * {@code {"training": True}}, the one attribute the class declares.
     */
    private static byte[] moduleObject() {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(0x80);                                          // PROTO 2
        p.write(2);
        p.writeBytes(("c__torch__\n" + CLASS + "\n").getBytes(StandardCharsets.US_ASCII)); // GLOBAL module class
        p.write(')');                                           // EMPTY_TUPLE: no constructor arguments
        p.write(0x81);                                          // NEWOBJ
        p.write('}');                                           // EMPTY_DICT: the state
        p.write('(');                                           // MARK
        byte[] key = "training".getBytes(StandardCharsets.UTF_8);
        p.write('X');                                           // BINUNICODE, 4-byte little-endian length
        p.write(key.length);
        p.write(0);
        p.write(0);
        p.write(0);
        p.writeBytes(key);
        p.write(0x88);                                          // NEWTRUE
        p.write('u');                                           // SETITEMS
        p.write('b');                                           // BUILD: set the state
        p.write('.');                                           // STOP
        return p.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }
}

package dev.flowmatch.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Moves raw bits between Java arrays and NDArrays.
 *
 * <p>Uploads stage the bits in memory from a confined {@link Arena}, let PyTorch copy them into memory it owns,
 * and free the staging memory at once: DJL's own {@code create(Buffer)} would
 * keep the tensor aliased to a direct buffer that only the garbage collector frees.
 */
final class Host {
    private Host() {}

    /** A new array on {@code manager}'s device holding {@code bits}: int32 patterns, or 16-bit patterns for FLOAT16. */
    static NDArray upload(NDManager manager, int[] bits, DataType type, Shape shape) {
        int width = type == DataType.FLOAT32 ? 4 : 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(Math.max(1L, (long) bits.length * width), 8);
            if (width == 4) {
                MemorySegment.copy(bits, 0, segment, ValueLayout.JAVA_INT_UNALIGNED, 0, bits.length);
            } else {
                for (int i = 0; i < bits.length; i++) {
                    segment.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) bits[i]);
                }
            }
            ByteBuffer buffer = segment.asSlice(0, (long) bits.length * width).asByteBuffer()
                    .order(ByteOrder.nativeOrder());
            NDManager hostManager = manager.getDevice().equals(Device.cpu())
                    ? manager : manager.newSubManager(Device.cpu());
            try {
                NDArray staged = hostManager.create(buffer, shape, type);
                try {
                    // clone() on the CPU, to(device) elsewhere: either way PyTorch copies into memory it owns.
                    // (DJL's toDevice(cpu, copy=true) would alias: its torchTo never forces a copy.)
                    NDArray owned = hostManager == manager
                            ? staged.duplicate() : staged.toDevice(manager.getDevice(), false);
                    owned.attach(manager);
                    return owned;
                } finally {
                    staged.close();
                }
            } finally {
                if (hostManager != manager) {
                    hostManager.close();
                }
            }
        }
    }

    /** The raw bits of an array: int32 patterns for FLOAT32, unsigned 16-bit patterns for FLOAT16. */
    static int[] download(NDArray array) {
        DataType type = array.getDataType();
        int n = Math.toIntExact(array.size());
        ByteBuffer bytes;
        if (array.getDevice().equals(Device.cpu())) {
            bytes = array.toByteBuffer();
        } else {
            try (NDArray host = array.toDevice(Device.cpu(), true)) {
                bytes = host.toByteBuffer();
            }
        }
        bytes.order(ByteOrder.nativeOrder());
        int[] bits = new int[n];
        if (type == DataType.FLOAT32) {
            bytes.asIntBuffer().get(bits);
        } else {
            for (int i = 0; i < n; i++) {
                bits[i] = bytes.getShort(2 * i) & 0xFFFF;
            }
        }
        return bits;
    }
}

package dev.flowmatch.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * 0-dim float32 constants on one device, created once and kept for the life of the JVM, so that the bf16
 * rounding in {@link Kernels} broadcasts them without a host-to-device copy per call.
 */
final class Constants {
    /** PyTorch's (and {@link dev.flowmatch.tensor.Bits}') canonical bfloat16 NaN, widened: {@code 0x7FC00000}. */
    final NDArray nan;
    final NDArray maxFloat;
    final NDArray minusMaxFloat;
    /** Above this magnitude the Veltkamp split's {@code x * 65537} could overflow: scale down first. */
    final NDArray bigLimit;
    final NDArray scaleDown;
    final NDArray scaleUp;
    /** {@code 2^16 + 1}: the Veltkamp splitter that keeps the 8 significant bits of a bfloat16. */
    final NDArray splitter;
    /** The smallest normal float32 (and bfloat16): below it bfloat16 has a fixed quantum of {@code 2^-133}. */
    final NDArray minNormal;
    /** {@code 2^126 * 2^7} takes a subnormal to units of bfloat16's subnormal quantum {@code 2^-133}. */
    final NDArray twoPow126;
    final NDArray twoPow7;
    final NDArray subnormalQuantum;

    static final float BIG_LIMIT = 0x1p99f;
    static final float SCALE_DOWN = 0x1p-64f;
    static final float SCALE_UP = 0x1p64f;
    static final float SPLITTER = 65537f;
    static final float MIN_NORMAL = Float.MIN_NORMAL;
    static final float SUBNORMAL_QUANTUM = 0x1p-133f;

    Constants(NDManager manager) {
        nan = scalar(manager, Float.intBitsToFloat(0x7FC00000));
        maxFloat = scalar(manager, Float.MAX_VALUE);
        minusMaxFloat = scalar(manager, -Float.MAX_VALUE);
        bigLimit = scalar(manager, BIG_LIMIT);
        scaleDown = scalar(manager, SCALE_DOWN);
        scaleUp = scalar(manager, SCALE_UP);
        splitter = scalar(manager, SPLITTER);
        minNormal = scalar(manager, MIN_NORMAL);
        twoPow126 = scalar(manager, 0x1p126f);
        twoPow7 = scalar(manager, 0x1p7f);
        subnormalQuantum = scalar(manager, SUBNORMAL_QUANTUM);
    }

    /** A 0-dim float32 array holding exactly these bits, on the manager's device. */
    private static NDArray scalar(NDManager manager, float value) {
        return Host.upload(manager, new int[] {Float.floatToRawIntBits(value)}, DataType.FLOAT32, new Shape());
    }
}

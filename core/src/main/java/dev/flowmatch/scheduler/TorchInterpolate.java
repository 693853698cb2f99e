package dev.flowmatch.scheduler;

import java.util.Arrays;
import java.util.Locale;

/**
 * {@code torch.nn.functional.interpolate(x, size=..., mode=...)} on float32 data, as torch 1.13's CPU kernels compute it
 * ({@code align_corners} and {@code antialias} at their defaults, contiguous channels-first input), bit for bit: the
 * resampling {@code FlowMatchLCMScheduler} applies to its x0 prediction when {@code scale_factors} are set.
 *
 * <p>{@link Mode#NEAREST} copies {@code input[min(floor(dst * (float) in / out), in - 1)]} per spatial dimension, with
 * torch's shortcuts for equal sizes and exact doubling ({@code nearest_idx}, {@code aten/src/ATen/native/cpu/
 * UpSampleKernel.cpp}; {@code nearest_neighbor_compute_source_index}, {@code UpSample.h}); it is exact on every torch
 * CPU kernel.
 *
 * <p>{@link Mode#BICUBIC} (4-d input) is Keys' cubic convolution with {@code A = -0.75} over a clamped 4x4
 * neighbourhood ({@code HelperInterpCubic}, {@code get_cubic_upsample_coefficients}). It reproduces the float32
 * arithmetic of torch 1.13's {@code avx2} CPU kernel as the Debian build compiles it (the goldens' torch), where the
 * compiler contracted several multiply-adds into FMAs; each was found by checking candidate evaluations against that
 * torch bit for bit on thousands of random sizes ({@code tools/reference/torch_interpolate.py} writes the reference
 * data the tests check). Other builds or the {@code default} kernel may round differently.
 */
final class TorchInterpolate {
    private TorchInterpolate() {}

    /** The {@code mode}s flowmatch reproduces. */
    enum Mode {
        /** {@code mode='nearest'}: 3-d, 4-d or 5-d input. */
        NEAREST("nearest"),
        /** {@code mode='bicubic'}: 4-d input. */
        BICUBIC("bicubic");

        private final String torchName;

        Mode(String torchName) {
            this.torchName = torchName;
        }

        /** torch's name of the mode. */
        String torchName() {
            return torchName;
        }

        /** The mode torch calls {@code name}, or null when flowmatch does not reproduce it. */
        static Mode find(String name) {
            for (Mode m : values()) {
                if (m.torchName.equals(name)) {
                    return m;
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return torchName.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Resamples the spatial dimensions (all after the first two) of {@code input} to {@code size}.
     *
     * @param input row-major float32 values of shape {@code shape}
     * @param shape {@code [N, C, spatial...]}
     * @param size  the output's spatial sizes, one per spatial dimension, each {@code >= 1}
     * @param mode  the interpolation mode
     * @return row-major values of shape {@code [N, C, size...]}
     */
    static float[] interpolate(float[] input, long[] shape, int[] size, Mode mode) {
        int spatial = shape.length - 2;
        if (spatial < 1 || spatial > 3 || size.length != spatial) {
            throw new IllegalArgumentException("interpolate: input of shape " + Arrays.toString(shape)
                    + " with size " + Arrays.toString(size) + ": torch takes 3-d to 5-d input and one size per "
                    + "spatial dimension");
        }
        if (mode == Mode.BICUBIC && spatial != 2) {
            throw new IllegalArgumentException("upscale_mode: 'bicubic' needs 4-d input (torch raises), got shape "
                    + Arrays.toString(shape));
        }
        for (int s : size) {
            if (s < 1) {
                throw new IllegalArgumentException("interpolate: output size " + Arrays.toString(size)
                        + " must be >= 1 in every dimension (torch raises)");
            }
        }
        return mode == Mode.NEAREST ? nearest(input, shape, size) : bicubic(input, shape, size);
    }

    // ---- nearest -------------------------------------------------------------------------------------------

    private static float[] nearest(float[] input, long[] shape, int[] size) {
        int spatial = size.length;
        int[] in = new int[3];
        int[] out = new int[3];
        Arrays.fill(in, 1);
        Arrays.fill(out, 1);
        for (int d = 0; d < spatial; d++) {
            in[3 - spatial + d] = Math.toIntExact(shape[2 + d]);
            out[3 - spatial + d] = size[d];
        }
        int[][] index = new int[3][];
        for (int d = 0; d < 3; d++) {
            index[d] = new int[out[d]];
            for (int o = 0; o < out[d]; o++) {
                index[d][o] = nearestIndex(o, in[d], out[d]);
            }
        }
        int planes = Math.toIntExact(shape[0] * shape[1]);
        int inPlane = in[0] * in[1] * in[2];
        int outPlane = out[0] * out[1] * out[2];
        float[] result = new float[planes * outPlane];
        int k = 0;
        for (int p = 0; p < planes; p++) {
            for (int od = 0; od < out[0]; od++) {
                for (int oh = 0; oh < out[1]; oh++) {
                    for (int ow = 0; ow < out[2]; ow++) {
                        result[k++] = input[p * inPlane + (index[0][od] * in[1] + index[1][oh]) * in[2] + index[2][ow]];
                    }
                }
            }
        }
        return result;
    }

    /** {@code nearest_idx}: equal sizes copy, doubling shifts, otherwise {@code floorf(dst * scale)} clamped. */
    static int nearestIndex(int outputIndex, int inputSize, int outputSize) {
        if (outputSize == inputSize) {
            return outputIndex;
        }
        if (outputSize == 2 * inputSize) {
            return outputIndex >> 1;
        }
        float scale = (float) inputSize / (float) outputSize;
        return Math.min((int) Math.floor((float) outputIndex * scale), inputSize - 1);
    }

    // ---- bicubic -------------------------------------------------------------------------------------------

    /** {@code A} of Keys' kernel as torch uses it, and the constants the compiler folded from it. */
    private static final float A = -0.75f;
    private static final float A_PLUS_2 = A + 2;
    private static final float A_PLUS_3 = A + 3;
    private static final float A_TIMES_5 = 5 * A;
    private static final float A_TIMES_8 = 8 * A;
    private static final float A_TIMES_4 = 4 * A;

    /** The four source indices (clamped) and weights of every output position along one dimension. */
    private record Taps(int[][] index, float[][] weight) {}

    private static Taps cubicTaps(int inputSize, int outputSize) {
        // area_pixel_compute_scale: (float) input_size / output_size.
        float scale = (float) inputSize / (float) outputSize;
        int[][] index = new int[outputSize][4];
        float[][] weight = new float[outputSize][4];
        for (int o = 0; o < outputSize; o++) {
            // area_pixel_compute_source_index(cubic): scale * (dst + 0.5) - 0.5. The avx2 build evaluates it with
            // one rounding (exact in double here), floors the float32 value and takes t = real - floor with one
            // rounding again.
            double real = (double) scale * (o + 0.5) - 0.5;
            int floor = (int) Math.floor((float) real);
            float t = (float) (real - floor);
            float t2 = 1f - t;
            weight[o][0] = cubicOuter(t + 1f);
            weight[o][1] = cubicInner(t);
            weight[o][2] = cubicInner(t2);
            weight[o][3] = cubicOuter(t2 + 1f);
            for (int j = 0; j < 4; j++) {
                index[o][j] = Math.max(Math.min(floor - 1 + j, inputSize - 1), 0);
            }
        }
        return new Taps(index, weight);
    }

    /** {@code cubic_convolution1}: {@code ((A + 2) * x - (A + 3)) * x * x + 1}, the first product-difference fused. */
    private static float cubicInner(float x) {
        float u = Math.fma(A_PLUS_2, x, -A_PLUS_3);
        float v = u * x;
        return v * x + 1f;
    }

    /** {@code cubic_convolution2}: {@code ((A * x - 5 * A) * x + 8 * A) * x - 4 * A}, the first two steps fused. */
    private static float cubicOuter(float x) {
        float u = Math.fma(A, x, -A_TIMES_5);
        u = Math.fma(u, x, A_TIMES_8);
        return u * x - A_TIMES_4;
    }

    /** {@code t0*w0 + t1*w1 + t2*w2 + t3*w3} as the avx2 build evaluates it: {@code t1*w1} rounded, then three FMAs. */
    private static float dot4(float t0, float t1, float t2, float t3, float[] w) {
        float s = Math.fma(t0, w[0], t1 * w[1]);
        s = Math.fma(t2, w[2], s);
        return Math.fma(t3, w[3], s);
    }

    private static float[] bicubic(float[] input, long[] shape, int[] size) {
        int inH = Math.toIntExact(shape[2]);
        int inW = Math.toIntExact(shape[3]);
        int outH = size[0];
        int outW = size[1];
        Taps rows = cubicTaps(inH, outH);
        Taps cols = cubicTaps(inW, outW);
        int planes = Math.toIntExact(shape[0] * shape[1]);
        float[] result = new float[planes * outH * outW];
        float[] inner = new float[4];
        int k = 0;
        for (int p = 0; p < planes; p++) {
            int plane = p * inH * inW;
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int[] cx = cols.index()[ox];
                    float[] wx = cols.weight()[ox];
                    // Interpolate<2>: the height taps outside, each a width interpolation of its row.
                    for (int j = 0; j < 4; j++) {
                        int row = plane + rows.index()[oy][j] * inW;
                        inner[j] = dot4(input[row + cx[0]], input[row + cx[1]], input[row + cx[2]],
                                input[row + cx[3]], wx);
                    }
                    result[k++] = dot4(inner[0], inner[1], inner[2], inner[3], rows.weight()[oy]);
                }
            }
        }
        return result;
    }
}

package dev.flowmatch.torchmath;

import java.util.Arrays;

/**
 * {@code torch.linalg.solve(A, b)} for the small float32 systems of UniPC's predictor and corrector, bit for bit as
 * torch 1.13 computes it on the CPU with OpenBLAS 0.3.21 (Debian's {@code libopenblas0}, {@code DYNAMIC_ARCH},
 * the {@code Haswell} and {@code Zen} kernels alike).
 *
 * <p>What torch does ({@code _linalg_solve_ex_out} in {@code aten/src/ATen/native/BatchLinearAlgebra.cpp}): when
 * {@code A} is contiguous it factors {@code A^T} (whose column-major storage is {@code A}'s row-major one) with
 * LAPACK's {@code sgetrf} and solves with {@code sgetrs('T')}; when {@code A} is a non-contiguous view it copies
 * {@code A} column-major, factors it and solves with {@code sgetrs('N')}. The two give different roundings, so the
 * caller says which {@link Layout} its tensor had. diffusers' UniPC ({@code scheduling_unipc_multistep.py},
 * v0.40.0) solves {@code torch.linalg.solve(R, b)} in the corrector, {@code R} a fresh {@code torch.stack}:
 * {@link Layout#CONTIGUOUS}; and {@code torch.linalg.solve(R[:-1, :-1], b[:-1])} in the predictor, a slice:
 * {@link Layout#NON_CONTIGUOUS}.
 *
 * <p>What OpenBLAS does for n &le; 4, reproduced here operation by operation (sources at tag v0.3.21):
 * {@code sgetrf} runs the unblocked left-looking {@code getf2} ({@code lapack/getf2/getf2_k.c}): per column, the
 * earlier row swaps, then {@code b[i] -= sdot(...)} over the row of L ({@code kernel/x86_64/sdot.c}, strided: float
 * products summed pairwise in float, accumulated in double, rounded to float), then {@code sgemv_n} for the rows
 * below ({@code kernel/x86_64/sgemv_n_4.c}'s scalar tail: a float sum from 0 in column order, subtracted), the
 * first largest magnitude as pivot ({@code isamax}), the swap, and the column below scaled by the float reciprocal
 * of the pivot. {@code sgetrs} ({@code lapack/getrs/getrs_single.c}) with one right-hand side runs {@code strsv}
 * ({@code driver/level2/trsv_L.c}, {@code trsv_U.c}): {@code 'T'} as dot products ({@code sdot}, unit stride: each
 * float product accumulated in double) and a true division by the diagonal, then the row swaps backwards;
 * {@code 'N'} as the row swaps forwards, then {@code saxpy} updates ({@code kernel/x86_64/saxpy.c}'s scalar tail:
 * {@code y + a*x}, two roundings) and the division. None of these C kernels is built with {@code -mfma}, so no
 * operation is fused. The thread count does not matter (both OpenBLAS paths run the same kernels for one
 * right-hand side; checked with 1 and 2 threads). torch builds over MKL (the PyPI wheels for x86-64) factor with
 * MKL's {@code sgetrf} instead, and other OpenBLAS versions may choose other kernels: neither is reproduced.
 */
public final class TorchLinalg {
    /** The largest system {@link #solve} reproduces (larger ones reach OpenBLAS's assembly GEMV kernels). */
    public static final int MAX_SIZE = 4;

    private TorchLinalg() {}

    /** The memory layout of the tensor {@code A} passed to {@code torch.linalg.solve}. */
    public enum Layout {
        /** {@code A.is_contiguous()}: torch factors {@code A^T} and solves with {@code sgetrs('T')}. */
        CONTIGUOUS,
        /** A strided view such as {@code R[:-1, :-1]}: torch factors a column-major copy of {@code A}. */
        NON_CONTIGUOUS
    }

    /**
     * {@code torch.linalg.solve(A, b)} for a float32 matrix {@code A} (n by n, n from 1 to {@value #MAX_SIZE}) and
     * a float32 vector {@code b} (torch's vector right-hand side, shape {@code [n]}).
     *
     * @param a the rows of {@code A}: {@code a[i][j]} is {@code A[i, j]}; finite
     * @param b the right-hand side, length n; finite
     * @param layout whether {@code A} was contiguous when torch got it
     * @return {@code x} with {@code A x = b}, as torch returns it (a new array); it may hold inf or NaN where
     *     torch's does (overflow in the elimination)
     * @throws IllegalArgumentException for a null or non-square {@code a}, n outside 1..{@value #MAX_SIZE}, a
     *     {@code b} of another length, a non-finite entry, a null layout, or a singular {@code A} (an exact zero
     *     pivot: torch raises there)
     */
    public static float[] solve(float[][] a, float[] b, Layout layout) {
        int n = checkSystem(a, b, layout);
        // LU holds a column-major n x n matrix: lu[col * n + row]
        float[] lu = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (layout == Layout.CONTIGUOUS) {
                    lu[j * n + i] = a[j][i]; // A^T column-major = A row-major
                } else {
                    lu[j * n + i] = a[i][j];
                }
            }
        }
        int[] pivots = new int[n];
        int zeroPivot = getf2(lu, n, pivots);
        if (zeroPivot >= 0) {
            throw new IllegalArgumentException("a: singular matrix (U[" + zeroPivot + ", " + zeroPivot
                    + "] is exactly zero); torch.linalg.solve raises for it: " + Arrays.deepToString(a));
        }
        float[] x = b.clone();
        if (layout == Layout.CONTIGUOUS) {
            trsvTransposedUpper(lu, n, x);
            trsvTransposedUnitLower(lu, n, x);
            for (int i = n - 1; i >= 0; i--) {
                swap(x, i, pivots[i]); // laswp with incx = -1: the interchanges in reverse order
            }
        } else {
            for (int i = 0; i < n; i++) {
                swap(x, i, pivots[i]); // laswp with incx = 1
            }
            trsvUnitLower(lu, n, x);
            trsvUpper(lu, n, x);
        }
        return x;
    }

    /**
     * OpenBLAS's {@code getf2_k} on a column-major n x n matrix: L (unit diagonal, below) and U (on and above the
     * diagonal) in place, 0-based pivot rows in {@code pivots}. Returns the first column with an exactly zero pivot,
     * or -1.
     */
    private static int getf2(float[] lu, int n, int[] pivots) {
        int info = -1;
        for (int j = 0; j < n; j++) {
            int col = j * n;
            // the interchanges of the earlier columns, applied to this one
            for (int i = 0; i < j; i++) {
                int ip = pivots[i];
                if (ip != i) {
                    float t = lu[col + i];
                    lu[col + i] = lu[col + ip];
                    lu[col + ip] = t;
                }
            }
            // b[i] -= DOTU_K(i, a + i, lda, b, 1): row i of L times the column above it
            for (int i = 1; i < j; i++) {
                lu[col + i] -= dotRowStrided(lu, n, i, col);
            }
            // GEMV_N(m - j, j, 0, -1, a + j, lda, b, 1, b + j, 1): sgemv_n_4.c's scalar tail for fewer than 4 rows
            if (j > 0) {
                for (int r = j; r < n; r++) {
                    float temp = 0f;
                    for (int k = 0; k < j; k++) {
                        temp += lu[k * n + r] * lu[col + k];
                    }
                    lu[col + r] += -1f * temp;
                }
            }
            // IAMAX_K: the first entry of largest magnitude
            int jp = j;
            float best = Math.abs(lu[col + j]);
            for (int r = j + 1; r < n; r++) {
                float m = Math.abs(lu[col + r]);
                if (m > best) {
                    best = m;
                    jp = r;
                }
            }
            pivots[j] = jp;
            float pivot = lu[col + jp];
            if (pivot != 0f) {
                float reciprocal = 1f / pivot;
                if (jp != j) {
                    for (int k = 0; k <= j; k++) { // SWAP_K(j + 1, ..., a + j, lda, a + jp, lda)
                        float t = lu[k * n + j];
                        lu[k * n + j] = lu[k * n + jp];
                        lu[k * n + jp] = t;
                    }
                }
                for (int r = j + 1; r < n; r++) { // SCAL_K(m - j - 1, ..., temp1, b + j + 1, 1)
                    lu[col + r] *= reciprocal;
                }
            } else if (info < 0) {
                info = j;
            }
        }
        return info;
    }

    /**
     * {@code sdot.c} with {@code inc_x = lda}: x is row {@code row} of L (columns 0..row-1), y the column at
     * {@code col}. Pairs {@code y0*x0 + y1*x1} are float sums, accumulated in double; the result is rounded to float.
     */
    private static float dotRowStrided(float[] lu, int n, int row, int col) {
        double dot = 0.0;
        int k = 0;
        int pairs = row & -2;
        for (; k < pairs; k += 2) {
            dot += lu[col + k] * lu[k * n + row] + lu[col + k + 1] * lu[(k + 1) * n + row];
        }
        for (; k < row; k++) {
            dot += lu[col + k] * lu[k * n + row];
        }
        return (float) dot;
    }

    /** {@code sdot.c} with unit strides and fewer than 32 terms: each float product accumulated in double. */
    private static float dotUnit(float[] x, int xOffset, float[] y, int yOffset, int count) {
        double dot = 0.0;
        for (int k = 0; k < count; k++) {
            dot += y[yOffset + k] * x[xOffset + k];
        }
        return (float) dot;
    }

    /** {@code strsv_TUN} ({@code trsv_L.c} with TRANSA, non-unit): solves {@code U^T y = b} forwards. */
    private static void trsvTransposedUpper(float[] lu, int n, float[] b) {
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                b[i] -= dotUnit(lu, i * n, b, 0, i); // column i of U above the diagonal
            }
            b[i] /= lu[i * n + i];
        }
    }

    /** {@code strsv_TLU} ({@code trsv_U.c} with TRANSA, unit): solves {@code L^T z = y} backwards. */
    private static void trsvTransposedUnitLower(float[] lu, int n, float[] b) {
        for (int i = 0; i < n; i++) {
            int k = n - 1 - i;
            if (i > 0) {
                b[k] -= dotUnit(lu, k * n + k + 1, b, k + 1, i); // column k of L below the diagonal
            }
        }
    }

    /** {@code strsv_NLU} ({@code trsv_L.c}, unit): solves {@code L y = b} forwards with {@code saxpy}. */
    private static void trsvUnitLower(float[] lu, int n, float[] b) {
        for (int i = 0; i < n - 1; i++) {
            float alpha = -b[i];
            for (int r = i + 1; r < n; r++) {
                b[r] += alpha * lu[i * n + r];
            }
        }
    }

    /** {@code strsv_NUN} ({@code trsv_U.c}, non-unit): solves {@code U x = y} backwards with {@code saxpy}. */
    private static void trsvUpper(float[] lu, int n, float[] b) {
        for (int k = n - 1; k >= 0; k--) {
            b[k] /= lu[k * n + k];
            float alpha = -b[k];
            for (int r = 0; r < k; r++) {
                b[r] += alpha * lu[k * n + r];
            }
        }
    }

    private static void swap(float[] v, int i, int j) {
        float t = v[i];
        v[i] = v[j];
        v[j] = t;
    }

    private static int checkSystem(float[][] a, float[] b, Layout layout) {
        if (layout == null) {
            throw new IllegalArgumentException("layout: null (expected CONTIGUOUS or NON_CONTIGUOUS)");
        }
        if (a == null) {
            throw new IllegalArgumentException("a: null (expected an n x n matrix, n from 1 to " + MAX_SIZE + ")");
        }
        int n = a.length;
        if (n < 1 || n > MAX_SIZE) {
            throw new IllegalArgumentException("a: " + n + " rows (accepted: 1 to " + MAX_SIZE + ")");
        }
        for (int i = 0; i < n; i++) {
            if (a[i] == null || a[i].length != n) {
                throw new IllegalArgumentException("a: row " + i + " has "
                        + (a[i] == null ? "no entries (null)" : a[i].length + " entries") + " (expected " + n
                        + ": A must be square)");
            }
            for (int j = 0; j < n; j++) {
                if (!Float.isFinite(a[i][j])) {
                    throw new IllegalArgumentException("a: entry [" + i + ", " + j + "] is " + a[i][j]
                            + " (accepted: finite floats)");
                }
            }
        }
        if (b == null || b.length != n) {
            throw new IllegalArgumentException("b: " + (b == null ? "null" : "length " + b.length)
                    + " (expected length " + n + ", the size of a)");
        }
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(b[i])) {
                throw new IllegalArgumentException("b: entry [" + i + "] is " + b[i] + " (accepted: finite floats)");
            }
        }
        return n;
    }
}

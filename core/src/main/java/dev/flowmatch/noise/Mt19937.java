package dev.flowmatch.noise;

/**
 * The 32-bit Mersenne Twister exactly as PyTorch's CPU generator runs it: {@code at::mt19937_engine} in
 * {@code aten/src/ATen/core/MT19937RNGEngine.h} (torch 1.13.1: {@code init_with_uint32} line 156,
 * {@code operator()} line 138, {@code next_state} line 175; unchanged in 2.x; the same sequence as
 * {@code std::mt19937}). Not thread-safe; {@link TorchGenerator} guards it.
 */
final class Mt19937 {
    static final int N = 624; // MERSENNE_STATE_N
    private static final int M = 397; // MERSENNE_STATE_M
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UMASK = 0x80000000;
    private static final int LMASK = 0x7fffffff;

    private final int[] state = new int[N];
    private long seed;
    private int left;
    private int next;

    Mt19937(long seed) {
        seed(seed);
    }

    private Mt19937(Mt19937 other) {
        System.arraycopy(other.state, 0, state, 0, N);
        seed = other.seed;
        left = other.left;
        next = other.next;
    }

    Mt19937 copy() {
        return new Mt19937(this);
    }

    /**
     * {@code init_with_uint32}: keeps the whole 64-bit seed for {@code initial_seed()}, but only its low 32 bits
     * enter the state ({@code state_[0] = seed & 0xffffffff}).
     */
    void seed(long seed) {
        this.seed = seed;
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            int prev = state[j - 1];
            state[j] = 1812433253 * (prev ^ (prev >>> 30)) + j; // uint32 arithmetic wraps like Java int
        }
        left = 1;
        next = 0;
    }

    long seedValue() {
        return seed;
    }

    /** {@code operator()}: the next 32 random bits (an unsigned value held in an int). */
    int nextInt() {
        if (--left == 0) {
            nextState();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /**
     * Fills {@code out[from..to)} with {@code (word & mask) * scale}, one word per element, exactly as that many
     * {@link #nextInt()} calls would, but a whole run of state words per loop (what
     * {@code uniform_real_distribution} does element by element: {@code mask = 2^digits - 1},
     * {@code scale = 2^-digits}).
     */
    void fillUniform(float[] out, int from, int to, int mask, float scale) {
        int i = from;
        while (i < to) {
            if (left == 1) {
                nextState(); // what the next operator() call would do ...
                left = N + 1; // ... before consuming its word (left then reads N, as in torch)
            }
            int count = Math.min(left - 1, to - i);
            temperRun(out, i, next, count, mask, scale);
            next += count;
            left -= count;
            i += count;
        }
    }

    private void temperRun(float[] out, int at, int from, int count, int mask, float scale) {
        int[] s = state;
        for (int t = 0; t < count; t++) {
            int y = s[from + t];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            out[at + t] = (y & mask) * scale;
        }
    }

    /** {@code next_state()}: regenerates all 624 words. */
    private void nextState() {
        int[] s = state;
        left = N;
        next = 0;
        int k = 0;
        for (; k < N - M; k++) {
            s[k] = s[k + M] ^ twist(s[k], s[k + 1]);
        }
        for (; k < N - 1; k++) {
            s[k] = s[k + M - N] ^ twist(s[k], s[k + 1]);
        }
        s[N - 1] = s[M - 1] ^ twist(s[N - 1], s[0]);
    }

    private static int twist(int u, int v) {
        int mixed = (u & UMASK) | (v & LMASK);
        return (mixed >>> 1) ^ (-(v & 1) & MATRIX_A); // (v & 1 ? MATRIX_A : 0), without a branch
    }
}

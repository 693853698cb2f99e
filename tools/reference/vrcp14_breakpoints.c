/*
 * Measures where VRCP14PD followed by VRNDSCALEPD $0x58 (round to a multiple of 1/32, nearest even) changes value,
 * on the CPU this runs on: the first step of SVML's __svml_log8 (mantissa in [1, 2)) and __svml_pow8 (mantissa in
 * [1/2, 1)), as numpy 1.24 runs them on AVX-512 CPUs. VRCP14PD is only specified to a relative error below 2^-14,
 * so the rounded reciprocal is a property of the CPU near each of these points; flowmatch's SvmlDouble compares the
 * mantissa with the breakpoints printed here (measured on an AMD EPYC, Zen 5). Also checks that the rounded
 * reciprocal is monotone around each breakpoint.
 *
 *   gcc -O2 -mavx512f tools/reference/vrcp14_breakpoints.c -o /tmp/vrcp14 && /tmp/vrcp14
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static double rounded_rcp(double m) {
    __m512d v = _mm512_set1_pd(m);
    __m512d r = _mm512_roundscale_pd(_mm512_rcp14_pd(v), 0x58);
    double out[8];
    _mm512_storeu_pd(out, r);
    return out[0];
}

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double from(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

/* Smallest m in (lo, hi] with rounded_rcp(m) <= target, given rounded_rcp(lo) > target >= rounded_rcp(hi). */
static double breakpoint(double lo, double hi, double target) {
    uint64_t a = bits(lo), b = bits(hi);
    while (b - a > 1) {
        uint64_t mid = a + (b - a) / 2;
        if (rounded_rcp(from(mid)) <= target) b = mid; else a = mid;
    }
    return from(b);
}

static int scan(const char *name, int kmin, int kmax) {
    int bad = 0;
    printf("%s\n", name);
    for (int k = kmin; k < kmax; k++) {
        double mid = 32.0 / (k + 0.5);
        double lo = mid * (1 - 0x1p-10), hi = mid * (1 + 0x1p-10);
        double above = (k + 1) / 32.0, below = k / 32.0;
        if (rounded_rcp(lo) != above || rounded_rcp(hi) != below) {
            printf("  k=%d: unexpected ends %a %a\n", k, rounded_rcp(lo), rounded_rcp(hi));
            bad++;
            continue;
        }
        double b = breakpoint(lo, hi, below);
        /* monotone: every double within 2^20 ulps of b, and 2^20 points spread over [lo, hi] */
        for (int64_t d = -(1 << 20); d <= (1 << 20); d++) {
            double m = from(bits(b) + d);
            double want = d < 0 ? above : below;
            if (rounded_rcp(m) != want) { bad++; printf("  k=%d: not monotone at %a\n", k, m); break; }
        }
        for (int i = 0; i <= (1 << 20); i++) {
            double m = lo + (hi - lo) * i / (1 << 20);
            double want = m < b ? above : below;
            if (rounded_rcp(m) != want) { bad++; printf("  k=%d: not monotone at %a\n", k, m); break; }
        }
        printf("  %a, // rounds to %a from here on (exact midpoint %a)\n", b, below, mid);
    }
    return bad;
}

int main(void) {
    int bad = scan("log8: mantissa in [1, 2), reciprocal k/32 for k = 16..32", 16, 32);
    bad += scan("pow8: mantissa in [1/2, 1), reciprocal k/32 for k = 32..64", 32, 64);
    printf(bad ? "FAILED %d\n" : "monotone\n", bad);
    return bad != 0;
}

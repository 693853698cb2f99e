#!/usr/bin/python3
"""Streams Python's math.exp, math.log and float ** float on random arguments, for checking GlibcDoubleMath.

Source of truth: Debian 12's /usr/bin/python3 (CPython 3.11) on x86-64, whose math module calls glibc 2.36's libm
(its FMA copies on a CPU with FMA and AVX2). Usage (the Java side reads the stream and compares; see
GlibcDoubleStreamCheck in core's test sources):

    /usr/bin/python3 tools/reference/glibc_double_stream.py exp uniform-20-20 16777216 1 \\
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.torchmath.GlibcDoubleStreamCheck exp

Arguments: FUNCTION (exp, log, pow), RANGE (see RANGES), COUNT, SEED. Writes little-endian float64 records:
(x, f(x)) for exp and log, (x, y, x ** y) for pow. Arguments for which Python raises (overflow, division by zero)
or returns a complex number are left out.
"""
import math
import operator
import sys

import numpy as np

CHUNK = 1 << 20


def _bits(rng, n):
    return rng.integers(0, 1 << 64, size=n, dtype=np.uint64, endpoint=False).view(np.float64)


def _positive_bits(rng, n):
    return (rng.integers(0, 1 << 63, size=n, dtype=np.uint64)).view(np.float64)


# name -> (function, generator of x, generator of y or None)
RANGES = {
    # exp: mu of the dynamic shift lives in [0, 5]; the rest covers the function
    "uniform-0-5": lambda rng, n: (rng.uniform(0, 5, n), None),
    "uniform-20-20": lambda rng, n: (rng.uniform(-20, 20, n), None),
    "uniform-745-710": lambda rng, n: (rng.uniform(-745.5, 710, n), None),
    "bits": lambda rng, n: (_bits(rng, n), None),
    # log: sigmas in (0, 1], and up to hundreds (VP sigmas); near 1 is its own branch
    "uniform-0-1": lambda rng, n: (rng.uniform(0, 1, n), None),
    "near-one": lambda rng, n: (rng.uniform(0.9, 1.1, n), None),
    "uniform-1-1000": lambda rng, n: (rng.uniform(1, 1000, n), None),
    "positive-bits": lambda rng, n: (_positive_bits(rng, n), None),
    # pow: sigma ** (1 / 7) and ramp ** 7 (karras), beta ** 0.5, and the function at large
    "karras": lambda rng, n: (rng.uniform(0, 20, n), rng.choice([1 / 7.0, 7.0, 0.5, 2.0, 3.0, 1 / 3.0], n)),
    "uniform-pow": lambda rng, n: (rng.uniform(0, 10, n), rng.uniform(-20, 20, n)),
    "positive-bits-pow": lambda rng, n: (_positive_bits(rng, n), rng.uniform(-4, 4, n)),
    "negative-integer-pow": lambda rng, n: (rng.uniform(-10, 0, n), rng.integers(-30, 30, n).astype(np.float64)),
    "bits-pow": lambda rng, n: (_bits(rng, n), _bits(rng, n)),
}


def _safe(f, *args):
    try:
        r = f(*args)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None
    return r if isinstance(r, float) else None


def main() -> None:
    function, range_name, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = np.random.default_rng(seed)
    out = sys.stdout.buffer
    done = 0
    while done < count:
        n = min(CHUNK, count - done)
        xs, ys = RANGES[range_name](rng, n)
        xs = xs.tolist()
        if function == "pow":
            ys = ys.tolist()
            try:
                rs = list(map(operator.pow, xs, ys))
                if any(not isinstance(r, float) for r in rs):
                    raise ValueError
            except (OverflowError, ZeroDivisionError, ValueError):
                rs = [_safe(operator.pow, x, y) for x, y in zip(xs, ys)]
            rows = np.array([(x, y, r) for x, y, r in zip(xs, ys, rs) if r is not None], dtype="<f8")
            out.write(rows.tobytes())
        else:
            f = math.exp if function == "exp" else math.log
            try:
                rs = list(map(f, xs))
            except (OverflowError, ValueError):
                rs = [_safe(f, x) for x in xs]
            rows = np.array([(x, r) for x, r in zip(xs, rs) if r is not None], dtype="<f8")
            out.write(rows.tobytes())
        done += n
    out.flush()


if __name__ == "__main__":
    main()

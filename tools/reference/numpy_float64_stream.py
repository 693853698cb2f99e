#!/usr/bin/python3
"""Streams numpy's float64 np.exp, np.log and np.power on random arguments, for checking NumpyFloat64.

Source of truth: Debian 12's python3-numpy 1:1.24.2 under /usr/bin/python3 on an x86-64 CPU with AVX-512 (numpy's
AVX512_SKX dispatch: SVML's __svml_exp8, __svml_log8, __svml_pow8). Usage (the Java side reads the stream and
compares; see NumpyFloat64StreamCheck in core's test sources):

    /usr/bin/python3 tools/reference/numpy_float64_stream.py exp uniform-20-20 16777216 1 \\
        | java -cp core/target/classes:core/target/test-classes dev.flowmatch.torchmath.NumpyFloat64StreamCheck exp

Arguments: FUNCTION (exp, log, power), RANGE (the names of glibc_double_stream.py), COUNT, SEED. Writes little-endian
float64 records: (x, f(x)) for exp and log, (x, y, x ** y) for power, computed on arrays of 2^20 elements (each
element is computed alone: the SIMD loop maps lane by lane).
"""
import sys

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from glibc_double_stream import RANGES  # noqa: E402

CHUNK = 1 << 20


def main() -> None:
    function, range_name, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = np.random.default_rng(seed)
    out = sys.stdout.buffer
    done = 0
    with np.errstate(all="ignore"):
        while done < count:
            n = min(CHUNK, count - done)
            xs, ys = RANGES[range_name](rng, n)
            xs = np.ascontiguousarray(xs, dtype=np.float64)
            if function == "power":
                ys = np.ascontiguousarray(ys, dtype=np.float64)
                rows = np.stack([xs, ys, np.power(xs, ys)], axis=1)
            else:
                rows = np.stack([xs, getattr(np, function)(xs)], axis=1)
            out.write(rows.astype("<f8").tobytes())
            done += n
    out.flush()


if __name__ == "__main__":
    main()
